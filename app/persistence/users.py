"""Users and API tokens."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.persistence.changes import rows_changed
from app.persistence.models import ApiToken, User


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """username → display name for the given users (unknown ones are left out)."""
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames)))
    return {username: name for username, name in rows}


def all_display_names(session: Session) -> dict[str, str]:
    """username → display name of every user (a bureau has hundreds at most)."""
    return {username: name for username, name in session.execute(select(User.username, User.display_name))}


def usernames_named(session: Session, text: str) -> list[str]:
    """The usernames of a user called ``text`` or whose display name is ``text``."""
    return list(session.scalars(select(User.username).where(
        (User.username == text) | (User.display_name == text))))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def store_token(session: Session, user: User, token: str, now: datetime, expires_at: datetime) -> None:
    session.execute(delete(ApiToken).where(ApiToken.expires_at < now))
    session.add(ApiToken(token_hash=token_digest(token), user_id=user.id, created_at=now,
                         expires_at=expires_at))


def revoke_tokens(session: Session, user_id: int) -> int:
    """Delete every API token of one user; how many there were."""
    return rows_changed(session, delete(ApiToken).where(ApiToken.user_id == user_id))


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    row = session.execute(select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id)
                          .where(ApiToken.token_hash == token_digest(token))).first()
    if row is None or row[1] <= now or not row[0].active:
        return None
    return row[0]


def colleagues(session: Session, role: str, department: str) -> list[User]:
    """Active users of one role in one department, by username."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.role == role,
                                                   User.department == department)
                                .order_by(User.username)))
