"""Reading the audit trail for auditors: filtered search, counts, batched export. Each reader
first writes the events its own transaction has recorded and not yet written (PostgreSQL writes
them at commit, :func:`~app.persistence.audit.chain.append_event`), so it reads them too."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.persistence.audit.chain import write_pending
from app.persistence.engine.batches import in_batches
from app.persistence.models import AuditEvent, Case


@dataclass(frozen=True)
class EventFilter:
    """Every given criterion must hold; ``since`` is inclusive, ``until`` exclusive (UTC)."""

    case_id: int | None = None
    #: the usernames of whoever acted (one given by username, or everyone bearing a given name)
    actors: tuple[str, ...] | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


Columns = TypeVarTuple("Columns")


def _where(statement: Select[*Columns], criteria: EventFilter) -> Select[*Columns]:
    if criteria.case_id is not None:
        statement = statement.where(AuditEvent.case_id == criteria.case_id)
    if criteria.actors is not None:
        statement = statement.where(AuditEvent.actor.in_(criteria.actors))
    if criteria.action:
        statement = statement.where(AuditEvent.action == criteria.action)
    if criteria.since is not None:
        statement = statement.where(AuditEvent.occurred_at >= criteria.since)
    if criteria.until is not None:
        statement = statement.where(AuditEvent.occurred_at < criteria.until)
    return statement


def _with_case_number() -> Select[AuditEvent, str]:  # the number is None for an event of no case
    return select(AuditEvent, Case.number).outerjoin(Case, Case.id == AuditEvent.case_id)


def search_events(session: Session, criteria: EventFilter, *, limit: int,
                  offset: int) -> list[tuple[AuditEvent, str | None]]:
    """One page of matching events with their case numbers, newest first."""
    write_pending(session)
    statement = _where(_with_case_number(), criteria).order_by(AuditEvent.id.desc())
    return [(event, number) for event, number in session.execute(statement.limit(limit).offset(offset))]


def count_events(session: Session, criteria: EventFilter) -> int:
    write_pending(session)
    return session.scalar(_where(select(func.count(AuditEvent.id)), criteria)) or 0


def iter_events(session: Session, criteria: EventFilter,
                batch: int = 1_000) -> Iterator[tuple[AuditEvent, str | None]]:
    """Matching events in chain order, ``batch`` at a time, as of the moment the export began."""
    write_pending(session)
    upper = session.scalar(select(func.max(AuditEvent.id))) or 0
    statement = _where(_with_case_number(), criteria).where(AuditEvent.id <= upper)
    for event, number in in_batches(session, statement, AuditEvent.id, batch):
        yield event, number


def case_id_for_number(session: Session, number: str) -> int | None:
    return session.scalar(select(Case.id).where(Case.number == number))


def events_of_action(session: Session, action: str) -> list[AuditEvent]:
    """Every event of one action in chain order (for rarely recorded actions)."""
    write_pending(session)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))
