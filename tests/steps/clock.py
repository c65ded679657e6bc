"""Steps for time limits (时限): set the day, read the case's deadline."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pytest_bdd import given, parsers, then, when

from app.domain.clock import BUREAU_ZONE, local_date


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


@when(parsers.parse("过了{days:d}个工作日"))
def working_days_pass(desk: Any, clock: Any, days: int) -> None:
    """把时钟向后拨若干个工作日（按真实的工作日历，到那天上午九点半）。"""
    today = local_date(clock.now())
    target = desk.ext.runtime.calendar.add_working_days(today, days).date
    clock.set(datetime.combine(target, time(9, 30), tzinfo=BUREAU_ZONE))


@then(parsers.parse("办件暂停计时，原因为“{reason}”"))
def clock_stopped(desk: Any, reason: str) -> None:
    """办件处于法定不计时状态（退回补正、限期整改、专家评审、听证）。"""
    detail = desk.detail()
    open_ones = [s for s in detail["suspensions"] if s["ended_at"] is None]
    assert open_ones and open_ones[-1]["reason_label"] == reason, detail["suspensions"]
    assert detail["time_limit"]["suspended"] is True


@then(parsers.parse("办件恢复计时，暂停了{days:d}个工作日"))
def clock_restarted(desk: Any, days: int) -> None:
    """暂停结束，计时恢复；暂停的工作日数顺延办结时限。"""
    detail = desk.detail()
    assert detail["suspensions"] and detail["suspensions"][-1]["ended_at"] is not None, detail["suspensions"]
    assert detail["suspensions"][-1]["working_days"] == days
    assert detail["time_limit"]["suspended"] is False
