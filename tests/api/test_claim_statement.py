"""签收 is one conditional UPDATE with its audit event, in one transaction; when it matches
nothing the task is read only to say why."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from app.persistence.models import AuditEvent, TaskRecord
from tests.support.cases import register, work


@contextmanager
def statements(ext: Any) -> Iterator[list[str]]:
    """The SQL the write engine sends while the block runs, lower-cased."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.lower().split()))

    event.listen(ext.db.write_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(ext.db.write_engine, "before_cursor_execute", record)


def _claims(ext: Any, task_id: str) -> int:
    with ext.db.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "task_claimed", AuditEvent.after["task_id"].as_string() == task_id)) or 0


def test_a_claim_is_one_conditional_update_and_its_event(api, ext):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    api.token("reviewer_market")
    with statements(ext) as sent:
        response = api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market")
    assert response.status_code == 200 and response.get_json()["claimed_by"] == "reviewer_market"
    on_tasks = [s for s in sent if " tasks" in s and "audit_events (" not in s]
    assert len(on_tasks) == 1 and on_tasks[0].startswith("update tasks set claimed_by"), on_tasks
    assert "status =" in on_tasks[0] and "claimed_by is null" in on_tasks[0] and "returning" in on_tasks[0]
    # the event: inserted (SQLite), or chained and inserted by the database at commit (PostgreSQL)
    appends = ("insert into audit_events",) if ext.db.is_sqlite else ("select oneseal_append_events",)
    assert sum(s.startswith(appends) for s in sent) == 1, sent
    assert _claims(ext, task_id) == 1


def test_a_claim_that_matches_nothing_says_why_and_changes_nothing(api, ext):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    again = api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market")
    assert again.status_code == 200 and again.get_json()["claimed_by"] == "reviewer_market"
    other = api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer2_market")
    assert other.status_code == 409 and other.get_json()["code"] == "task_claimed_by_other"
    foreign = api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_health")
    assert foreign.status_code == 403 and foreign.get_json()["code"] == "task_not_yours"
    assert api.post("/api/v1/tasks/no-such-task/claim", as_user="reviewer_market").status_code == 404
    assert _claims(ext, task_id) == 1  # the repeated claim wrote no second event
    work(api, {"tasks": [{"id": task_id}]}, "reviewer_market", "approve", "符合条件")
    done = api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer2_market")
    assert done.status_code == 409 and done.get_json()["code"] == "task_done"
    with ext.db.session(write=False) as session:
        task = session.get(TaskRecord, task_id)
        assert task.status == "completed" and task.claimed_by == "reviewer_market"
    assert _claims(ext, task_id) == 1
