"""``@api``: the JSON handlers' edge, for ``/api/v1`` (Bearer token) and the modeler's calls
(browser session).

A handler is ``(call, **url_args) -> (body, status)``. Around it: the caller (auditors are
read-only on every write route), the ``Idempotency-Key`` replay, one unit of work (retried when
the database is busy), the JSON answer, and every refusal as JSON with a Chinese message and a
machine code. A request with an ``Idempotency-Key`` first takes the key
(``app/persistence/access/idempotency.py``): a retry sent while the first request runs waits for its
answer and replays it; after ``idempotency_wait_seconds`` it gets 409 ``request_in_progress``
with ``Retry-After``.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, request
from sqlalchemy.orm import Session

from app.domain.errors import Conflict, InvalidInput, NotAuthenticated, OneSealError
from app.persistence.access.idempotency import find_answer, hold_key, store_answer
from app.services.access.auth import actor_for_token
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.web.edge import request_input
from app.web.edge.browser_session import current_actor
from app.web.edge.responses import error_response, json_bytes
from app.web.edge.units import Call, DatabaseBusy, ext, unit

WRITE_ATTEMPTS = 3
#: seconds a client is told to wait before retrying a request still in progress
RETRY_AFTER_SECONDS = 1

ActorLoader = Callable[[Session, Runtime], Actor]


def bearer_actor(session: Session, runtime: Runtime) -> Actor:
    """The user of the request's Bearer token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("token_required", "请先登录（缺少 Bearer 凭证）")
    return actor_for_token(session, runtime, token.strip())


def browser_actor(_session: Session, _runtime: Runtime) -> Actor:
    """The signed-in user of the browser session (its CSRF token is checked for every
    state-changing request, see :mod:`app.web.edge.browser_session`)."""
    actor = current_actor()
    if actor is None:
        raise NotAuthenticated("login_required", "请先登录")
    return actor


def json_body() -> dict[str, Any]:
    body = request_input.json_body()  # screened at the edge: size, depth, characters, numbers
    if not isinstance(body, dict):
        raise InvalidInput("body_not_object", "请求体应为 JSON 对象")
    return body


def minimal_answer() -> bool:
    """Whether the client asked for the short answer (RFC 7240 ``Prefer: return=minimal``); a
    handler that asks this and gets True answers with what the next call needs rather than the
    whole case, and the answer says so (``Preference-Applied: return=minimal``)."""
    prefer = request.headers.get("Prefer")
    wanted = prefer is not None and "return=minimal" in prefer.replace(" ", "").lower().split(",")
    if wanted:
        g.oneseal_minimal = True
    return wanted


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _idempotency_key() -> str | None:
    signed = g.get("oneseal_signed_key")
    if signed:  # a signed call is its own key: replaying it, under any Idempotency-Key, replays its answer
        return str(signed)
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 128:
        raise InvalidInput("invalid_idempotency_key", "幂等键长度应为 1 至 128 个字符")
    return key


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


def _attempt(view: Callable[..., tuple[Any, int]], kwargs: dict[str, Any], *, write: bool,
             authenticated: bool, actor_from: ActorLoader, workspace: bool = False) -> Response:
    runtime = ext().runtime
    with unit(write) as session:
        actor = actor_from(session, runtime) if authenticated else None
        g.oneseal_log_user = actor  # the access log line's user
        if write and actor is not None and not workspace:
            actor.require_write()  # auditors are read-only on every write route but their workshop
        key = _idempotency_key() if write and actor is not None else None
        request_hash = _request_hash() if key is not None else ""
        if key is not None:
            replay = _replay(session, runtime, actor, key, request_hash)  # type: ignore[arg-type]
            if replay is not None:
                session.rollback()
                return replay
        body, status = view(Call(session, runtime, actor), **kwargs)  # type: ignore[arg-type]
        if isinstance(body, Response):  # a file rather than JSON (e.g. a diagram's XML): reads only
            session.rollback()
            return body
        payload = json_bytes(body)
        if key is not None:
            store_answer(session, actor.username, key, request_hash, status,  # type: ignore[union-attr]
                         payload.decode("utf-8"), runtime.clock.now())
        response = Response(payload, status=status, mimetype="application/json")
        if g.get("oneseal_minimal"):
            response.headers["Preference-Applied"] = "return=minimal"
        return response


def api(*, write: bool = False, authenticated: bool = True, actor_from: ActorLoader = bearer_actor,
        workspace: bool = False) -> Callable[..., Callable[..., Response]]:
    """Decorate an API handler ``(call, **url_args) -> (body, status)``.

    ``actor_from`` says who is calling; by default the Bearer token's user. ``workspace``: the
    write touches only the auditors' own workshop (their scenario library and its runs, in
    sandboxes), never a case or the bureau's data, so read-only roles may make it; the service
    it calls says which roles may.
    """
    def decorator(view: Callable[..., tuple[Any, int]]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            attempts = WRITE_ATTEMPTS if write else 1
            for attempt in range(1, attempts + 1):
                try:
                    return _attempt(view, kwargs, write=write, authenticated=authenticated,
                                    actor_from=actor_from, workspace=workspace)
                except DatabaseBusy as err:
                    if attempt == attempts:
                        return error_response(err)
                    time.sleep(0.05 * attempt)
                except OneSealError as err:
                    return error_response(err)
            raise AssertionError("unreachable")  # pragma: no cover
        wrapper.writes = write  # type: ignore[attr-defined]  # read by the authorization tests
        wrapper.workspace = workspace  # type: ignore[attr-defined]  # read by the browser guard
        return wrapper
    return decorator
