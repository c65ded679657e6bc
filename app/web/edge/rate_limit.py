"""A limit on failed attempts per client at the pages open to the public, shared by every
process of the service: the failures are kept in the database (``failed_attempts``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from app.domain.timing.clock import Clock
from app.persistence.engine.db import Database
from app.persistence.access.failed_attempts import count_since, record_failure

#: a client is known by at most this many characters of its address (the column's width)
KEY_LENGTH = 64


class FailureLimiter(Protocol):
    """At most ``limit`` failures per window per client. Another store (Redis: a sorted set per
    client, trimmed to the window) only needs these two methods."""

    def blocked(self, client: str) -> bool: ...

    def fail(self, client: str) -> None: ...


class DatabaseFailureLimiter:
    """Failures as rows: every process and host of one deployment counts the same ones. Two
    attempts at the same instant may both pass the check: the limit can be overrun by the
    number of requests a client has in flight, never more."""

    def __init__(self, db: Database, clock: Clock, scope: str, limit: int, window: timedelta) -> None:
        self.db, self.clock, self.scope, self.limit, self.window = db, clock, scope, limit, window

    def blocked(self, client: str) -> bool:
        with self.db.session(write=False) as session:
            since = self.clock.now() - self.window
            return count_since(session, self.scope, client[:KEY_LENGTH], since) >= self.limit

    def fail(self, client: str) -> None:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            record_failure(session, self.scope, client[:KEY_LENGTH], now, forget_before=now - self.window)
