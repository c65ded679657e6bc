"""A database that drops the connection, or is busy, gets a 503 the client may retry — never a 500."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.web.edge import api as api_edge
from app.web.edge.units import DatabaseUnreachable, unit
from tests.support.database import ON_POSTGRES


def _dropped(*_: Any, **__: Any) -> Any:
    raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"),
                           connection_invalidated=True)


def test_a_connection_lost_during_a_request_answers_503_with_when_to_retry(api, monkeypatch):
    api.token("window")
    monkeypatch.setattr(api_edge, "actor_for_token", _dropped)
    answer = api.get("/api/v1/tasks", as_user="window")
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["code"] == "database_unreachable" and "数据库" in answer.get_json()["message"]
    assert answer.headers["Retry-After"] == "1"
    monkeypatch.undo()
    assert api.get("/api/v1/tasks", as_user="window").status_code == 200


def test_a_write_that_lost_its_connection_is_not_sent_again_by_the_service(api, monkeypatch):
    """Its COMMIT may have landed: the client decides, with its Idempotency-Key."""
    api.token("window")
    calls: list[int] = []

    def dropped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        _dropped()

    monkeypatch.setattr(api_edge, "actor_for_token", dropped)
    answer = api.post("/api/v1/cases", as_user="window", json={"item_code": "XK-0001", "applicant": {"name": "甲"}})
    assert answer.status_code == 503 and answer.get_json()["code"] == "database_unreachable"
    assert len(calls) == 1


def test_a_connection_lost_as_a_read_closes_keeps_the_answer(api, monkeypatch):
    """The unit's last ROLLBACK fails on a connection the database has just dropped: the
    connection is discarded, and what was read is answered."""
    api.token("window")
    original = Session.close
    failed: list[int] = []

    def close(self: Session) -> None:
        original(self)
        if not failed:
            failed.append(1)
            _dropped()

    monkeypatch.setattr(Session, "close", close)
    answer = api.get("/api/v1/tasks", as_user="window")
    assert answer.status_code == 200 and failed == [1]


def test_a_busy_database_tells_when_to_retry(api, monkeypatch):
    api.token("window")

    def locked(*_: Any, **__: Any) -> Any:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(api_edge, "actor_for_token", locked)
    monkeypatch.setattr(api_edge.time, "sleep", lambda _: None)
    answer = api.post("/api/v1/cases", as_user="window", json={"item_code": "XK-0001", "applicant": {"name": "甲"}})
    assert answer.status_code == 503 and answer.get_json()["code"] == "database_busy"
    assert answer.headers["Retry-After"] == "1"


@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL backend terminated under the request")
def test_a_terminated_postgresql_backend_is_a_503_and_the_next_request_gets_a_new_connection(app, api):
    api.token("window")
    with app.test_request_context():
        with pytest.raises(DatabaseUnreachable) as raised, unit(False) as session:
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            session.execute(text("SELECT 1"))
        assert raised.value.details["retry_after"] == 1
    assert api.get("/api/v1/tasks", as_user="window").status_code == 200


def test_a_page_whose_sign_in_check_loses_the_connection_shows_the_503_page(app, monkeypatch):
    """Outside a unit of work too (the browser session's check): the error page, in Chinese,
    with when to retry."""
    from app.web.edge import browser_session
    from tests.support.pages import signed_in

    client, _ = signed_in(app, "window")
    original, dropped = browser_session.check_session, []

    def check_once(*args: Any, **kwargs: Any) -> Any:
        if not dropped:  # (the error page asks again, on a new connection)
            dropped.append(1)
            _dropped()
        return original(*args, **kwargs)

    monkeypatch.setattr(browser_session, "check_session", check_once)
    page = client.get("/inbox")
    assert page.status_code == 503 and page.headers["Retry-After"] == "1"
    assert "与数据库的连接中断" in page.get_data(as_text=True)
