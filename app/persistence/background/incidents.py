"""Failures kept apart from their work: one row per job until the job succeeds.

A job is a kind and a case (``timer``, ``deadline``), or an outbox message (``outbox``).
Background jobs are retried and become visible after :data:`VISIBLE_AFTER` failures in a row;
a refused step (``step``, ``registration``) is visible at once. A refused registration has no
case: the same failure (same message: the same element and limit) counts as a new attempt of
one incident.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.persistence.models import Incident

#: failures in a row after which a background job is reported as an incident
VISIBLE_AFTER = 3
#: the kinds of background jobs, retried until they succeed (any other kind is visible at once)
RETRIED_KINDS = ("timer", "deadline", "outbox", "supervision", "figures")


def record_failure(session: Session, kind: str, case_id: int | None, message: str, at: datetime,
                   *, outbox_id: int | None = None) -> Incident:
    message = message[:2000]
    if outbox_id is not None:
        incident = session.scalar(select(Incident).where(Incident.kind == kind, Incident.outbox_id == outbox_id))
    elif case_id is None:
        incident = session.scalar(select(Incident).where(
            Incident.kind == kind, Incident.case_id.is_(None), Incident.outbox_id.is_(None),
            Incident.message == message, Incident.resolved_at.is_(None)))
    else:
        incident = session.scalar(select(Incident).where(Incident.kind == kind, Incident.case_id == case_id))
    if incident is None:
        # an outbox incident names its case for the reader, but is keyed by its message
        incident = Incident(kind=kind, case_id=case_id if outbox_id is None else None, outbox_id=outbox_id,
                            message=message, attempts=0, first_failed_at=at, last_failed_at=at,
                            resolved_at=None)
        session.add(incident)
    if incident.resolved_at is not None:  # failing again after a success: a new run of failures
        incident.attempts, incident.first_failed_at, incident.resolved_at = 0, at, None
    incident.attempts += 1
    incident.message = message
    incident.last_failed_at = at
    return incident


def record_success(session: Session, kind: str, case_id: int | None, at: datetime,
                   *, outbox_id: int | None = None) -> None:
    """The job succeeded: its open incidents (of no case: every one of the kind) are resolved."""
    if outbox_id is not None:
        found = select(Incident).where(Incident.kind == kind, Incident.outbox_id == outbox_id)
    else:
        same_case = Incident.case_id.is_(None) if case_id is None else Incident.case_id == case_id
        found = select(Incident).where(Incident.kind == kind, same_case)
    for incident in session.scalars(found.where(Incident.resolved_at.is_(None))):
        incident.resolved_at = at


def resolve_many(session: Session, kind: str, outbox_ids: list[int], at: datetime) -> None:
    """Several keyed jobs succeeded at once: their open incidents are resolved (one statement)."""
    if outbox_ids:
        session.execute(update(Incident).where(Incident.kind == kind, Incident.outbox_id.in_(outbox_ids),
                                               Incident.resolved_at.is_(None))
                        .values(resolved_at=at).execution_options(synchronize_session=False))


def open_incidents(session: Session, *, visible_only: bool = True) -> list[Incident]:
    statement = select(Incident).where(Incident.resolved_at.is_(None))
    if visible_only:
        statement = statement.where(or_(Incident.attempts >= VISIBLE_AFTER, Incident.kind.not_in(RETRIED_KINDS)))
    return list(session.scalars(statement.order_by(Incident.last_failed_at.desc())))
