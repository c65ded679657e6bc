"""Outbox handlers by message kind.

A later feature registers the handler of its messages once, at import, in :data:`HANDLERS`::

    @HANDLERS.handler("supervision.push")
    def push(message: OutboxMessage, ctx: JobContext) -> None: ...

A handler is called outside any transaction, at least once per message (again after a
failure, or when a worker died before the delivery was recorded), so it must tolerate being
called twice for the same message: the message id is a natural idempotency key for the
receiver. It raises to say the delivery failed; the dispatcher retries it later.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.persistence.background.outbox import OutboxMessage

if TYPE_CHECKING:
    from app.jobs.context import JobContext

Handler = Callable[[OutboxMessage, "JobContext"], None]


class Handlers:
    def __init__(self) -> None:
        self._by_kind: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._by_kind and self._by_kind[kind] is not handler:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        self._by_kind[kind] = handler

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.register(kind, handler)
            return handler
        return decorate

    def unregister(self, kind: str) -> None:
        self._by_kind.pop(kind, None)

    def get(self, kind: str) -> Handler | None:
        return self._by_kind.get(kind)


#: the handlers of the running service
HANDLERS = Handlers()
