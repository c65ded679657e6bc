"""A small in-process limiter of failed attempts per client, for pages open to the public."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """At most ``limit`` failures per ``window`` seconds per key; memory stays bounded."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def fail(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            if key not in self._failures and len(self._failures) >= self.max_keys:
                for stale in [k for k in list(self._failures) if not self._recent(k, now)]:
                    self._failures.pop(stale, None)
                if len(self._failures) >= self.max_keys:  # still full: forget the oldest key
                    self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(key, deque()).append(now)
