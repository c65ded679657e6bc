"""What a metrics scrape reads from the database: counts, never rows."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from app.persistence.background import outbox

from app.persistence.background import push_queue
from app.persistence.models import Incident


def open_incidents_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(Incident.kind, func.count()).where(Incident.resolved_at.is_(None))
                           .group_by(Incident.kind))
    return {kind: count for kind, count in rows}


def outbox_backlog(session: Session) -> int | None:
    """Messages of the outbox not yet delivered; None when the database does not have the table
    (a schema not upgraded yet: the scrape still answers)."""
    try:
        with session.begin_nested():
            return outbox.backlog(session)
    except (OperationalError, ProgrammingError):
        return None


def push_backlog(session: Session) -> dict[str, int] | None:
    """Supervision-push deliveries not yet delivered, by state (pending, failed); None without the table."""
    try:
        with session.begin_nested():
            return push_queue.backlog_by_state(session)
    except (OperationalError, ProgrammingError):
        return None
