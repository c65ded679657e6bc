"""The audit trail: append (in the caller's transaction) and verify the hash chain."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.persistence.models import AuditEvent

GENESIS = "0" * 64


def _canonical(event_fields: dict[str, Any]) -> bytes:
    return json.dumps(event_fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8")


def event_hash(prev_hash: str, occurred_at: datetime, actor: str, action: str,
               case_id: int | None, element_id: str | None, before: dict[str, Any],
               after: dict[str, Any]) -> str:
    payload = {
        "prev": prev_hash, "at": occurred_at.isoformat(timespec="microseconds"), "actor": actor,
        "action": action, "case": case_id, "element": element_id, "before": before, "after": after,
    }
    return hashlib.sha256(_canonical(payload)).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialize appends so two transactions never chain onto the same predecessor."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7422001)"))
    # SQLite writers already hold the database write lock (BEGIN IMMEDIATE).


def append_event(session: Session, *, occurred_at: datetime, actor: str, action: str,
                 case_id: int | None = None, element_id: str | None = None,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    """Add an event to the session; it commits (or not) with the change it records."""
    _lock_chain(session)
    with session.no_autoflush:  # every earlier event of this session was flushed when appended
        prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    before = json.loads(_canonical(before or {}))
    after = json.loads(_canonical(after or {}))
    occurred_at = occurred_at.astimezone(UTC)
    event = AuditEvent(
        occurred_at=occurred_at, actor=actor, action=action, case_id=case_id,
        element_id=element_id, before=before, after=after, prev_hash=prev,
        hash=event_hash(prev, occurred_at, actor, action, case_id, element_id, before, after),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(session: Session, batch: int = 2_000) -> tuple[int, ChainBreak | None]:
    """Recompute the chain; return (events checked, first break or None)."""
    expected_prev = GENESIS
    checked = 0
    for event in _iter_events(session, batch):
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.id, "前一事件的哈希不符：其前有事件被删除、插入或调换了顺序")
        recomputed = event_hash(event.prev_hash, event.occurred_at, event.actor, event.action,
                                event.case_id, event.element_id, event.before, event.after)
        if recomputed != event.hash:
            return checked, ChainBreak(event.id, "事件内容与其哈希不符：该事件被篡改")
        expected_prev = event.hash
        checked += 1
    return checked, None


def _iter_events(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                               .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def events_for_case(session: Session, case_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.id)))
