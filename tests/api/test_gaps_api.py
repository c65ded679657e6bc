"""Accept with gaps (容缺受理): main materials complete, secondary ones owed until the item's point."""
from __future__ import annotations

from tests.support.cases import register, work

FOOD = "XK-0001"     # 容缺：作出决定前补齐; M04, M05 are secondary
HYGIENE = "XK-0005"  # 容缺：制证前补齐
BOOKS = "XK-0009"    # no 容缺: every material at acceptance


def test_an_item_without_gaps_needs_every_material_to_be_accepted(api):
    case = register(api, BOOKS, materials=["M01", "M02", "M03"])
    refused = work(api, case, "window", "approve", "予以受理", expect=400)
    assert refused["code"] == "materials_missing" and refused["details"]["missing"] == ["M04"]
    assert "不适用容缺受理" in refused["message"]


def test_main_materials_are_never_owed(api):
    case = register(api, FOOD, materials=["M01", "M02", "M04", "M05"])
    refused = work(api, case, "window", "approve", "予以受理", expect=400)
    assert refused["code"] == "main_materials_missing" and refused["details"]["missing"] == ["M03"]


def test_gaps_block_the_decision_until_the_window_receives_them(api):
    case = register(api, FOOD, materials=["M01", "M02", "M03"])
    case = work(api, case, "window", "approve", "主要材料齐全，容缺受理")
    assert case["gaps"] == {"until": "decision", "until_label": "作出决定前", "complete": False,
                            "missing": [{"code": "M04", "name": "食品安全管理制度目录及文本"},
                                        {"code": "M05", "name": "从业人员健康证明"}]}
    case = work(api, case, "reviewer_market", "approve", "材料审查通过")
    case = work(api, case, "inspector_site_survey", opinion="场所符合要求", data={"finding": "合格"})
    refused = work(api, case, "leader_market", "approve", "同意", expect=400)
    assert refused["code"] == "gap_materials_missing" and refused["details"]["missing"] == ["M04", "M05"]
    assert "须在作出决定前补齐" in refused["message"]
    # the reviewer may not take materials; the window does
    denied = api.post(f"/api/v1/cases/{case['id']}/materials", as_user="reviewer_market", json={"materials": ["M04"]})
    assert denied.status_code == 403
    case = api.post(f"/api/v1/cases/{case['id']}/materials", as_user="window",
                    json={"materials": ["M04", "M05"]}).get_json()
    assert case["gaps"]["complete"] is True and case["missing_materials"] == []
    case = work(api, case, "leader_market", "approve", "同意")
    assert case["result"] == "approved"
    assert any(h["action"] == "materials_received" and "已全部补齐" in h["description"] for h in case["history"])


def test_a_refusal_needs_no_missing_material(api):
    case = register(api, FOOD, materials=["M01", "M02", "M03"])
    case = work(api, case, "window", "approve", "容缺受理")
    case = work(api, case, "reviewer_market", "reject", "经营项目超出范围")
    case = work(api, case, "leader_market", "reject", "不予许可")
    assert case["result"] == "rejected"


def test_gaps_until_the_certificate_let_the_decision_pass_but_not_the_certificate(api):
    case = register(api, HYGIENE, materials=["M01", "M02", "M03"])
    case = work(api, case, "window", "approve", "容缺受理")
    case = work(api, case, "reviewer_health", "approve", "同意")
    case = work(api, case, "inspector_site_survey", opinion="卫生设施齐全", data={"finding": "合格"})
    case = work(api, case, "leader_health", "approve", "准予")
    refused = work(api, case, "reviewer_health", data={"scope": "住宿业"}, opinion="", expect=400)
    assert refused["code"] == "gap_materials_missing" and "须在制证前补齐" in refused["message"]
    api.post(f"/api/v1/cases/{case['id']}/materials", as_user="window", json={"materials": ["M04", "M05", "M06"]})
    case = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    case = work(api, case, "reviewer_health", data={"scope": "住宿业"}, opinion="")
    assert case["status"] == "ready_to_issue"


def test_receiving_materials_refuses_what_does_not_fit(api):
    case = register(api, FOOD, materials=["M01", "M02", "M03"])
    url = f"/api/v1/cases/{case['id']}/materials"
    for body, code in (({"materials": ["ZZ"]}, "unknown_material"), ({"materials": []}, "invalid_materials"),
                       ({"materials": "M04"}, "invalid_materials"), ({"materials": ["M01"]}, "materials_already_received")):
        response = api.post(url, as_user="window", json=body)
        assert response.status_code == 400 and response.get_json()["code"] == code, body


def test_materials_taken_for_an_item_without_gaps_claim_nothing_about_gaps(api):
    case = register(api, BOOKS, materials=["M01", "M02", "M03"])
    case = api.post(f"/api/v1/cases/{case['id']}/materials", as_user="window", json={"materials": ["M04"]}).get_json()
    (entry,) = [h for h in case["history"] if h["action"] == "materials_received"]
    assert entry["description"] == "窗口收取材料 1 件" and "gaps" not in entry["after"]
