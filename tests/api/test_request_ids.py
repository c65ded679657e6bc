"""Every request has an id: answered in ``X-Request-Id``, written in the audit events it causes
(inside their hash) and in its JSON log line; an incoming id is believed only from a trusted
proxy, and only when it is well-formed."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text

from app import create_app
from app.observability.logs import ACCESS_LOGGER, JsonFormatter
from app.persistence.audit.chain import verify_chain
from app.persistence.models import AuditEvent
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped
from tests.support.api import PASSWORD, ApiClient
from tests.support.cases import register, work


def _app(settings: Any, clock: Any, **changes: Any) -> Any:
    app = create_app(replace(settings, **changes), clock=clock, warm=False)
    ext = app.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)
    return app


@pytest.fixture
def behind_proxy(settings, clock):
    """The service behind a proxy at 127.0.0.1 (the test client's address)."""
    app = _app(settings, clock, trusted_proxies="127.0.0.1")
    yield app
    app.extensions["oneseal"].db.dispose()


def _events(app: Any, case_id: int) -> list[AuditEvent]:
    with app.extensions["oneseal"].db.session(write=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)))


def test_the_request_id_of_a_completion_is_in_its_audit_event(behind_proxy):
    api = ApiClient(behind_proxy.test_client())
    case = register(api)
    task = case["tasks"][0]
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user="window",
                        json={"decision": "approve", "opinion": "同意", "data": {}},
                        headers={"X-Request-Id": "nginx-3f2a9c1d7e"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "nginx-3f2a9c1d7e"
    completed = [e for e in _events(behind_proxy, case["id"]) if e.action == "task_completed"]
    assert [e.request_id for e in completed] == ["nginx-3f2a9c1d7e"]
    # every event of that request carries it, and only those
    by_request = {e.action: e.request_id for e in _events(behind_proxy, case["id"])}
    assert by_request["case_registered"] not in (None, "nginx-3f2a9c1d7e")


def test_an_id_is_made_when_none_comes_and_each_request_has_its_own(api, app):
    case = register(api)
    after = work(api, case, "window", "approve")
    ids = {e.action: e.request_id for e in _events(app, case["id"])}
    assert ids["case_registered"] and ids["task_completed"] and ids["case_registered"] != ids["task_completed"]
    first, second = api.get("/api/v1/items", as_user="window"), api.get("/api/v1/items", as_user="window")
    assert len(first.headers["X-Request-Id"]) == 32 and first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert after["status"] == "in_review"


def test_a_clients_own_id_is_not_believed_without_a_trusted_proxy(api, app):
    response = api.get("/api/v1/items", as_user="window", headers={"X-Request-Id": "forged-by-client-1"})
    assert response.headers["X-Request-Id"] != "forged-by-client-1"


@pytest.mark.parametrize("incoming", ["short", "x" * 65, "has space in it", "dröp-table-1", "a\u0000bcdefghij",
                                      "<script>alert(1)</script>", "../../../etc/passwd"])
def test_an_odd_incoming_id_is_replaced_not_refused(behind_proxy, incoming):
    response = behind_proxy.test_client().get("/api/v1/items", headers={"X-Request-Id": incoming})
    assert response.status_code in (400, 401)  # refused or asked to sign in as ever; never a 500
    assert response.headers["X-Request-Id"] != incoming and len(response.headers["X-Request-Id"]) == 32


def test_the_request_id_is_hashed_with_the_event(behind_proxy):
    """Changing an event's request id afterwards breaks the chain like any other edit."""
    api = ApiClient(behind_proxy.test_client())
    case = register(api)
    db = behind_proxy.extensions["oneseal"].db
    with db.session(write=False) as session:
        assert verify_chain(session)[1] is None
    event = next(e for e in _events(behind_proxy, case["id"]) if e.action == "case_registered")
    with db.write_engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        conn.execute(text("UPDATE audit_events SET request_id = 'someone-else-42' WHERE id = :id"), {"id": event.id})
        if not db.is_sqlite:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
    with db.session(write=False) as session:
        checked, broken = verify_chain(session)
    assert broken is not None and broken.event_id == event.id and broken.kind == "altered"


def test_events_written_outside_a_request_hash_as_before(ext):
    """No request, no id: the hashed payload is the one of earlier releases (old trails verify)."""
    from app.persistence.audit.chain import append_event_now, event_hash

    with ext.db.unit_of_work() as session:
        written = append_event_now(session, occurred_at=ext.runtime.clock.now(), actor="system", action="probe")
    assert written.request_id is None
    assert written.hash == event_hash(written.prev_hash, written.occurred_at, "system", "probe", None, None, {}, {})


def test_json_log_has_one_line_per_request_without_url_or_personal_data(settings, clock, caplog):
    app = _app(settings, clock, log_format="json")
    try:
        api = ApiClient(app.test_client())
        api.token("window")
        with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
            response = api.get("/api/v1/tasks?q=张三餐饮店&page=1", as_user="window")
        records = [r for r in caplog.records if r.name == ACCESS_LOGGER]
        assert len(records) == 1
        line = json.loads(JsonFormatter().format(records[0]))
        assert line["request_id"] == response.headers["X-Request-Id"]
        assert {k: line[k] for k in ("level", "method", "endpoint", "status", "user")} == {
            "level": "info", "method": "GET", "endpoint": "api.list_tasks", "status": 200, "user": "window"}
        assert isinstance(line["duration_ms"], float) and line["time"].endswith("+00:00")
        assert "张三" not in json.dumps(line, ensure_ascii=False) and "Bearer" not in json.dumps(line)
    finally:
        app.extensions["oneseal"].db.dispose()


def test_text_logs_have_no_access_line(api, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        api.get("/api/v1/items", as_user="window")
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]
