"""The outbox: messages for the world outside (a push to a department, an SMS, a statistics
job), written in the same transaction as the change they report, and handed to their handler
later by the dispatcher (``app/jobs/outbox.py``).

A message is due while it is undelivered and its ``available_at`` has come. Taking one for
delivery is a compare-and-set that moves ``available_at`` a lease ahead, so two workers never
deliver one message at once, and one whose worker died is taken again when the lease ends
(at least once). A failed delivery waits longer each time (``available_at``), and is never
dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.persistence.engine.changes import rows_changed
from app.persistence.engine.base import Base


class OutboxRow(Base):
    """One message for a handler outside the transaction that wrote it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: which handler takes it, e.g. ``supervision.push``
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    #: the case the message is about, if any (for people reading incidents)
    case_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    #: not before: the next attempt after a failure, or the end of a delivery's lease
    available_at: Mapped[datetime]
    #: failed deliveries so far
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_due", "delivered_at", "available_at"),)


@dataclass(frozen=True)
class OutboxMessage:
    """A message taken for delivery, detached from any session."""

    id: int
    kind: str
    payload: dict[str, Any]
    case_id: int | None
    created_at: datetime
    #: failed deliveries before this one
    attempts: int


def post(session: Session, kind: str, payload: dict[str, Any], *, at: datetime,
         case_id: int | None = None) -> OutboxRow:
    """Add a message to the session's transaction: it exists only if the change it reports commits."""
    row = OutboxRow(kind=kind, payload=payload, case_id=case_id, created_at=at, available_at=at,
                    attempts=0, last_error=None, delivered_at=None)
    session.add(row)
    return row


def due_messages(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(session.scalars(select(OutboxRow.id).where(
        OutboxRow.delivered_at.is_(None), OutboxRow.available_at <= now)
        .order_by(OutboxRow.available_at, OutboxRow.id).limit(limit)))


def take(session: Session, message_id: int, now: datetime, lease: timedelta) -> OutboxMessage | None:
    """Take a due message for delivery until ``now + lease``; None if it is delivered, not due,
    or another worker holds it."""
    taken = rows_changed(session, update(OutboxRow).where(
        OutboxRow.id == message_id, OutboxRow.delivered_at.is_(None), OutboxRow.available_at <= now)
        .values(available_at=now + lease).execution_options(synchronize_session=False))
    if taken != 1:
        return None
    row = session.get_one(OutboxRow, message_id, populate_existing=True)
    return OutboxMessage(id=row.id, kind=row.kind, payload=dict(row.payload), case_id=row.case_id,
                         created_at=row.created_at, attempts=row.attempts)


def mark_delivered(session: Session, message_id: int, now: datetime) -> None:
    session.execute(update(OutboxRow).where(OutboxRow.id == message_id)
                    .values(delivered_at=now, last_error=None).execution_options(synchronize_session=False))


def mark_failed(session: Session, message_id: int, error: str, retry_at: datetime) -> int:
    """Count a failed delivery and put the next attempt off until ``retry_at``; the attempts so far."""
    row = session.get_one(OutboxRow, message_id, with_for_update=True, populate_existing=True)
    row.attempts += 1
    row.last_error = error[:2000]
    row.available_at = retry_at
    return row.attempts


def backlog(session: Session) -> int:
    """Messages not yet delivered (for monitoring)."""
    return session.scalar(select(func.count()).select_from(OutboxRow)
                          .where(OutboxRow.delivered_at.is_(None))) or 0
