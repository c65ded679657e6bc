"""Browser sessions kept on the server: found by the digest of the cookie's token."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.persistence.tables.access import WebSession
from app.persistence.engine.changes import rows_changed
from app.persistence.models import User


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def insert_session(session: Session, token: str, user: User, now: datetime) -> None:
    session.add(WebSession(id=session_digest(token), user_id=user.id, created_at=now, last_seen_at=now))


def session_with_user(session: Session, token: str) -> tuple[WebSession, User] | None:
    """The session the token opens and its user, in one query; None for an unknown token."""
    row = session.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                          .where(WebSession.id == session_digest(token))).first()
    return (row[0], row[1]) if row is not None else None


def mark_seen(session: Session, token: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == session_digest(token), WebSession.ended_at.is_(None))
                    .values(last_seen_at=now))


def end_session(session: Session, token: str, now: datetime, reason: str) -> int | None:
    """End one session if it still holds; the id of its user, or None if it had already ended."""
    return session.scalar(update(WebSession).where(WebSession.id == session_digest(token),
                                                   WebSession.ended_at.is_(None))
                          .values(ended_at=now, end_reason=reason).returning(WebSession.user_id))


def end_sessions_of_user(session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every open session of one user; how many there were."""
    return rows_changed(session, update(WebSession)
                        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
                        .values(ended_at=now, end_reason=reason))


def prune_sessions(session: Session, unseen_since: datetime) -> None:
    """Forget sessions nobody has used since ``unseen_since`` (by then ended or expired anyway)."""
    session.execute(delete(WebSession).where(WebSession.last_seen_at < unseen_since))
