"""时限：日期、工作日、计时暂停与恢复
Steps that set the day, let working days pass, run the background worker and read the
case's time limit."""
from __future__ import annotations

from datetime import date, datetime, time

from app.domain.timing.clock import BUREAU_ZONE, local_date
from app.scenarios.running.expect import expect, expect_equal, expect_in
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary.inbox import inbox_items
from app.worker import Worker


@given("今天是“{day}”")
def today_is(services: ScenarioServices, day: str) -> None:
    """把时钟拨到某天上午九点半（北京时间）。"""
    services.set_time(datetime.combine(date.fromisoformat(day), time(9, 30), tzinfo=BUREAU_ZONE))


@given("现在是“{day}” {hhmm}")
def now_is(services: ScenarioServices, day: str, hhmm: str) -> None:
    """把时钟拨到某天的某个时刻（北京时间，如 17:31）。"""
    hour, minute = (int(p) for p in hhmm.split(":"))
    services.set_time(datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=BUREAU_ZONE))


@when("过了{days:d}个工作日")
def working_days_pass(services: ScenarioServices, days: int) -> None:
    """把时钟向后拨若干个工作日（按真实的工作日历，到那天上午九点半）。"""
    today = local_date(services.runtime.clock.now())
    target = services.runtime.calendar.add_working_days(today, days).date
    services.set_time(datetime.combine(target, time(9, 30), tzinfo=BUREAU_ZONE))


@when("后台任务运行一轮")
def worker_pass(services: ScenarioServices) -> None:
    """运行一轮后台任务：触发到期的定时事件，检查所有办件的时限（预警、超期督办）。"""
    Worker(services.db, services.runtime).run_pass()


@then("办件的办结时限为“{day}”")
def due_on(services: ScenarioServices, case_id: int, day: str) -> None:
    """办件的办结时限（承诺时限到期的工作日）。"""
    expect_equal(services.detail(case_id)["time_limit"]["due_date"], day)


@then("办件的时限是暂定的")
def provisional(services: ScenarioServices, case_id: int) -> None:
    """时限依赖尚未公布放假安排的年份，标为暂定。"""
    expect_equal(services.detail(case_id)["time_limit"]["provisional"], True)


@then("办件的时限不是暂定的")
def not_provisional(services: ScenarioServices, case_id: int) -> None:
    """时限完全依据已公布的放假安排。"""
    expect_equal(services.detail(case_id)["time_limit"]["provisional"], False)


@then("办件暂停计时，原因为“{reason}”")
def clock_stopped(services: ScenarioServices, case_id: int, reason: str) -> None:
    """办件处于法定不计时状态（退回补正、限期整改、专家评审、听证）。"""
    detail = services.detail(case_id)
    open_ones = [s for s in detail["suspensions"] if s["ended_at"] is None]
    expect(open_ones, f"预期办件暂停计时，实际没有暂停：{detail['suspensions']}")
    expect_equal(open_ones[-1]["reason_label"], reason, detail["suspensions"])
    expect_equal(detail["time_limit"]["suspended"], True)


@then("办件恢复计时，暂停了{days:d}个工作日")
def clock_restarted(services: ScenarioServices, case_id: int, days: int) -> None:
    """暂停结束，计时恢复；暂停的工作日数顺延办结时限。"""
    detail = services.detail(case_id)
    suspensions = detail["suspensions"]
    expect(suspensions and suspensions[-1]["ended_at"] is not None,
           f"预期办件的暂停已经结束，实际：{suspensions}")
    expect_equal(suspensions[-1]["working_days"], days)
    expect_equal(detail["time_limit"]["suspended"], False)


@then("办件处于时限预警，还剩{days:d}个工作日")
def warned(services: ScenarioServices, case_id: int, days: int) -> None:
    """办件的时限状态为“预警”，剩余工作日数。"""
    limit = services.detail(case_id)["time_limit"]
    expect_equal((limit["state_label"], limit["working_days_left"]), ("预警", days), limit)


@then("办件的时限正常")
def normal(services: ScenarioServices, case_id: int) -> None:
    """办件既未预警也未超期。"""
    expect_equal(services.detail(case_id)["time_limit"]["state_label"], "正常")


@then("办件已超期")
def overdue(services: ScenarioServices, case_id: int) -> None:
    """办件的时限状态为“超期”。"""
    expect_equal(services.detail(case_id)["time_limit"]["state_label"], "超期")


@then("“{username}”的部门待办中有该办件的“{step}”")
def in_department_inbox(services: ScenarioServices, case_id: int, username: str, step: str) -> None:
    """某用户所在部门的待办列表里有本办件的某个环节（如“超期督办”）。"""
    names = [t["name"] for t in inbox_items(services, username, "department") if t["case"]["id"] == case_id]
    expect_in(step, names)
