"""The certificate registry through the API: issued at 制证 or on the spot, a refusal letter at
不予, delivered at 出件, read by those who may read the case, verified by anyone with the code."""
from __future__ import annotations

from app.persistence.tables.certificates import Certificate, CertificateEvent
from tests.support.cases import FOOD, register, work
from tests.support.certificates import APPROVE_CHANGE, apply, issued, pdf_of, public, through


def test_an_approval_on_the_spot_issues_a_signed_licence_listed_with_the_case(api):
    case, certificate = issued(api)
    assert certificate["number"] == "2026-XK-0002-Z00001" and certificate["kind"] == "certificate"
    assert certificate["status"] == "valid" and certificate["valid_until"] == "2031-03-01"
    assert len(certificate["check_code"]) == 8 and certificate["delivered"] is False
    case = work(api, case, "window", data={"delivery": "电子送达"}, opinion="")
    assert case["certificates"][0]["delivered"] is True
    detail = api.get(f"/api/v1/certificates/{certificate['number']}", as_user="window").get_json()
    assert detail["holder"] == "张三餐饮店" and detail["scope"] == "预包装食品销售（含冷藏冷冻食品）"
    assert detail["delivery"] == "电子送达"
    assert [h["action"] for h in detail["history"]] == ["issued", "delivered"]
    # people read names and labels; the stored values stay beside them for programs
    assert detail["issued_by"] == "window" and detail["issued_by_name"] not in ("", "window")
    assert [(h["status_after"], h["status_after_label"]) for h in detail["history"]] == [("valid", "有效")] * 2
    assert {h["actor_name"] for h in detail["history"]} == {detail["issued_by_name"]}
    assert {"label": "经营项目", "value": "预包装食品销售（含冷藏冷冻食品）"} in detail["fields"]
    actions = [h["action"] for h in case["history"]]
    assert "certificate_issued" in actions and "certificate_delivered" in actions


def test_numbers_run_per_year_and_item_and_never_repeat(api):
    numbers = [issued(api)[1]["number"] for _ in range(3)]
    assert numbers == ["2026-XK-0002-Z00001", "2026-XK-0002-Z00002", "2026-XK-0002-Z00003"]


def test_a_refusal_issues_a_signed_decision_letter_instead_of_a_licence(api):
    case = work(api, register(api, "XK-0002"), "window", "reject", "原证照已注销，不予补办")
    (letter,) = case["certificates"]
    assert letter["number"] == "2026-XK-0002-N00001" and letter["kind"] == "refusal"
    assert letter["type_name"] == "不予行政许可决定书" and letter["valid_until"] is None
    detail = api.get(f"/api/v1/certificates/{letter['number']}", as_user="window").get_json()
    assert detail["fields"] == [{"label": "不予许可理由", "value": "原证照已注销，不予补办"}]
    assert pdf_of(api, letter["number"]).startswith(b"%PDF")


def test_the_standard_flow_issues_at_certificate_step_only(api):
    case = register(api, FOOD)
    for user, decision, opinion, data in (("window", "approve", "受理", None), ("reviewer_market", "approve", "符合", None),
                                          ("inspector_site_survey", None, "合格", {"finding": "合格"}),
                                          ("leader_market", "approve", "准予", None)):
        case = work(api, case, user, decision, opinion, data=data)
        assert case["certificates"] == []  # nothing before 制证
    case = work(api, case, "reviewer_market", data={"scope": "热食类食品制售"}, opinion="")
    assert [c["number"] for c in case["certificates"]] == ["2026-XK-0001-Z00001"]


def test_a_failure_while_signing_rolls_the_step_back(app, api, monkeypatch):
    from app.documents.seal_keys import SealError

    case = register(api, "XK-0002")

    def broken():
        raise SealError("seal_missing", "没有电子印章", setting="ONESEAL_SEAL_PKCS12")
    monkeypatch.setattr(app.extensions["oneseal"].runtime.seals, "current", broken)
    refused = work(api, case, "window", "approve", "当场办结", expect=503)
    assert refused["code"] == "seal_missing"
    after = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert after["status"] == case["status"] and after["result"] is None and after["certificates"] == []
    assert [t["id"] for t in after["tasks"]] == [t["id"] for t in case["tasks"]]
    with app.extensions["oneseal"].db.session(write=False) as session:
        assert session.query(Certificate).count() == 0 and session.query(CertificateEvent).count() == 0


def test_a_required_field_left_empty_refuses_the_certificate_step(app, api):
    runtime = app.extensions["oneseal"].runtime
    from dataclasses import replace

    from app.domain.licences.certificates import CertificateTemplates
    template = runtime.certificate_templates.for_item("XK-0002")
    runtime.certificate_templates = CertificateTemplates({**runtime.certificate_templates.templates,
                                                          "XK-0002": replace(template, default_scope="")})
    refused = work(api, register(api, "XK-0002"), "window", "approve", "当场办结", expect=400)
    assert refused["code"] == "certificate_field_missing" and "经营项目" in refused["message"]


def test_public_verification_gives_the_licence_and_nothing_personal(api):
    _, certificate = issued(api, {"name": "张三餐饮店", "id_number": "92320000MA1XXXXX1", "address": "城关镇解放路12号"})
    response = public(api, certificate["number"], certificate["check_code"].lower())
    assert response.status_code == 200
    body = response.get_json()
    assert body["holder"] == "张三餐饮店" and body["status"] == "valid" and body["issuer"] == "县行政审批服务局"
    assert {"number", "holder", "item_code", "item_name", "status", "issued_at", "valid_until", "issuer"} <= set(body)
    text = response.get_data(as_text=True)
    assert "92320000MA1XXXXX1" not in text and "解放路" not in text and "check_code" not in text


def test_wrong_codes_and_unknown_numbers_get_the_same_404_then_429(api):
    _, certificate = issued(api)
    wrong = public(api, certificate["number"], "AAAAAAAA")
    unknown = public(api, "2026-XK-0002-Z09999", certificate["check_code"])
    nonsense = public(api, "2026-XK-0002-Z00001'--", "x")
    assert wrong.status_code == unknown.status_code == nonsense.status_code == 404
    assert wrong.get_json() == unknown.get_json()
    for _ in range(7):
        public(api, certificate["number"], "AAAAAAAA")
    assert public(api, certificate["number"], certificate["check_code"]).status_code == 429


def test_only_those_who_may_read_the_case_read_its_certificate(api):
    _, certificate = issued(api)
    number = certificate["number"]
    assert api.get(f"/api/v1/certificates/{number}", as_user="reviewer_market").status_code == 200
    assert api.get(f"/api/v1/certificates/{number}", as_user="auditor").status_code == 200
    assert api.get(f"/api/v1/certificates/{number}", as_user="reviewer_forestry").status_code == 403
    assert api.get(f"/api/v1/certificates/{number}/pdf", as_user="reviewer_forestry").status_code == 403
    assert api.get(f"/api/v1/certificates/{number}", as_user="designer").status_code == 403
    assert api.get(f"/api/v1/certificates/{number}").status_code == 401
    assert api.get("/api/v1/certificates/2026-XK-0002-Z09999", as_user="window").status_code == 404
    assert api.get("/api/v1/certificates", as_user="reviewer_forestry").get_json()["total"] == 0
    assert api.get("/api/v1/certificates", as_user="designer").status_code == 403


def test_the_registry_searches_by_number_holder_item_status_and_date(api):
    issued(api)
    issued(api, {"name": "李四超市"})
    def search(query: str) -> list[str]:
        response = api.get(f"/api/v1/certificates?{query}", as_user="window")
        assert response.status_code == 200, response.get_json()
        return [c["number"] for c in response.get_json()["items"]]
    assert search("holder=李四") == ["2026-XK-0002-Z00002"]
    assert search("number=Z00001") == ["2026-XK-0002-Z00001"]
    assert len(search("item=食品经营许可证&status=valid&from=2026-03-02&to=2026-03-02")) == 2
    assert search("from=2026-03-03") == [] and search("status=revoked") == []
    assert api.get("/api/v1/certificates?status=bogus", as_user="window").status_code == 400
    assert api.get("/api/v1/certificates?from=yesterday", as_user="window").status_code == 400


def test_a_change_supersedes_the_old_licence_with_a_new_one(api):
    _, old = issued(api)
    case = apply(api, old["number"], "change", holder="张三餐饮有限公司")
    assert case["kind"] == "licence_change" and case["item_name"] == "食品经营许可证变更"
    assert apply(api, old["number"], "renewal", expect=409)["code"] == "licence_application_pending"
    case = through(api, case, APPROVE_CHANGE)
    case = work(api, case, "reviewer_market", opinion="换发")
    (new,) = case["certificates"]
    detail = api.get(f"/api/v1/certificates/{new['number']}", as_user="window").get_json()
    assert detail["holder"] == "张三餐饮有限公司" and detail["supersedes"] == old["number"]
    assert detail["valid_until"] == old["valid_until"]
    before = public(api, old["number"], old["check_code"]).get_json()
    assert before["status"] == "superseded" and before["replaced_by"] == new["number"]
    assert apply(api, old["number"], "cancellation", expect=409)["code"] == "licence_not_valid"


def test_a_renewal_continues_the_term_and_a_cancellation_ends_the_licence(api):
    _, old = issued(api)
    case = through(api, apply(api, old["number"], "renewal"), APPROVE_CHANGE)
    case = work(api, case, "reviewer_market", opinion="延续")
    assert case["certificates"][0]["valid_until"] == "2036-03-01"
    renewed = case["certificates"][0]
    cancelled = through(api, apply(api, renewed["number"], "cancellation", reason="停业"), APPROVE_CHANGE)
    assert cancelled["certificates"] == []  # 注销 issues nothing
    assert public(api, renewed["number"], renewed["check_code"]).get_json()["status"] == "cancelled"
    history = api.get(f"/api/v1/certificates/{renewed['number']}", as_user="window").get_json()["history"]
    assert history[-1]["action"] == "cancelled" and history[-1]["case_number"] == cancelled["number"]


def test_applications_are_checked(api):
    _, certificate = issued(api)
    number = certificate["number"]
    assert apply(api, number, "merge", expect=400)["code"] == "invalid_licence_action"
    assert apply(api, number, "change", expect=400)["code"] == "change_without_content"
    assert apply(api, "2026-XK-0002-Z09999", "renewal", expect=404)["code"] == "certificate_not_found"
    response = api.post(f"/api/v1/certificates/{number}/applications", as_user="reviewer_market",
                        json={"action": "renewal"})
    assert response.status_code == 403


def test_the_seal_endpoints_give_the_chain_and_every_seal_used(api):
    issued(api)
    pem = api.get("/api/v1/public/seal")
    assert pem.status_code == 200 and pem.get_data(as_text=True).count("BEGIN CERTIFICATE") == 2
    assert "PRIVATE KEY" not in pem.get_data(as_text=True)
    seals = api.get("/api/v1/public/seals").get_json()["seals"]
    assert len(seals) == 1 and seals[0]["current"] and seals[0]["first_used_at"]
    assert "县行政审批服务局" in seals[0]["subject"]
