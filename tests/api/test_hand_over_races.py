"""A hand-over (转办) or a claim landing at the same instant as a completion of the same task.

Done one after the other, the second of the two is refused: a task handed to a colleague can
no longer be completed by the one who handed it over, and a completed task can be neither
handed over nor claimed. At the same instant it must be the same: exactly one of the two
answers 200, and the task row and the audit trail tell the story of that one alone. (On
PostgreSQL both used to answer 200: the completion, holding the case, read the task before the
hand-over changed it and completed it anyway — completed by someone who no longer held it.)
Run on SQLite and on PostgreSQL.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.persistence.models import AuditEvent, TaskRecord
from tests.support.cases import register
from tests.support.races import race

ROUNDS = 10
APPROVE = {"decision": "approve", "opinion": "予以受理"}


def _events(ext: Any, case_id: int) -> list[str]:
    with ext.db.session(write=False) as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)))


def _task(ext: Any, task_id: str) -> TaskRecord:
    with ext.db.session(write=False) as session:
        row = session.get(TaskRecord, task_id)
        session.expunge(row)
        return row


def test_a_hand_over_and_a_completion_at_the_same_instant_one_wins(api, ext):
    for _round in range(ROUNDS):
        case = register(api)
        task_id = case["tasks"][0]["id"]
        assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="window").status_code == 200
        transfer, complete = race(api, [
            ("window", f"/api/v1/tasks/{task_id}/transfer", {"to": "window2", "reason": "外出"}),
            ("window", f"/api/v1/tasks/{task_id}/complete", APPROVE)])
        assert sorted([transfer.status, complete.status]) == [200, 409], (transfer.body, complete.body)
        row, events = _task(ext, task_id), _events(ext, case["id"])
        if transfer.status == 200:  # handed over: still open, with the colleague
            assert (row.status, row.claimed_by) == ("ready", "window2")
            assert "task_completed" not in events and events.count("task_transferred") == 1
        else:  # completed by its holder, never handed over
            assert (row.status, row.claimed_by, row.completed_by) == ("completed", "window", "window")
            assert "task_transferred" not in events and events.count("task_completed") == 1


def test_a_claim_and_a_colleagues_completion_at_the_same_instant_one_wins(api, ext):
    for _round in range(ROUNDS):
        case = register(api)
        task_id = case["tasks"][0]["id"]
        claim, complete = race(api, [
            ("window2", f"/api/v1/tasks/{task_id}/claim", {}),
            ("window", f"/api/v1/tasks/{task_id}/complete", APPROVE)])
        assert sorted([claim.status, complete.status]) == [200, 409], (claim.body, complete.body)
        row, events = _task(ext, task_id), _events(ext, case["id"])
        if claim.status == 200:  # claimed first: the colleague may no longer complete it
            assert (row.status, row.claimed_by) == ("ready", "window2") and "task_completed" not in events
        else:
            assert (row.status, row.completed_by) == ("completed", "window") and "task_claimed" not in events
