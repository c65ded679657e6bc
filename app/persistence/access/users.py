"""Users and API tokens."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from app.persistence.engine.changes import rows_changed
from app.persistence.engine.prepared import fetch
from app.persistence.models import ApiToken, User


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


_DISPLAY_NAMES = select(User.username, User.display_name).where(
    User.username.in_(bindparam("b_names", expanding=True)))


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """username → display name for the given users (unknown ones are left out)."""
    if not usernames:
        return {}
    rows = session.execute(_DISPLAY_NAMES, {"b_names": sorted(usernames)})
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


@dataclass(frozen=True)
class TokenHolder:
    """Who an API token belongs to: what a request needs to know of its caller."""

    username: str
    role: str
    department: str | None
    display_name: str


#: every API request runs it: the columns it needs, one prepared statement, no ORM objects
_TOKEN_HOLDER = (select(User.username, User.role, User.department, User.display_name, User.active,
                        ApiToken.expires_at)
                 .join(ApiToken, ApiToken.user_id == User.id)
                 .where(ApiToken.token_hash == bindparam("b_hash")))


def holder_of_token(session: Session, token: str, now: datetime) -> TokenHolder | None:
    """The active user of an unexpired token, or None."""
    # columns through the connection, prepared: neither the ORM's execution nor SQLAlchemy's
    # per-call assembly of the statement is needed (some 40 µs, on every API request)
    rows = fetch(session.connection(), _TOKEN_HOLDER, {"b_hash": token_digest(token)})
    if not rows:
        return None
    username, role, department, display_name, active, expires_at = rows[0]
    if expires_at <= now or not active:
        return None
    return TokenHolder(username, role, department, display_name)


def colleagues(session: Session, role: str, department: str) -> list[User]:
    """Active users of one role in one department, by username."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.role == role,
                                                   User.department == department)
                                .order_by(User.username)))
