"""The auditor's read-only boundary, as an authorization matrix over every route of the app.

Every route that accepts POST, PUT, PATCH or DELETE is enumerated from the URL map, so a route
added later is covered without editing this file: as the auditor (signed in, with a valid
CSRF token for pages) each must answer 403 and change nothing. The only exceptions are
signing in and out, POST routes that compute without storing (listed, and checked to
change nothing), and the auditors' own workshop (``@api(workspace=True)``: their scenario
library and its runs in sandboxes), checked to change nothing but the workshop's own tables.
Reading stays open: any case of any department, the trail, exports, reports.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from app.persistence.models import Base
from tests.support.api import PASSWORD
from tests.support.cases import register, work
from tests.support.pages import csrf, login

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: signing in and out, one's own password: they create or end a session or a token, never change a case
SESSION_ENDPOINTS = {"api.create_token", "pages.login", "pages.logout", "pages.change_password"}
#: POST routes that compute an answer and store nothing (auditors may use them)
READ_ONLY_POSTS = {"api.evaluate_inspection_rules", "process_models_api.validate", "modeler.api.validate",
                   "process_models_api.check_expression", "modeler.api.check_expression",
                   "workshop_api.check_scenario", "workshop.api.check_scenario"}
#: the auditors' workshop: the only tables an auditor's write may change
WORKSHOP_TABLES = {"scenario_documents", "scenario_revisions", "scenario_runs", "scenario_run_results"}
FACTS = {"requires_site_inspection": True, "departments_involved": 1, "parallel_approval": False,
         "risk_level": "low", "technical": False, "bureau_qualified": True}


def _workspace(app: Any, rule: Any) -> bool:
    return bool(getattr(app.view_functions[rule.endpoint], "workspace", False))


def _state_changing(app: Any) -> list[Any]:
    rules = [r for r in app.url_map.iter_rules() if r.methods & WRITE_METHODS and not _workspace(app, r)]
    return sorted((r for r in rules if r.endpoint not in SESSION_ENDPOINTS | READ_ONLY_POSTS),
                  key=lambda r: r.rule)


def _url(rule: Any, case: dict[str, Any]) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = case["id"] if isinstance(rule._converters[name], IntegerConverter) else case["tasks"][0]["id"]
    return rule.build(values)[1]


def _snapshot(ext: Any) -> dict[str, Any]:
    """Row counts of every table plus every case's version: any change shows."""
    from app.persistence.models import Case, TaskRecord

    with ext.db.session(write=False) as session:
        counts = {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        versions = sorted(session.execute(select(Case.id, Case.version, Case.status)).all())
        tasks = sorted(session.execute(select(TaskRecord.id, TaskRecord.status, TaskRecord.claimed_by)).all())
    return {"counts": counts, "cases": versions, "tasks": tasks}


@pytest.fixture
def case(api: Any) -> dict[str, Any]:
    """A case accepted at the window, waiting at 审查 in 市场监督管理局."""
    return work(api, register(api), "window", "approve")


def test_every_state_changing_api_route_is_a_guarded_write(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or not rule.methods & WRITE_METHODS:
            continue
        if rule.endpoint in SESSION_ENDPOINTS | READ_ONLY_POSTS:
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "writes", False), (
            f"{rule.rule} 接受 {sorted(rule.methods & WRITE_METHODS)}，但不是 edge.api(write=True)：审计只读规则无法保证")


def test_auditor_gets_403_on_every_state_changing_api_route_and_nothing_changes(app, ext, api, case):
    api.token("auditor")
    before = _snapshot(ext)
    rules = _state_changing(app)
    assert {"api.create_case", "api.claim", "api.release", "api.complete"} <= {r.endpoint for r in rules}
    for rule in (r for r in rules if r.rule.startswith("/api/")):
        for method in sorted(rule.methods & WRITE_METHODS):
            response = api.http.open(_url(rule, case), method=method, json={"decision": "approve", "opinion": "同意"},
                                     headers={"Authorization": f"Bearer {api.token('auditor')}",
                                              "Idempotency-Key": f"auditor-{rule.endpoint}"})
            assert response.status_code == 403, (rule.rule, method, response.get_json())
            body = response.get_json()
            assert body["code"] == "read_only_role" and "只读" in body["message"], (rule.rule, body)
    assert _snapshot(ext) == before


def test_auditor_gets_403_on_every_page_form_and_nothing_changes(app, ext, case):
    client = app.test_client()
    login(client, "auditor")
    token = csrf(client, "/")
    before = _snapshot(ext)
    rules = [r for r in _state_changing(app) if not r.rule.startswith("/api/")]
    assert {"pages.claim", "pages.release", "pages.complete", "pages.register"} <= {r.endpoint for r in rules}
    for rule in rules:
        for method in sorted(rule.methods & WRITE_METHODS):
            response = client.open(_url(rule, case), method=method,
                                   data={"csrf_token": token, "decision": "approve", "opinion": "同意",
                                         "item_code": "XK-0001", "applicant_name": "审计试填"})
            assert response.status_code == 403, (rule.rule, method, response.status_code)
    assert _snapshot(ext) == before
    changed = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                     "new": "审计员的新密码-1", "confirm": "审计员的新密码-1"})
    assert changed.status_code == 302  # one's own password is not bureau data
    token = csrf(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302  # signing out still works


def test_read_only_posts_change_nothing(ext, api, case):
    api.token("designer")  # signing in is an event of its own
    before = _snapshot(ext)
    response = api.post("/api/v1/rules/inspection/evaluate", as_user="designer", json={"facts": FACTS})
    assert response.status_code == 200 and response.get_json()["outcome"] == "independent"
    assert _snapshot(ext) == before


def test_the_auditors_workshop_is_the_only_thing_they_write_and_it_touches_no_case(app, ext, api, case):
    workspace = sorted({r.endpoint for r in app.url_map.iter_rules()
                        if r.methods & WRITE_METHODS and _workspace(app, r)})
    assert workspace == sorted({"workshop_api.create_scenario", "workshop_api.save_scenario",
                                "workshop_api.import_baseline", "workshop_api.start_run",
                                "workshop_api.check_scenario", "workshop.api.create_scenario",
                                "workshop.api.save_scenario", "workshop.api.import_baseline",
                                "workshop.api.start_run", "workshop.api.check_scenario"})
    text = ("# language: zh-CN\n功能: 审计员的场景\n  场景: 受理\n"
            "    假如综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料\n"
            "    当“window”在“受理”环节作出“受理”决定，意见为“予以受理”\n    那么办件状态为“审查中”\n")
    api.token("auditor")
    before = _snapshot(ext)
    saved = api.post("/api/v1/scenarios", as_user="auditor", json={"name": "审计员的场景", "text": text})
    assert saved.status_code == 201
    assert api.post("/api/v1/scenario-runs", as_user="auditor", json={"text": text}).status_code == 202
    client = app.test_client()
    token = login(client, "auditor")
    browser = client.post("/audit/workshop/api/scenarios", json={"name": "浏览器中保存", "text": text},
                          headers={"X-CSRF-Token": token})
    assert browser.status_code == 201, browser.get_json()
    forged = client.post("/audit/workshop/api/scenarios", json={"name": "无令牌", "text": text})
    assert forged.status_code == 400 and forged.get_json()["code"] == "csrf_invalid"
    after = _snapshot(ext)
    assert after["cases"] == before["cases"] and after["tasks"] == before["tasks"]
    changed = {t for t in after["counts"] if after["counts"][t] != before["counts"][t]}
    assert changed <= WORKSHOP_TABLES | {"web_sessions", "audit_events"}, changed  # the browser's login
    with ext.db.session(write=False) as session:
        from app.persistence.models import AuditEvent
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.id > before["counts"]["audit_events"])))
    assert actions <= {"login"}


def test_the_same_routes_still_work_for_the_roles_that_own_them(api, case):
    """The guard is about auditors only: the reviewer claims what the auditor could not."""
    task_id = case["tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="auditor").status_code == 403
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200


def test_auditor_reads_every_case_the_trail_exports_and_reports(app, api, case):
    other = register(api, "XK-0002")  # another item, another department's case
    for case_id in (case["id"], other["id"]):
        response = api.get(f"/api/v1/cases/{case_id}", as_user="auditor")
        assert response.status_code == 200 and response.get_json()["history"]
    assert api.get("/api/v1/audit/events", as_user="auditor").status_code == 200
    assert api.get("/api/v1/audit/events.csv", as_user="auditor").status_code == 200
    client = app.test_client()
    login(client, "auditor")
    for path in (f"/cases/{case['id']}", "/audit/", "/audit/verify", "/audit/coverage", "/audit/scenarios",
                 "/audit/events.json"):
        assert client.get(path).status_code == 200, path


def test_the_guard_covers_routes_added_later(app):
    """A form or write endpoint added tomorrow is refused to auditors without its own check."""
    from app.web.edge.api import api as api_route

    changed: list[str] = []
    app.add_url_rule("/probe/form", "probe_form", lambda: changed.append("form") or "ok", methods=["POST"])
    app.add_url_rule("/api/v1/probe", "probe_api",
                     api_route(write=True)(lambda call: (changed.append("api") or {"ok": True}, 200)),
                     methods=["POST"])
    for username, expected in (("auditor", 403), ("window", 200)):
        client = app.test_client()
        login(client, username)
        assert client.post("/probe/form", data={"csrf_token": csrf(client, "/")}).status_code == expected
        token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()["token"]
        response = client.post("/api/v1/probe", json={}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == expected, response.get_json()
    assert changed == ["form", "api"]
