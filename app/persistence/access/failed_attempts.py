"""Failed attempts at the public pages, per client, for the failure limiter."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.persistence.tables.access import FailedAttempt


def count_since(session: Session, scope: str, client: str, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(FailedAttempt).where(
        FailedAttempt.scope == scope, FailedAttempt.client == client, FailedAttempt.at > since)) or 0


def record_failure(session: Session, scope: str, client: str, at: datetime, *, forget_before: datetime) -> None:
    """One more failure; failures of any client older than ``forget_before`` are deleted meanwhile,
    so the table holds one window's worth."""
    session.execute(delete(FailedAttempt).where(FailedAttempt.at <= forget_before))
    session.add(FailedAttempt(scope=scope, client=client, at=at))
