"""效能统计与效能监察
Steps that read the bureau's figures of a period as a user would (the whole bureau, or one
department) and check them; the daily supervision runs with the background worker."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.errors import OneSealError
from app.scenarios.running.expect import ExpectationFailed, expect, expect_equal
from app.scenarios.language.registry import then, when
from app.scenarios.running.services import ScenarioServices
from app.services.statistics.figures import Figures, compute_figures
from app.services.runtime import Runtime
from app.services.statistics.period import parse_period
from app.services.statistics.rollup import catch_up


def _figures(services: ScenarioServices, username: str, args: dict[str, str]) -> Figures | OneSealError:
    actor = services.actor(username)
    runtime = services.runtime

    def read(session: Session, _runtime: Runtime) -> Figures:
        now: datetime = runtime.clock.now()
        catch_up(session, runtime.calendar)  # as the statistics page does: what changes marked, first
        return compute_figures(session, runtime, parse_period(args, actor, runtime.catalogue, now), now)

    try:
        return services.run(read)
    except OneSealError as err:
        return err


def _department_code(services: ScenarioServices, name: str) -> str:
    for code, department in services.catalogue.departments.items():
        if department.name == name:
            return code
    raise ExpectationFailed(f"事项目录中没有部门“{name}”")


def _answered(answer: object) -> Figures:
    if isinstance(answer, OneSealError):
        raise ExpectationFailed(f"预期看到效能统计，实际被拒绝：{answer.message}")
    expect(isinstance(answer, dict), "上一步没有查看效能统计")
    return answer  # type: ignore[return-value]


@when("“{username}”查看“{first}”至“{last}”的效能统计", produces="answer")
def read_figures(services: ScenarioServices, username: str, first: str, last: str) -> Figures | OneSealError:
    """某用户查看某期间（北京时间，含首尾两日）的效能统计：领导、效能监察、审计看全局，审查人员看本部门。"""
    return _figures(services, username, {"from": first, "to": last})


@when("“{username}”查看“{department}”的效能统计，期间为“{first}”至“{last}”", produces="answer")
def read_department_figures(services: ScenarioServices, username: str, department: str, first: str,
                            last: str) -> Figures | OneSealError:
    """某用户查看某部门（中文名称）某期间的效能统计。"""
    return _figures(services, username, {"from": first, "to": last,
                                         "department": _department_code(services, department)})


@then("效能统计显示收件{received:d}件、受理{accepted:d}件、退回补正{returned:d}次、办结{completed:d}件")
def counts(answer: object, received: int, accepted: int, returned: int, completed: int) -> None:
    """收件、受理、退回补正、办结的数量。"""
    figures = _answered(answer)
    expect_equal((figures["received"], figures["accepted"], figures["returned"], figures["completed"]),
                 (received, accepted, returned, completed))


@then("按时办结率为“{rate}”，平均办理用时为{days}个工作日，平均承诺时限为{limit}个工作日")
def timeliness(answer: object, rate: str, days: str, limit: str) -> None:
    """按时办结率（百分比，保留一位小数）、平均办理用时与平均承诺时限（工作日，不计暂停计时的天数）。"""
    figures = _answered(answer)
    shown = "—" if figures["on_time_rate"] is None else f"{figures['on_time_rate'] * 100:.1f}%"
    expect_equal((shown, figures["avg_working_days"], figures["avg_promised_limit"]),
                 (rate, float(days), float(limit)))


@then("最多跑一次的办件为{count:d}件")
def one_visit(answer: object, count: int) -> None:
    """办结件中未退回补正、且邮寄或网上送达（或当天办结领取）的件数。"""
    expect_equal(_answered(answer)["one_visit"], count)


@then("“{department}”一栏显示收件{received:d}件、在办{opened:d}件、在办超期{overdue:d}件")
def department_row(answer: object, department: str, received: int, opened: int, overdue: int) -> None:
    """按部门统计中某部门（中文名称）的收件、当前在办、在办超期件数。"""
    rows = {r["department_name"]: r for r in _answered(answer)["by_department"]}
    expect(department in rows, f"预期按部门统计中有“{department}”，实际：{sorted(rows)}")
    row = rows[department]
    expect_equal((row["received"], row["open"], row["overdue_open"]), (received, opened, overdue), row)


@then("效能统计只含“{department}”")
def only_department(answer: object, department: str) -> None:
    """统计的范围限于某部门（中文名称）：部门人员只能看本部门。"""
    figures = _answered(answer)
    expect_equal(figures["period"]["department_name"], department)
    expect(all(r["department_name"] == department for r in figures["by_department"]),
           f"按部门统计中有其他部门：{[r['department_name'] for r in figures['by_department']]}")
