"""Signed-in browser sessions kept on the server: opened at login, ended by logging out, by
idling, by age or by a password change. A page request finds its user through one of them."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from app.persistence.access import users

from app.persistence.access import web_sessions
from app.persistence.audit.chain import append_event
from app.services.access.auth import actor_of
from app.services.actor import Actor
from app.services.runtime import Runtime

#: last seen is written when it is older than this: a page request reads, it seldom writes
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionCheck:
    """What a session token is worth at this request."""

    actor: Actor | None
    #: in use and last seen over a minute ago: the new time is worth writing
    seen_stale: bool = False
    #: why the session has just run out (``idle``, ``expired``, ``user_inactive``): to record
    ended: str | None = None


def _limits(runtime: Runtime) -> tuple[timedelta, timedelta]:
    settings = runtime.settings
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours)


def open_session(session: Session, runtime: Runtime, actor: Actor, *, replacing: str | None = None) -> str:
    """A new session for a user who has just proved who they are; the token for the cookie.
    The session the browser held before (``replacing``) ends; sessions nobody has used for
    longer than any session may last are forgotten meanwhile."""
    user = users.find_user(session, actor.username)
    assert user is not None
    now = runtime.clock.now()
    idle, lifetime = _limits(runtime)
    if replacing is not None:
        web_sessions.end_session(session, replacing, now, "replaced")
    web_sessions.prune_sessions(session, now - max(idle, lifetime))
    token = secrets.token_urlsafe(32)
    web_sessions.insert_session(session, token, user, now)
    return token


def check_session(session: Session, runtime: Runtime, token: str) -> SessionCheck:
    """Whose session the token opens, if it still holds. Reads only; :func:`record_check`
    writes what the check found (the session seen, or run out) when that is needed."""
    found = web_sessions.session_with_user(session, token)
    if found is None or found[0].ended_at is not None:
        return SessionCheck(None)
    row, user = found
    now = runtime.clock.now()
    idle, lifetime = _limits(runtime)
    if not user.active:
        return SessionCheck(None, ended="user_inactive")
    if now - row.created_at >= lifetime:
        return SessionCheck(None, ended="expired")
    if now - row.last_seen_at >= idle:
        return SessionCheck(None, ended="idle")
    return SessionCheck(actor_of(user), seen_stale=now - row.last_seen_at >= SEEN_EVERY)


def record_check(session: Session, runtime: Runtime, token: str, check: SessionCheck) -> None:
    now = runtime.clock.now()
    if check.ended is not None:
        web_sessions.end_session(session, token, now, check.ended)
    elif check.seen_stale:
        web_sessions.mark_seen(session, token, now)


def close_session(session: Session, runtime: Runtime, actor: Actor, token: str) -> None:
    """Logging out: the session ends for every copy of its cookie; an audit event like the login's."""
    now = runtime.clock.now()
    if web_sessions.end_session(session, token, now, "logout") is not None:
        append_event(session, occurred_at=now, actor=actor.username, action="logout", after={})
