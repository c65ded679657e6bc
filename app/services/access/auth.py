"""Log-in, API tokens and passwords."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.errors import InvalidInput, NotAuthenticated, NotFound
from app.domain.roles import Role
from app.persistence.access import users
from app.persistence.access import web_sessions
from app.persistence.audit.chain import append_event
from app.persistence.models import User
from app.services.actor import Actor
from app.services.runtime import Runtime

# Compared against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


def actor_of(user: User) -> Actor:
    return Actor(user.username, Role(user.role), user.department, user.display_name)


def hash_password(runtime: Runtime, password: str) -> str:
    return generate_password_hash(password, method=runtime.settings.password_method)


def authenticate(session: Session, runtime: Runtime, username: object, password: object) -> Actor:
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise InvalidInput("credentials_required", "请输入用户名和密码", field="username")
    user = users.find_user(session, username[:64])
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise NotAuthenticated("bad_credentials", "用户名或密码错误")
    if not check_password_hash(user.password_hash, password):
        raise NotAuthenticated("bad_credentials", "用户名或密码错误")
    actor = actor_of(user)
    append_event(session, occurred_at=runtime.clock.now(), actor=user.username, action="login",
                 after={"role": user.role, "department": user.department})
    return actor


def issue_token(session: Session, runtime: Runtime, actor: Actor) -> str:
    user = users.find_user(session, actor.username)
    assert user is not None
    token = secrets.token_urlsafe(32)
    now = runtime.clock.now()
    users.store_token(session, user, token, now, now + timedelta(hours=runtime.settings.token_ttl_hours))
    return token


def actor_for_token(session: Session, runtime: Runtime, token: str) -> Actor:
    holder = users.holder_of_token(session, token, runtime.clock.now())
    if holder is None:
        raise NotAuthenticated("bad_token", "登录凭证无效或已过期，请重新登录")
    return Actor(holder.username, Role(holder.role), holder.department, holder.display_name)


def actor_for_username(session: Session, username: str) -> Actor | None:
    user = users.find_user(session, username)
    return actor_of(user) if user is not None and user.active else None


def create_user(session: Session, runtime: Runtime, *, username: str, display_name: str,
                password: str, role: Role, department: str | None) -> User:
    user = User(username=username, display_name=display_name,
                password_hash=hash_password(runtime, password), role=role.value,
                department=department, active=True, created_at=runtime.clock.now())
    session.add(user)
    session.flush()
    return user


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def set_password(session: Session, runtime: Runtime, actor: Actor, username: str, password: object) -> int:
    """An administrator (or ``oneseal users set-password``) sets a user's password. Every browser
    session of the user ends and every API token of theirs is revoked; returns how many sessions
    ended."""
    actor.require(Role.ADMIN)
    user = users.find_user(session, username)
    if user is None:
        raise NotFound("user_not_found", f"用户“{username}”不存在", username=username)
    return _replace_password(session, runtime, actor, user, password)


def change_own_password(session: Session, runtime: Runtime, actor: Actor, current: object, new: object,
                        confirm: object) -> int:
    """A signed-in user changes their own password, proving the current one first."""
    user = users.find_user(session, actor.username)
    if user is None or not isinstance(current, str) or not check_password_hash(user.password_hash, current):
        raise InvalidInput("wrong_password", "当前密码不正确", field="current")
    if new != confirm:
        raise InvalidInput("password_mismatch", "两次输入的新密码不一致", field="confirm")
    return _replace_password(session, runtime, actor, user, new)


def _replace_password(session: Session, runtime: Runtime, actor: Actor, user: User, password: object) -> int:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password_too_short", f"新密码至少 {MIN_PASSWORD_LENGTH} 个字符", field="new")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password_too_long", f"新密码不能超过 {MAX_PASSWORD_LENGTH} 个字符", field="new")
    now = runtime.clock.now()
    user.password_hash = hash_password(runtime, password)
    ended = web_sessions.end_sessions_of_user(session, user.id, now, "password_changed")
    revoked = users.revoke_tokens(session, user.id)
    append_event(session, occurred_at=now, actor=actor.username, action="password_changed",
                 after={"user": user.username, "sessions_ended": ended, "tokens_revoked": revoked})
    return ended
