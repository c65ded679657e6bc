"""Tampering with stored audit events as someone with direct database access would, so that
scenarios and tests can show that ``audit verify`` finds it. Only for a scenario's own database."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from app.persistence.audit.chain import GENESIS, event_hash
from app.persistence.models import AuditEvent
from app.scenarios.running.expect import expect

#: how an event is tampered with: edited, deleted, a forged one inserted before it, swapped with the next
HOW = ("edit", "delete", "insert", "swap")


def lift_guard_and(session: Session, statements: list[Any]) -> None:
    """Run statements on audit_events with the append-only guard lifted for this transaction
    only: on PostgreSQL triggers are skipped for the session's transaction, on SQLite they are
    dropped and created again."""
    dialect = session.get_bind().dialect.name
    guards: list[tuple[str, str]] = []
    if dialect == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        guards = [(r[0], r[1]) for r in session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"))]
        for name, _sql in guards:
            session.execute(text(f'DROP TRIGGER "{name}"'))
    for statement in statements:
        session.execute(statement)
    for _name, sql in guards:
        session.execute(text(sql))


def _move(from_id: int, to_id: int) -> Any:
    return update(AuditEvent).where(AuditEvent.id == from_id).values(id=to_id)


def tamper(db: Any, how: str, event_id: int) -> None:
    """Edit, delete, insert a forged event before, or swap with the next, stored event ``event_id``."""
    with db.unit_of_work() as session:
        ids = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        expect(event_id in ids, f"预期有审计事件 #{event_id}，实际只有 #{ids[0]}–#{ids[-1]}" if ids
               else f"预期有审计事件 #{event_id}，实际一条也没有")
        statements: list[Any]
        if how == "edit":
            statements = [update(AuditEvent).where(AuditEvent.id == event_id).values(actor="mallory")]
        elif how == "delete":
            statements = [delete(AuditEvent).where(AuditEvent.id == event_id)]
        elif how == "swap":
            parked = ids[-1] + 1_000
            statements = [_move(event_id, parked), _move(event_id + 1, event_id), _move(parked, event_id + 1)]
        elif how == "insert":
            statements = [*(_move(i, i + 1) for i in reversed(ids) if i >= event_id),
                          _forged_before(session, event_id)]
        else:
            raise ValueError(f"unknown tampering {how!r}; one of {HOW}")
        session.expunge_all()
        lift_guard_and(session, statements)


def _forged_before(session: Session, event_id: int) -> Any:
    """A well-formed event chained onto the one before ``event_id``: the best a forger can do."""
    prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id - 1)) or GENESIS
    model = session.get_one(AuditEvent, event_id)
    fields: dict[str, Any] = {"occurred_at": model.occurred_at, "actor": "mallory", "action": "task_completed",
              "case_id": model.case_id, "element_id": model.element_id, "before": {},
              "after": {"note": "伪造"}}
    digest = event_hash(prev, fields["occurred_at"], fields["actor"], fields["action"], fields["case_id"],
                        fields["element_id"], fields["before"], fields["after"])
    return insert(AuditEvent).values(id=event_id, prev_hash=prev, hash=digest, **fields)
