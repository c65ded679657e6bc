"""Failures of background work, one row per job (kind, case), kept until the job succeeds."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.persistence.models import Incident

#: failures in a row after which a job is reported as an incident
VISIBLE_AFTER = 3


def record_failure(session: Session, kind: str, case_id: int, message: str, at: datetime) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.kind == kind, Incident.case_id == case_id))
    if incident is None:
        incident = Incident(kind=kind, case_id=case_id, message=message[:2000], attempts=0,
                            first_failed_at=at, last_failed_at=at, resolved_at=None)
        session.add(incident)
    if incident.resolved_at is not None:  # failing again after a success: a new run of failures
        incident.attempts, incident.first_failed_at, incident.resolved_at = 0, at, None
    incident.attempts += 1
    incident.message = message[:2000]
    incident.last_failed_at = at
    return incident


def record_success(session: Session, kind: str, case_id: int, at: datetime) -> None:
    incident = session.scalar(select(Incident).where(Incident.kind == kind, Incident.case_id == case_id,
                                                     Incident.resolved_at.is_(None)))
    if incident is not None:
        incident.resolved_at = at


def open_incidents(session: Session, *, visible_only: bool = True) -> list[Incident]:
    statement = select(Incident).where(Incident.resolved_at.is_(None))
    if visible_only:
        statement = statement.where(Incident.attempts >= VISIBLE_AFTER)
    return list(session.scalars(statement.order_by(Incident.last_failed_at.desc())))
