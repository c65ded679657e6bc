"""The transaction edge of the JSON API.

Every handler is four beats: load-or-404, authorize, call one service, serialize. This
module supplies what surrounds them: the session, the bearer token, the commit, the
``Idempotency-Key`` replay, retries on a busy SQLite database, and the mapping of errors
to HTTP statuses with a Chinese message and a machine code. A 500 is a bug.

A request with an ``Idempotency-Key`` first takes the key (``app/persistence/idempotency.py``):
a retry sent while the first request runs waits for its answer and replays it; after
``idempotency_wait_seconds`` it gets 409 ``request_in_progress`` with ``Retry-After``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import (
    Conflict,
    IncidentReport,
    InvalidInput,
    NotAuthenticated,
    OneSealError,
    Unavailable,
)
from app.persistence.db import Database
from app.persistence.idempotency import find_answer, hold_key, store_answer
from app.services.access.auth import actor_for_token
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.services.stepping.incidents import record_refusal

log = logging.getLogger(__name__)

STATUS_BY_KIND = {
    "invalid": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
    "conflict": 409, "too_large": 413, "unprocessable": 422, "unavailable": 503, "internal": 500,
}
WRITE_ATTEMPTS = 3
#: seconds a client is told to wait before retrying a request still in progress
RETRY_AFTER_SECONDS = 1


@dataclass
class Call:
    """What a handler receives."""

    session: Session
    runtime: Runtime
    actor: Actor


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


def error_body(err: OneSealError) -> dict[str, Any]:
    details = {k: v for k, v in err.details.items() if v is not None}
    body = {"code": err.code, "message": err.message, "details": details}
    findings = getattr(err, "findings", None)  # a refused process model says why, element by element
    if findings is not None:
        body["findings"] = [f.to_dict() for f in findings]
    return body


def error_response(err: OneSealError) -> Response:
    response = json_response(error_body(err), STATUS_BY_KIND.get(err.kind, 400))
    if err.kind == "unauthenticated":
        response.headers["WWW-Authenticate"] = 'Bearer realm="oneseal"'
    if "retry_after" in err.details:
        response.headers["Retry-After"] = str(err.details["retry_after"])
    return response


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("body_not_object", "请求体应为 JSON 对象")
    return body


def bearer_actor(session: Session, runtime: Runtime) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("token_required", "请先登录（缺少 Bearer 凭证）")
    return actor_for_token(session, runtime, token.strip())


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(session: Session, runtime: Runtime, actor: Actor, key: str, request_hash: str) -> Response | None:
    """The first answer to this key, once no other request holding it is still running."""
    if not hold_key(session, actor.username, key, runtime.settings.idempotency_wait_seconds):
        raise Conflict("request_in_progress", "使用同一幂等键的请求仍在处理中，请稍后以同一幂等键重试",
                       retry_after=RETRY_AFTER_SECONDS)
    record = find_answer(session, actor.username, key)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise Conflict("idempotency_key_reused", "该幂等键已用于另一个请求")
    return Response(record.body, status=record.status_code, mimetype="application/json",
                    headers={"Idempotent-Replay": "true"})


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 128:
        raise InvalidInput("invalid_idempotency_key", "幂等键长度应为 1 至 128 个字符")
    return key


def record_incident(db: Database, runtime: Runtime, report: IncidentReport) -> None:
    """Keep the incident of a rolled-back step, in a transaction of its own."""
    try:
        with db.unit_of_work() as session:
            record_refusal(session, report, runtime.clock.now())
    except Exception:  # the client still gets the step's own error; the log keeps this one
        log.exception("could not record the incident: %s", report.message)


def is_busy(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "could not serialize" in text


ActorLoader = Callable[[Session, Runtime], Actor]


def _run(view: Callable[..., tuple[Any, int]], kwargs: dict[str, Any], *, write: bool,
         authenticated: bool, actor_from: ActorLoader) -> Response:
    ext = current_app.extensions["oneseal"]
    attempts = WRITE_ATTEMPTS if write else 1
    for attempt in range(1, attempts + 1):
        session: Session = ext.db.session(write=write)
        try:
            actor = actor_from(session, ext.runtime) if authenticated else None
            if write and actor is not None:
                actor.require_write()  # auditors are read-only on every write route
            key = _idempotency_key() if write and actor is not None else None
            request_hash = _request_hash() if key is not None else ""
            if key is not None and actor is not None:
                replay = _replay(session, ext.runtime, actor, key, request_hash)
                if replay is not None:
                    session.rollback()
                    return replay
            body, status = view(Call(session, ext.runtime, actor), **kwargs)  # type: ignore[arg-type]
            if isinstance(body, Response):  # a file rather than JSON (e.g. a diagram's XML): reads only
                session.rollback()
                return body
            payload = json.dumps(body, ensure_ascii=False)
            if write:
                if key is not None and actor is not None:
                    store_answer(session, actor.username, key, request_hash, status, payload,
                                 ext.runtime.clock.now())
                session.commit()
            else:
                session.rollback()
            return Response(payload, status=status, mimetype="application/json")
        except OneSealError as err:
            session.rollback()
            if err.incident is not None:
                record_incident(ext.db, ext.runtime, err.incident)
            return error_response(err)
        except StaleDataError:
            session.rollback()
            return error_response(Conflict("case_version_stale", "办件已被他人同时更新，请刷新后重试"))
        except IntegrityError as err:
            session.rollback()
            log.info("integrity conflict: %s", err.orig)
            return error_response(Conflict("conflict", "数据已被他人同时修改，请刷新后重试"))
        except OperationalError as err:
            session.rollback()
            if is_busy(err) and attempt < attempts:
                time.sleep(0.05 * attempt)
                continue
            log.warning("database busy: %s", err.orig)
            return error_response(Unavailable("database_busy", "系统繁忙，请稍后重试"))
        finally:
            session.close()
    raise AssertionError("unreachable")  # pragma: no cover


def api(*, write: bool = False, authenticated: bool = True,
        actor_from: ActorLoader = bearer_actor) -> Callable[..., Callable[..., Response]]:
    """Decorate an API handler ``(call, **url_args) -> (body, status)``.

    ``actor_from`` says who is calling; by default the Bearer token's user.
    """
    def decorator(view: Callable[..., tuple[Any, int]]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            return _run(view, kwargs, write=write, authenticated=authenticated, actor_from=actor_from)
        wrapper.writes = write  # type: ignore[attr-defined]  # read by the authorization tests
        return wrapper
    return decorator
