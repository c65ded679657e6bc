"""Tables of access to the service: users and their API tokens, signed-in browser sessions, and
failed attempts at the public pages that the failure limiter counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_users_role_department", "role", "department"),)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WebSession(Base):
    """A signed-in browser session. The cookie carries only a random token; the row, keyed by
    the token's SHA-256, says whose session it is and whether it still holds. Logging out,
    idling, its age or a password change ends it here, whatever copy of the cookie exists."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    #: written at most once a minute (see app/services/access/web_sessions.py)
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    #: ``logout`` | ``idle`` | ``expired`` | ``password_changed`` | ``user_inactive`` | ``replaced``
    #: (the browser signed in again)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class FailedAttempt(Base):
    """One failed attempt of a client at a public page (a wrong query code); rows older than
    the limiter's window are pruned as new ones arrive."""

    __tablename__ = "failed_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: what was attempted, e.g. ``progress``
    scope: Mapped[str] = mapped_column(String(32))
    #: the client's address (as the trusted proxy reported it)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_failed_attempts_client", "scope", "client", "at"),
        Index("ix_failed_attempts_at", "at"),
    )
