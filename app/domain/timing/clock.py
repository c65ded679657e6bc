"""Time as an argument: services take a clock so tests control it."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

#: The bureau's civil time: working days and deadlines are counted in it.
BUREAU_ZONE = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The bureau's calendar date at ``moment``."""
    return moment.astimezone(BUREAU_ZONE).date()


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved (or ticks ``step`` per reading); for tests."""

    def __init__(self, at: datetime, step: timedelta = timedelta(0)) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=UTC)
        self._step = step

    def now(self) -> datetime:
        at = self._at
        self._at += self._step
        return at

    def set(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)
