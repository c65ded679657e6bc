"""The failure limiter behind the public progress page."""
from __future__ import annotations

from app.web.rate_limit import FailureLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_the_limit_and_forgets_after_the_window():
    ticks = Ticks()
    limiter = FailureLimiter(3, 60, clock=ticks)
    for _ in range(3):
        assert not limiter.blocked("a")
        limiter.fail("a")
    assert limiter.blocked("a") and not limiter.blocked("b")
    ticks.now = 59.9
    assert limiter.blocked("a")
    ticks.now = 60.1
    assert not limiter.blocked("a")


def test_memory_stays_bounded():
    ticks = Ticks()
    limiter = FailureLimiter(2, 60, max_keys=100, clock=ticks)
    for n in range(1_000):
        limiter.fail(f"client-{n}")
    assert len(limiter._failures) <= 100
    limiter.fail("late")
    limiter.fail("late")
    assert limiter.blocked("late")
