"""Findings pushed back by supervisors (监管发现): a finding opens a case at the bureau, its result
moves the licence and goes back as ``finding.resolved``; signed calls from a department's own
system; replays land once; bad input is a clear 4xx."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.licences.supervision_push import signature
from app.jobs import push
from app.jobs.context import JobContext
from app.persistence.models import Case
from app.persistence.tables.push import SupervisionFinding
from tests.support.certificates import issued, through
from tests.support.push_receiver import Receiver

SECRET = "department-secret-0123456789"


@pytest.fixture
def settings(settings: Any) -> Any:
    return replace(settings, supervision_allowed_hosts="127.0.0.1", delivery_timeout_s=2)


@pytest.fixture
def receiver(api: Any) -> Any:
    receiver = Receiver(secret=SECRET).start()
    response = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                       json={"url": receiver.url, "secret": SECRET})
    assert response.status_code == 201
    yield receiver
    receiver.stop()


def post_finding(api: Any, body: dict[str, Any], key: str = "f-1", user: str = "supervisor_market",
                 expect: int = 201) -> Any:
    response = api.post("/api/v1/supervision/findings", as_user=user, json=body, headers={"Idempotency-Key": key})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def case_of(api: Any, case_id: int) -> Any:
    return api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()


def deliver(ext: Any) -> None:
    push.deliver_due(JobContext(ext.db, ext.runtime))


def test_a_revocation_finding_runs_with_a_hearing_and_the_result_goes_back(api, ext, receiver):
    _case, certificate = issued(api)
    number = certificate["number"]
    receipt = post_finding(api, {"licence_number": number, "action": "revoke", "reason": "以欺骗手段取得许可",
                                 "evidence": [{"name": "现场检查笔录", "description": "2026-03-02 检查"}]})
    assert set(receipt) == {"id", "case_id", "case_number"}
    case = case_of(api, receipt["case_id"])
    assert case["number"] == receipt["case_number"] and case["tasks"][0]["name"] == "核实监管发现"
    inbox = api.get("/api/v1/tasks?tab=department", as_user="reviewer_market").get_json()["items"]
    assert any(t["case"]["number"] == receipt["case_number"] for t in inbox)
    case = through(api, case, [("reviewer_market", "act", "情况属实")])
    assert case["tasks"][0]["name"] == "听证告知与听证"
    from tests.support.cases import work
    case = work(api, case, "reviewer_market", opinion="当事人书面放弃", data={"hearing": "当事人放弃听证"})
    assert case["tasks"][0]["name"] == "撤销决定"
    case = through(api, case, [("leader_market", "revoke", "依法撤销")])
    assert api.get(f"/api/v1/certificates/{number}", as_user="window").get_json()["status"] == "revoked"
    case = work(api, case, "window", opinion="", data={"delivery": "窗口领取"})
    assert case["status"] == "completed" and case["result"] == "revoked"
    deliver(ext)
    assert receiver.types() == ["licence.granted", "licence.revoked", "finding.resolved"]
    answer = receiver.received[2].event
    assert answer["finding"]["id"] == receipt["id"] and answer["finding"]["outcome"] == "revoked"
    assert answer["licence"]["status"] == "revoked" and answer["case"]["number"] == receipt["case_number"]
    findings = api.get("/api/v1/supervision/findings", as_user="supervisor_market").get_json()
    assert findings["total"] == 1 and findings["findings"][0]["state"] == "resolved"
    again = post_finding(api, {"licence_number": number, "action": "revoke", "reason": "再次"}, key="f-2", expect=409)
    assert again["code"] == "licence_not_in_force"


def test_a_withdrawal_finding_withdraws_only_that_licence(api, ext, receiver):
    _case, certificate = issued(api)
    receipt = post_finding(api, {"licence_number": certificate["number"], "action": "withdraw",
                                 "reason": "许可所依据的规章已修改"})
    case = through(api, case_of(api, receipt["case_id"]), [("reviewer_market", "act", "属实")])
    assert case["tasks"][0]["name"] == "撤回决定"
    case = through(api, case, [("leader_market", "withdraw", "依法撤回")])
    detail = api.get(f"/api/v1/certificates/{certificate['number']}", as_user="window").get_json()
    assert detail["status"] == "withdrawn"
    deliver(ext)
    assert receiver.types() == ["licence.granted", "licence.withdrawn"]


def test_a_cancellation_finding_runs_the_licence_change_process(api, ext, receiver):
    from tests.support.certificates import APPROVE_CHANGE

    _case, certificate = issued(api)
    receipt = post_finding(api, {"licence_number": certificate["number"], "action": "cancel", "reason": "已歇业"})
    case = case_of(api, receipt["case_id"])
    assert case["kind"] == "licence_change"
    through(api, case, APPROVE_CHANGE)
    assert api.get(f"/api/v1/certificates/{certificate['number']}", as_user="window").get_json()["status"] == "cancelled"
    deliver(ext)
    assert receiver.types()[:2] == ["licence.granted", "licence.cancelled"]


def test_a_replayed_finding_gets_the_same_answer_and_opens_one_case(api, ext):
    _case, certificate = issued(api)
    body = {"licence_number": certificate["number"], "action": "revoke", "reason": "虚假承诺"}
    first = post_finding(api, body, key="same")
    second = api.post("/api/v1/supervision/findings", as_user="supervisor_market", json=body,
                      headers={"Idempotency-Key": "same"})
    assert second.status_code == 201 and second.get_json() == first and second.headers["Idempotent-Replay"] == "true"
    with ext.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(SupervisionFinding)) == 1
        assert session.scalar(select(func.count()).select_from(Case).where(Case.kind == "revocation")) == 1
    missing = api.post("/api/v1/supervision/findings", as_user="supervisor_market", json=body)
    assert missing.status_code == 400 and missing.get_json()["code"] == "idempotency_key_required"


def test_a_department_system_may_sign_its_finding_instead_of_a_token(api, ext, receiver):
    _case, certificate = issued(api)
    body = json.dumps({"licence_number": certificate["number"], "action": "revoke", "reason": "系统比对发现"},
                      ensure_ascii=False).encode()

    def send(signed: str, department: str = "market", key: str = "sys-1") -> Any:
        return api.http.post("/api/v1/supervision/findings", data=body, content_type="application/json",
                             headers={"OneSeal-Signature": signed, "OneSeal-Department": department,
                                      "Idempotency-Key": key})
    now = int(time.time())
    stale = send(signature(SECRET, now - 3600, body))
    assert stale.status_code == 401 and stale.get_json()["code"] == "bad_signature"
    wrong = send(signature("another-secret-0123456789", now, body))
    assert wrong.status_code == 401 and "签名不正确" in wrong.get_json()["message"]
    unknown = send(signature(SECRET, now, body), department="health")
    assert unknown.status_code == 401
    tampered = api.http.post("/api/v1/supervision/findings", data=body.replace(b"revoke", b"cancel"),
                             content_type="application/json",
                             headers={"OneSeal-Signature": signature(SECRET, now, body), "OneSeal-Department": "market",
                                      "Idempotency-Key": "sys-x"})
    assert tampered.status_code == 401
    good = send(signature(SECRET, now, body))
    assert good.status_code == 201, good.get_json()
    replayed = send(good.request.headers["OneSeal-Signature"], key="another-key")  # captured and sent again
    assert replayed.status_code == 201 and replayed.get_json() == good.get_json()
    assert replayed.headers.get("Idempotent-Replay") == "true"
    with ext.db.session(write=False) as session:
        finding = session.scalar(select(SupervisionFinding))
        assert finding is not None and finding.received_by == "department:market"


def test_bad_findings_are_refused_with_a_reason(api):
    _case, certificate = issued(api)
    number = certificate["number"]
    cases = [
        ({"licence_number": "2026-XK-0002-Z99999", "action": "revoke", "reason": "x"}, "supervisor_market", 404,
         "licence_not_found"),
        ({"licence_number": number, "action": "revoke", "reason": "x"}, "supervisor_health", 403,
         "licence_not_supervised"),
        ({"licence_number": number, "action": "burn", "reason": "x"}, "supervisor_market", 400, "invalid_finding_action"),
        ({"licence_number": number, "action": "revoke", "reason": "  "}, "supervisor_market", 400, "invalid_field"),
        ({"licence_number": number, "action": "revoke", "reason": "x", "evidence": "photo"}, "supervisor_market", 400,
         "invalid_evidence"),
        ({"licence_number": number, "action": "revoke", "reason": "x", "extra": 1}, "supervisor_market", 400,
         "unknown_field"),
        ({"licence_number": number, "action": "revoke", "reason": "x"}, "reviewer_market", 403, "role_not_allowed"),
        ({"licence_number": number, "action": "revoke", "reason": "x" * 2001}, "supervisor_market", 400,
         "invalid_field"),
    ]
    for index, (body, user, status, code) in enumerate(cases):
        answer = post_finding(api, body, key=f"bad-{index}", user=user, expect=status)
        assert answer["code"] == code, (body, answer)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"])
    post_finding(api, {"licence_number": number, "action": "revoke", "reason": "属实"}, key="ok")
    pending = post_finding(api, {"licence_number": number, "action": "cancel", "reason": "又一件"}, key="ok2",
                           expect=409)
    assert pending["code"] == "finding_pending"


def test_supervisors_see_only_their_own_findings_and_never_the_bureaus_cases(api):
    case, certificate = issued(api)
    receipt = post_finding(api, {"licence_number": certificate["number"], "action": "revoke", "reason": "属实"})
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="supervisor_market").status_code == 403
    assert api.get(f"/api/v1/cases/{receipt['case_id']}", as_user="supervisor_market").status_code == 200
    assert api.get(f"/api/v1/cases/{receipt['case_id']}", as_user="supervisor_health").status_code == 403
    assert api.get("/api/v1/cases", as_user="supervisor_market").status_code == 403
    assert api.get("/api/v1/supervision/findings", as_user="supervisor_health").get_json()["total"] == 0
    assert api.get("/api/v1/supervision/findings?department=market", as_user="supervisor_health").status_code == 403
    events = api.get("/api/v1/supervision/events", as_user="supervisor_health").get_json()
    assert events["total"] == 0
    assert api.get("/api/v1/supervision/events", as_user="supervisor_market").get_json()["total"] == 1
    assert api.get("/api/v1/supervision/endpoints", as_user="supervisor_market").status_code == 403


def test_the_finding_is_shown_on_the_case_page_and_in_the_api(api, app):
    _case, certificate = issued(api)
    receipt = post_finding(api, {"licence_number": certificate["number"], "action": "revoke", "reason": "以欺骗手段取得许可",
                                 "evidence": [{"name": "现场检查笔录", "description": "经营场所与申报不符"}]})
    detail = case_of(api, receipt["case_id"])
    assert detail["finding"]["reason"] == "以欺骗手段取得许可" and detail["finding"]["action_label"] == "撤销"
    assert detail["finding"]["department_name"] == "市场监督管理局"
    from tests.support.pages import signed_in
    client, _token = signed_in(app, "reviewer_market")
    task_id = detail["tasks"][0]["id"]
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="section-finding"' in page and "经营场所与申报不符" in page and "以欺骗手段取得许可" in page
    assert page.index('class="card" id="section-finding"') < page.index('class="card" id="section-links"')


def test_the_supervision_desk_shows_each_department_and_a_failed_delivery_can_be_redelivered(api, app, ext, clock):
    from sqlalchemy import update

    from app.persistence.tables.push import SupervisionDelivery
    from tests.support.pages import signed_in

    _case, certificate = issued(api)
    post_finding(api, {"licence_number": certificate["number"], "action": "revoke", "reason": "属实"})
    with ext.db.unit_of_work() as session:
        session.execute(update(SupervisionDelivery).values(state="failed", attempts=8, last_error="接收方超时未答复"))
    admin, _token = signed_in(app, "admin")
    page = admin.get("/supervision").get_data(as_text=True)
    assert "监管推送工作台" in page and "市场监督管理局" in page and "接收方超时未答复" in page
    assert "重新投递" in page and 'data-state="failed"' in page
    summary = api.get("/api/v1/supervision/summary", as_user="admin").get_json()["departments"]
    market = next(d for d in summary if d["department"] == "market")
    assert market["pushed"] == 1 and market["failed"] == 1 and market["findings"] == 1 and market["findings_open"] == 1
    supervisor, _token = signed_in(app, "supervisor_health")
    assert supervisor.get("/").headers["Location"].endswith("/supervision")  # their desk, not an inbox
    own = supervisor.get("/supervision").get_data(as_text=True)
    assert "市场监督管理局" not in own and "仅显示本部门" in own and "重新投递" not in own
    assert supervisor.get("/cases/search").status_code == 403
    reviewer, _token = signed_in(app, "reviewer_market")
    assert reviewer.get("/supervision").status_code == 403


def test_a_commitment_licence_tells_the_supervisor_its_post_check_is_due(api, ext):
    from tests.support.commitment import approved

    case = approved(api)
    receiver = Receiver(secret=SECRET).start()
    try:
        api.put("/api/v1/supervision/endpoints/agriculture", as_user="admin",
                json={"url": receiver.url, "secret": SECRET})
        deliver(ext)
        assert receiver.types() == ["licence.granted", "commitment.check_due"]
        check = receiver.received[1].event["check"]
        assert check["working_days"] == 20 and check["due_date"] == case["time_limit"]["due_date"]
    finally:
        receiver.stop()
    summary = api.get("/api/v1/supervision/summary?department=agriculture", as_user="leader_market").get_json()
    assert summary["departments"][0]["checks_due"] == 1 and summary["departments"][0]["checks_overdue"] == 0


@pytest.mark.parametrize("stamp", ["\u00b2", "\u00bd", "\u00b9\u00b2\u00b3"])
def test_a_timestamp_of_digit_like_characters_is_a_bad_signature(api, ext, receiver, stamp):
    """``t=²`` (a character Python counts as a digit but cannot read as a number) is a 401, not a 500."""
    _case, certificate = issued(api)
    body = json.dumps({"licence_number": certificate["number"], "action": "revoke", "reason": "x"}).encode()
    mac = signature(SECRET, int(time.time()), body).partition("v1=")[2]
    answer = api.http.post("/api/v1/supervision/findings", data=body, content_type="application/json",
                           headers={"OneSeal-Signature": f"t={stamp},v1={mac}", "OneSeal-Department": "market",
                                    "Idempotency-Key": "odd-stamp"})
    assert answer.status_code == 401 and answer.get_json()["code"] == "bad_signature", answer.get_json()


@pytest.mark.parametrize("action", ["revoke", "withdraw"])
def test_the_window_cannot_open_a_second_case_while_a_finding_is_open(api, ext, action):
    """A 撤销/撤回 finding's case is about the licence: no 变更/注销 application beside it."""
    from tests.support.certificates import apply

    _case, certificate = issued(api)
    post_finding(api, {"licence_number": certificate["number"], "action": action, "reason": "属实"})
    for wanted, extra in (("change", {"scope": "散装食品销售"}), ("cancellation", {"reason": "停业"})):
        refused = apply(api, certificate["number"], wanted, expect=409, **extra)
        assert refused["code"] == "finding_pending" and "监管发现" in refused["message"], refused
    with ext.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.completed_at.is_(None),
                                                                           Case.parent_case_id.is_not(None))) == 1


@pytest.mark.parametrize("given", ["\u00e9\u00e9", "\u00ff" * 64, "0" * 64 + ",v1=\u00e9"])
def test_a_signature_of_non_ascii_characters_is_a_bad_signature(api, ext, receiver, given):
    """``v1=éé`` (latin-1 in the header) is a 401, not a 500."""
    _case, certificate = issued(api)
    body = json.dumps({"licence_number": certificate["number"], "action": "revoke", "reason": "x"}).encode()
    answer = api.http.post("/api/v1/supervision/findings", data=body, content_type="application/json",
                           headers={"OneSeal-Signature": f"t={int(time.time())},v1={given}",
                                    "OneSeal-Department": "market", "Idempotency-Key": "odd-mac"})
    assert answer.status_code == 401 and answer.get_json()["code"] == "bad_signature", answer.get_json()


def test_no_finding_while_the_bureaus_own_revocation_of_the_licence_is_under_way(api):
    from tests.support.commitment import approved, complete

    case = approved(api)  # 告知承诺: licensed on the spot, 事后核查 pending
    number = case["certificates"][0]["number"]
    complete(api, case, "事后核查", "inspector_site_survey", decision="fail", opinion="承诺不实")  # opens 撤销
    refused = post_finding(api, {"licence_number": number, "action": "revoke", "reason": "同一问题"},
                           user="supervisor_agriculture", expect=409)
    assert refused["code"] == "revocation_pending" and "撤销程序" in refused["message"]


def test_the_desk_counts_findings_and_post_checks_that_are_overdue(api, clock):
    from tests.support.commitment import approved

    case = approved(api)  # 告知承诺: the supervisor's post-check is due in 20 working days
    _case, certificate = issued(api)
    post_finding(api, {"licence_number": certificate["number"], "action": "revoke", "reason": "属实"})

    def figures(department: str) -> dict[str, Any]:
        summary = api.get(f"/api/v1/supervision/summary?department={department}", as_user="admin").get_json()
        return summary["departments"][0]
    assert (figures("market")["findings_overdue"], figures("agriculture")["checks_overdue"]) == (0, 0)
    from datetime import date, timedelta
    later = date.fromisoformat(case["time_limit"]["due_date"]) + timedelta(days=40)
    clock.set(clock.now().replace(year=later.year, month=later.month, day=later.day))
    api.tokens.clear()  # tokens expire with the clock moved
    assert figures("market")["findings_overdue"] == 1 and figures("market")["findings_open"] == 1
    assert figures("agriculture")["checks_overdue"] == 1 and figures("agriculture")["checks_due"] == 0
    listed = api.get("/api/v1/supervision/findings", as_user="supervisor_market").get_json()["findings"]
    assert listed[0]["overdue"] is True
