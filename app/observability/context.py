"""The request id of the work under way in this thread (or task): set by the web edge for a
request, read by the audit trail (``audit_events.request_id``) and by every log line."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_REQUEST_ID: ContextVar[str | None] = ContextVar("oneseal_request_id", default=None)

#: what an incoming ``X-Request-Id`` may look like to be kept (a UUID, nginx's ``$request_id``,
#: most tracing ids): letters, digits, ``-``, ``_``, ``.``, ``:``, 8 to 64 characters
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
#: the width of ``audit_events.request_id``
MAX_LENGTH = 64


def new_request_id() -> str:
    """32 hex digits, random (like nginx's ``$request_id``)."""
    return os.urandom(16).hex()


def sane_request_id(value: str | None) -> str | None:
    """``value`` if it is a well-formed id, else None (the caller then makes a new one)."""
    if value is None:
        return None
    value = value.strip()
    return value if _SANE.fullmatch(value) else None


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


def bind_request_id(request_id: str | None) -> object:
    """Set the id for what runs next in this context; returns the token :func:`unbind` takes."""
    return _REQUEST_ID.set(request_id)


def unbind(token: object) -> None:
    _REQUEST_ID.reset(token)  # type: ignore[arg-type]


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Run a block (a background job, a command) under ``request_id``."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)
