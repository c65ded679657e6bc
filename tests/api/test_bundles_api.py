"""One-thing bundles (一件事): one application and one set of materials for several items,
decided in parallel, each keeping its own result and certificate, issued together."""
from __future__ import annotations

from tests.support.bundles import BOOK_CAFE, PHARMACY, bundle, register_bundle
from tests.support.cases import work
from tests.support.inspection_form import on_site


def test_shared_materials_are_asked_once(api):
    pharmacy = bundle(api, PHARMACY)
    names = [m["name"] for m in pharmacy["materials"]]
    assert names.count("营业执照") == 1
    licence = next(m for m in pharmacy["materials"] if m["code"] == "business_licence")
    assert licence["items"] == ["XK-0003", "XK-0001"] and licence["main"] is True
    assert pharmacy["name"] == "开办药店“一件事”" and pharmacy["items"] == ["XK-0003", "XK-0001"]


def test_one_application_opens_one_case_with_a_row_per_item(api):
    case = register_bundle(api, BOOK_CAFE)
    assert case["kind"] == "bundle" and case["item_name"] == "开办书店咖啡馆“一件事”"
    assert [(i["code"], i["department"], i["result"]) for i in case["items"]] == [
        ("XK-0009", "culture_tourism", None), ("XK-0004", "market", None)]
    case = work(api, case, "window", "approve", "材料齐全，一次受理")
    assert sorted((t["name"], t["department"]) for t in case["tasks"]) == [
        ("分项审查", "culture_tourism"), ("分项审查", "market")]


def test_every_item_keeps_its_own_result_and_certificate_and_results_issue_together(api):
    case = work(api, register_bundle(api, BOOK_CAFE), "window", "approve", "受理")

    def do(user: str, department: str, **body) -> dict:
        task = next(t for t in case["tasks"] if t["department"] == department)
        body = {**body, "data": on_site(case, task, user, body.get("data") or {})}
        response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json=body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["case"]

    case = do("reviewer_culture_tourism", "culture_tourism", decision="approve", opinion="场所符合要求")
    case = do("leader_culture_tourism", "culture_tourism", decision="approve", opinion="准予")
    case = do("reviewer_culture_tourism", "culture_tourism", data={"scope": "出版物零售"})
    assert [t["name"] for t in case["tasks"]] == ["分项审查"]  # the book licence waits for the café
    case = do("reviewer_market", "market", decision="approve", opinion="材料齐全")
    # the inspection inside the bundle says which item it inspects
    assert [(t["name"], t["item_code"]) for t in case["tasks"]] == [("独立现场核查", "XK-0004")]
    case = do("inspector_site_survey", "site_survey", opinion="操作间不达标", data={"finding": "不合格"})
    assert [f["item_code"] for f in case["inspection"]["findings"]] == ["XK-0004"]
    case = do("leader_market", "market", decision="reject", opinion="现场核查不合格")
    assert [t["name"] for t in case["tasks"]] == ["统一出件"]
    case = work(api, case, "window", data={"delivery": "窗口领取"}, opinion="")
    assert case["status"] == "completed" and case["result"] == "partial" and case["result_label"] == "部分准予"
    assert [(i["code"], i["result"], i["certificate_no"]) for i in case["items"]] == [
        ("XK-0009", "approved", "2026-XK-0009-Z00001"), ("XK-0004", "rejected", None)]
    # the licence of the approved item and the refusal letter of the other, delivered together
    assert [(c["number"], c["kind"], c["status"], c["delivered"]) for c in case["certificates"]] == [
        ("2026-XK-0009-Z00001", "certificate", "valid", True), ("2026-XK-0004-N00001", "refusal", "valid", True)]


def test_bundle_materials_are_checked_against_the_bundle(api):
    response = api.post("/api/v1/cases", as_user="window",
                        json={"bundle_code": BOOK_CAFE, "applicant": {"name": "x"}, "materials": ["M01"]})
    assert response.status_code == 400 and response.get_json()["code"] == "unknown_material"
    materials = [m["code"] for m in bundle(api, BOOK_CAFE)["materials"] if m["code"] != "XK-0009-M02"]
    case = register_bundle(api, BOOK_CAFE, materials)
    refused = work(api, case, "window", "approve", "受理", expect=400)
    assert refused["code"] == "main_materials_missing" and refused["details"]["missing"] == ["XK-0009-M02"]
