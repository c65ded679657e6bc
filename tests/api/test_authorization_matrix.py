"""Who may do what (RELIABILITY.md 12–15) on the pages and the API.

A reviewer of another department gets 403/404 and learns nothing through lists, counts or
search; auditors only read; every state-changing form needs the session's CSRF token; GET never
changes state; the session is rotated at login.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.persistence.models import AuditEvent, Case, TaskRecord
from tests.support.cases import register, work
from tests.support.pages import csrf, login, signed_in, text

OUTSIDER, AUDITOR = "reviewer_health", "auditor"


def snapshot(ext) -> tuple[Any, ...]:
    with ext.db.unit_of_work() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action != "login"))  # sign-ins are audited too
        tasks = session.execute(select(TaskRecord.id, TaskRecord.status, TaskRecord.claimed_by)
                                .order_by(TaskRecord.id)).all()
        cases = session.execute(select(Case.id, Case.version, Case.status).order_by(Case.id)).all()
    return events, tuple(tasks), tuple(cases)


@pytest.fixture
def claimed(api) -> tuple[dict, str]:
    """A case in review whose task reviewer_market holds."""
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    return case, task_id


def page_actions(task_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"/tasks/{task_id}/claim", {}),
        (f"/tasks/{task_id}/release", {}),
        (f"/tasks/{task_id}/transfer", {"to": "reviewer2_market"}),
        (f"/tasks/{task_id}/complete", {"decision": "approve", "opinion": "同意"}),
        ("/window", {"item_code": "XK-0001", "applicant_name": "越权", "materials": ["M01", "M02", "M03"],
                     "action": "accept"}),
    ]


def test_other_department_and_auditor_cannot_act_through_the_pages(app, ext, claimed):
    _, task_id = claimed
    before = snapshot(ext)
    for user in (OUTSIDER, AUDITOR, "leader_market"):  # leader: same department, other role
        client, token = signed_in(app, user)
        for path, data in page_actions(task_id):
            response = client.post(path, data={"csrf_token": token, **data})
            assert response.status_code == 403, (user, path, response.status_code)
        assert snapshot(ext) == before, user


def test_other_department_sees_nothing_on_pages(app, ext, claimed):
    case, task_id = claimed
    client, _ = signed_in(app, OUTSIDER)
    for path in (f"/tasks/{task_id}", f"/cases/{case['id']}", f"/cases/{case['id']}/diagram.json",
                 f"/cases/{case['id']}/receipt"):
        assert client.get(path).status_code == 403, path
    assert client.get("/tasks/no-such-task").status_code == 404
    assert client.get("/cases/999999").status_code == 404
    assert client.get("/window").status_code == 403
    for tab in ("mine", "department", "done"):
        page = text(client.get(f"/?tab={tab}&q={case['number']}"))
        assert "data-task=" not in page and "张三餐饮店" not in page and case["tasks"][0]["id"] not in page
        assert page.count('<span class="count"') == 3
        assert all(f'data-count="{t}">0<' in page for t in ("mine", "department", "done"))


def test_auditor_reads_but_gets_no_action_forms(app, claimed):
    case, task_id = claimed
    client, _ = signed_in(app, AUDITOR)
    page = text(client.get(f"/tasks/{task_id}"))
    assert "审查" in page and "/complete" not in page and "/claim" not in page and "转办" not in page
    assert case["number"] in text(client.get(f"/cases/{case['id']}"))
    assert client.get(f"/cases/{case['id']}/receipt").status_code == 403


def test_other_department_and_auditor_cannot_act_through_the_api(api, ext, claimed):
    case, task_id = claimed
    before = snapshot(ext)
    for user in (OUTSIDER, AUDITOR):
        for action, body in (("claim", {}), ("release", {}), ("transfer", {"to": "reviewer2_market"}),
                             ("complete", {"decision": "approve", "opinion": "同意"})):
            response = api.post(f"/api/v1/tasks/{task_id}/{action}", as_user=user, json=body)
            assert response.status_code == 403, (user, action, response.get_json())
        assert api.post("/api/v1/cases", as_user=user, json={
            "item_code": "XK-0001", "applicant": {"name": "越权"}}).status_code == 403
    assert snapshot(ext) == before
    for path in (f"/api/v1/cases/{case['id']}", f"/api/v1/cases/{case['id']}/diagram"):
        assert api.get(path, as_user=OUTSIDER).status_code == 403
        assert api.get(path, as_user=AUDITOR).status_code == 200
    assert api.get("/api/v1/cases/999999/diagram", as_user=AUDITOR).status_code == 404
    for tab in ("mine", "department", "done"):
        body = api.get(f"/api/v1/tasks?tab={tab}&q={case['number']}", as_user=OUTSIDER).get_json()
        assert body["items"] == [] and body["counts"] == {"mine": 0, "department": 0, "done": 0}


def _page_rules(app: Any, method: str) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("pages.") and method in (rule.methods or set())]


def _fill(rule: Any, case_id: int, task_id: str) -> str:
    values = {"case_id": case_id, "task_id": task_id, "filename": "bpmn-navigated-viewer.production.min.js"}
    return rule.rule.replace("<int:case_id>", str(case_id)).replace("<task_id>", task_id) \
        .replace("<path:filename>", values["filename"])


def test_every_state_changing_form_needs_the_csrf_token(app, ext, claimed):
    case, task_id = claimed
    rules = _page_rules(app, "POST")
    assert {r.endpoint for r in rules} >= {"pages.login", "pages.logout", "pages.claim", "pages.release",
                                           "pages.transfer", "pages.complete", "pages.register", "pages.progress"}
    client, token = signed_in(app, "reviewer_market")
    before = snapshot(ext)
    for rule in rules:
        path = _fill(rule, case["id"], task_id)
        for sent in ({}, {"csrf_token": "forged"}):
            response = client.post(path, data={**sent, "decision": "approve", "opinion": "x"})
            assert response.status_code == 400, (path, sent)
    assert snapshot(ext) == before
    assert client.get("/").status_code == 200  # logout without a token did nothing
    response = client.post(f"/tasks/{task_id}/release", headers={"X-CSRF-Token": token},
                           data={}, environ_base={"HTTP_ACCEPT": "application/json"})
    assert response.status_code == 200 and response.get_json()["task"]["claimed_by"] is None


def test_get_never_changes_state(app, api, ext, claimed):
    case, task_id = claimed
    before = snapshot(ext)
    rules = [r for r in _page_rules(app, "GET") if r.endpoint != "pages.static"]
    assert len(rules) >= 9
    for user in ("reviewer_market", "window", AUDITOR, OUTSIDER):
        client, _ = signed_in(app, user)
        after_login = snapshot(ext)
        for rule in rules:
            response = client.get(_fill(rule, case["id"], task_id))
            assert response.status_code < 500, (user, rule.rule)
        assert snapshot(ext) == after_login == before, user


def test_session_is_rotated_at_login(app):
    client = app.test_client()
    anonymous = csrf(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "reviewer_market")
    with client.session_transaction() as session:
        assert "planted" not in session and session["csrf"] != anonymous
    assert client.post("/logout", data={"csrf_token": anonymous}).status_code == 400
    with client.session_transaction() as session:
        token = session["csrf"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302  # signed out


def test_a_deactivated_user_is_signed_out(app, ext):
    from sqlalchemy import update

    from app.persistence.models import User
    client, _ = signed_in(app, "reviewer_market")
    with ext.db.unit_of_work() as session:
        session.execute(update(User).where(User.username == "reviewer_market").values(active=False))
    response = client.get("/")  # the session holds no more: back to the login page
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "sid" not in session


def test_designers_read_process_data_and_no_personal_data(app, api, claimed):
    """Designers work on diagrams and rules: a case's path through its diagram is theirs to
    read, the applicant (name, contact, identity numbers, address), materials and opinions are not."""
    case, task_id = claimed
    refused = api.get(f"/api/v1/cases/{case['id']}", as_user="designer")
    assert refused.status_code == 403 and refused.get_json()["code"] == "personal_data_not_for_role"
    assert "流程设计人员" in refused.get_json()["message"]
    diagram = api.get(f"/api/v1/cases/{case['id']}/diagram", as_user="designer")
    assert diagram.status_code == 200
    body = diagram.get_data(as_text=True)
    assert diagram.get_json()["active"] == ["review_application"]
    for personal in ("张三", "0910-1234567", case["number"]):
        assert personal not in body, personal
    client, _ = signed_in(app, "designer")
    for path in (f"/tasks/{task_id}", f"/cases/{case['id']}", f"/cases/{case['id']}/receipt"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/cases/{case['id']}/diagram.json").status_code == 200
    for tab in ("mine", "department", "done"):
        page = text(client.get(f"/?tab={tab}&q=张三"))
        assert "张三餐饮店" not in page and "data-task=" not in page
        listed = api.get(f"/api/v1/tasks?tab={tab}&q=张三", as_user="designer").get_json()
        assert listed["items"] == [] and listed["counts"] == {"mine": 0, "department": 0, "done": 0}
    for user in ("window", AUDITOR, "admin", "reviewer_market"):  # the roles that need the applicant
        assert "张三餐饮店" in api.get(f"/api/v1/cases/{case['id']}", as_user=user).get_data(as_text=True), user
