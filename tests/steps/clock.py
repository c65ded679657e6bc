"""Steps for time limits (时限): set the day, read the case's deadline."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pytest_bdd import given, parsers, then

from app.domain.clock import BUREAU_ZONE


@given(parsers.parse("今天是“{day}”"))
def today_is(clock: Any, day: str) -> None:
    """把时钟拨到某天上午九点半（北京时间）。"""
    clock.set(datetime.combine(date.fromisoformat(day), time(9, 30), tzinfo=BUREAU_ZONE))


@then(parsers.parse("办件的办结时限为“{day}”"))
def due_on(desk: Any, day: str) -> None:
    """办件的办结时限（承诺时限到期的工作日）。"""
    assert desk.detail()["time_limit"]["due_date"] == day


@then("办件的时限是暂定的")
def provisional(desk: Any) -> None:
    """时限依赖尚未公布放假安排的年份，标为暂定。"""
    assert desk.detail()["time_limit"]["provisional"] is True


@then("办件的时限不是暂定的")
def not_provisional(desk: Any) -> None:
    """时限完全依据已公布的放假安排。"""
    assert desk.detail()["time_limit"]["provisional"] is False
