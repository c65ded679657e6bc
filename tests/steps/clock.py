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


@given(parsers.parse("现在是“{day}” {hhmm}"))
def now_is(clock: Any, day: str, hhmm: str) -> None:
    """把时钟拨到某天的某个时刻（北京时间，如 17:31）。"""
    hour, minute = (int(p) for p in hhmm.split(":"))
    clock.set(datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=BUREAU_ZONE))


@when("后台任务运行一轮")
def worker_pass(desk: Any) -> None:
    """运行一轮后台任务：触发到期的定时事件，检查所有办件的时限（预警、超期督办）。"""
    from app.worker import Worker

    desk.seen["worker"] = Worker(desk.ext.db, desk.ext.runtime).run_pass()


@then(parsers.parse("办件处于时限预警，还剩{days:d}个工作日"))
def warned(desk: Any, days: int) -> None:
    """办件的时限状态为“预警”，剩余工作日数。"""
    limit = desk.detail()["time_limit"]
    assert (limit["state_label"], limit["working_days_left"]) == ("预警", days), limit


@then("办件的时限正常")
def normal(desk: Any) -> None:
    """办件既未预警也未超期。"""
    assert desk.detail()["time_limit"]["state_label"] == "正常"


@then("办件已超期")
def overdue(desk: Any) -> None:
    """办件的时限状态为“超期”。"""
    assert desk.detail()["time_limit"]["state_label"] == "超期"


@then(parsers.parse("“{username}”的部门待办中有该办件的“{step}”"))
def in_department_inbox(desk: Any, username: str, step: str) -> None:
    """某用户所在部门的待办列表里有本办件的某个环节（如“超期督办”）。"""
    from app.services.reading.inbox import InboxRequest, inbox

    actor = desk.actor(username)
    page = desk.run(lambda s, rt: inbox(s, rt, actor, InboxRequest(tab="department", page_size=100)))
    names = [t["name"] for t in page.items if t["case"]["id"] == desk.case_id]
    assert step in names, names
