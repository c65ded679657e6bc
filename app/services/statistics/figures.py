"""The figures of a period, read from the daily roll-ups (and, for what is open now, the cases).

A year of a city (some 400,000 cases) is a few tens of thousands of roll-up rows: the sums are
taken by the database, the weeks and the p90 in Python from a few hundred grouped rows
(``scripts/bench_statistics.py``). See README, “效能统计”, for every figure and its source.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseStatus
from app.domain.bureau.catalogue import Bundle, Catalogue, ItemKind
from app.domain.timing.clock import local_date
from app.domain.cases.kinds import CaseKind
from app.persistence.tables.figures import DailyDuration, DailyFigure, MonthlyDuration, MonthlyFigure
from app.persistence.models import Case
from app.services.runtime import Runtime
from app.services.statistics.period import Period, weeks_of
from app.services.statistics.reviewers import ReviewerFigures, reviewer_figures
from app.services.statistics.rollup import COUNTERS, month_end, month_of
from app.services.statistics.stages import StageFigures, stage_figures

OPEN_STATUSES = [s.value for s in CaseStatus if not s.is_final]


class DepartmentRow(TypedDict):
    department: str
    department_name: str
    received: int
    completed: int
    on_time_rate: float | None
    avg_working_days: float | None
    open: int
    overdue_open: int


class ItemRow(TypedDict):
    item: str
    item_name: str
    department: str
    department_name: str
    kind: str
    received: int
    completed: int
    on_time_rate: float | None
    avg_working_days: float | None
    promised_limit: int | None
    statutory_limit: int | None


class WeekRow(TypedDict):
    week: str
    week_start: str
    received: int
    completed: int
    on_time_rate: float | None


class Figures(TypedDict):
    period: dict[str, Any]
    received: int
    accepted: int
    accepted_with_gaps: int
    returned: int
    completed: int
    not_accepted: int
    granted: int
    refused: int
    withdrawn: int
    partial: int
    open: int
    overdue_open: int
    timed: int
    on_time: int
    overdue_completed: int
    on_time_rate: float | None
    avg_working_days: float | None
    p90_working_days: int | None
    avg_promised_limit: float | None
    avg_statutory_limit: float | None
    speed_up_vs_statutory: float | None
    immediate_received: int
    immediate_share: float | None
    commitment_accepted: int
    bundles_received: int
    one_visit: int
    one_visit_rate: float | None
    online_share: float
    satisfaction: float | None
    by_department: list[DepartmentRow]
    by_item: list[ItemRow]
    weekly: list[WeekRow]
    project_stages: list[StageFigures]
    reviewer: ReviewerFigures | None


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def average(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def percentile(histogram: Counter[int], share: float) -> int | None:
    """The smallest value at or below which ``share`` of the counted values lie."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted, seen = share * total, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return value
    return max(histogram)


def _where(period: Period) -> list[Any]:
    where = [DailyFigure.day >= period.first, DailyFigure.day <= period.last]
    if period.department:
        where.append(DailyFigure.department == period.department)
    if period.item_code:
        where.append(DailyFigure.item_code == period.item_code)
    return where


Span = tuple[Any, date, date]


def spans(period: Period) -> list[Span]:
    """The period as the roll-up rows that cover it: the whole months inside it from the
    monthly rows, the days before and after them from the daily ones."""
    first, last = period.first, period.last
    start = first if first.day == 1 else month_end(first) + timedelta(days=1)
    end = last if last == month_end(last) else month_of(last) - timedelta(days=1)
    if start > end:
        return [(DailyFigure, first, last)]
    result: list[Span] = [(MonthlyFigure, start, month_of(end))]
    if first < start:
        result.append((DailyFigure, first, start - timedelta(days=1)))
    if last > end:
        result.append((DailyFigure, end + timedelta(days=1), last))
    return result


def _by_item(session: Session, period: Period) -> dict[tuple[str, str], dict[str, int]]:
    per_item: dict[tuple[str, str], dict[str, int]] = {}
    for table, first, last in spans(period):
        when = table.month if table is MonthlyFigure else table.day
        where = [when >= first, when <= last]
        if period.department:
            where.append(table.department == period.department)
        if period.item_code:
            where.append(table.item_code == period.item_code)
        sums = [func.coalesce(func.sum(getattr(table, name)), 0) for name in COUNTERS]
        for row in session.execute(select(table.department, table.item_code, *sums).where(*where)
                                   .group_by(table.department, table.item_code)):
            values = per_item.setdefault((row[0], row[1]), dict.fromkeys(COUNTERS, 0))
            for name, value in zip(COUNTERS, row[2:]):
                values[name] += int(value)
    return per_item


def compute_figures(session: Session, runtime: Runtime, period: Period, now: datetime) -> Figures:
    catalogue = runtime.catalogue
    per_item = _by_item(session, period)
    total: Counter[str] = Counter()
    per_department: dict[str, Counter[str]] = {}
    for (department, _item), values in per_item.items():
        total.update(values)
        per_department.setdefault(department, Counter()).update(values)
    open_now = _open_now(session, period, local_date(now))
    statutory_sum = immediate = commitment = bundles = 0
    by_item: list[ItemRow] = []
    for (department, code), values in sorted(per_item.items(), key=lambda kv: (-kv[1]["received"], kv[0])):
        subject = catalogue.find(code)
        kind = "project" if code in catalogue.projects else "bundle" if isinstance(subject, Bundle) \
            else subject.kind.value if subject is not None else "unknown"
        if subject is not None:
            statutory_sum += subject.statutory_limit * values["timed"]
            if subject.kind is ItemKind.IMMEDIATE:
                immediate += values["received"]
            if subject.commitment is not None:
                commitment += values["accepted"]
        if kind == "bundle":
            bundles += values["received"]
        by_item.append({
            "item": code, "item_name": subject.name if subject else code, "department": department,
            "department_name": catalogue.department_name(department), "kind": kind,
            "received": values["received"], "completed": values["completed"],
            "on_time_rate": rate(values["on_time"], values["timed"]),
            "avg_working_days": average(values["days_used"], values["timed"]),
            "promised_limit": subject.promised_limit if subject else None,
            "statutory_limit": subject.statutory_limit if subject else None})
    departments = sorted(set(per_department) | set(open_now))
    by_department: list[DepartmentRow] = []
    for department in departments:
        values = per_department.get(department, Counter())
        opened, overdue = open_now.get(department, (0, 0))
        by_department.append({
            "department": department, "department_name": catalogue.department_name(department),
            "received": values["received"], "completed": values["completed"],
            "on_time_rate": rate(values["on_time"], values["timed"]),
            "avg_working_days": average(values["days_used"], values["timed"]),
            "open": opened, "overdue_open": overdue})
    timed = total["timed"]
    avg_days = average(total["days_used"], timed)
    avg_statutory = average(statutory_sum, timed)
    return {
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "days": period.days,
                   "working_days": runtime.calendar.working_days_between(
                       period.first - timedelta(days=1), period.last),
                   "department": period.department,
                   "department_name": catalogue.department_name(period.department) if period.department else None,
                   "item": period.item_code,
                   "item_name": _subject_name(catalogue, period.item_code),
                   "reviewer": period.reviewer},
        "received": total["received"], "accepted": total["accepted"],
        "accepted_with_gaps": total["accepted_with_gaps"], "returned": total["returned"],
        "completed": total["completed"], "not_accepted": total["not_accepted"], "granted": total["granted"],
        "refused": total["refused"], "withdrawn": total["withdrawn"], "partial": total["partial"],
        "timed": total["timed"], "on_time": total["on_time"], "one_visit": total["one_visit"],
        "open": sum(o for o, _ in open_now.values()),
        "overdue_open": sum(d for _, d in open_now.values()),
        "overdue_completed": timed - total["on_time"],
        "on_time_rate": rate(total["on_time"], timed),
        "avg_working_days": avg_days,
        "p90_working_days": percentile(_durations(session, period), 0.9),
        "avg_promised_limit": average(total["limit_days"], timed),
        "avg_statutory_limit": avg_statutory,
        "speed_up_vs_statutory": round(1 - avg_days / avg_statutory, 4)
        if avg_days is not None and avg_statutory else None,
        "immediate_received": immediate,
        "immediate_share": rate(immediate, total["received"]),
        "commitment_accepted": commitment,
        "bundles_received": bundles,
        "one_visit_rate": rate(total["one_visit"], total["completed"]),
        "online_share": 0.0,
        "satisfaction": None,
        "by_department": by_department,
        "by_item": by_item,
        "weekly": _weekly(session, period),
        "project_stages": stage_figures(session, runtime, period),
        "reviewer": reviewer_figures(session, runtime, period) if period.reviewer else None,
    }


def _subject_name(catalogue: Catalogue, code: str | None) -> str | None:
    if code is None:
        return None
    subject = catalogue.find(code)
    return subject.name if subject else code


def _durations(session: Session, period: Period) -> Counter[int]:
    histogram: Counter[int] = Counter()
    for figures_table, first, last in spans(period):
        table: Any = MonthlyDuration if figures_table is MonthlyFigure else DailyDuration
        when = table.month if table is MonthlyDuration else table.day
        where = [when >= first, when <= last]
        if period.department:
            where.append(table.department == period.department)
        if period.item_code:
            where.append(table.item_code == period.item_code)
        for days, n in session.execute(select(table.days, func.sum(table.cases)).where(*where).group_by(table.days)):
            histogram[int(days)] += int(n)
    return histogram


def _weekly(session: Session, period: Period) -> list[WeekRow]:
    rows = session.execute(select(DailyFigure.day, func.sum(DailyFigure.received), func.sum(DailyFigure.completed),
                                  func.sum(DailyFigure.timed), func.sum(DailyFigure.on_time))
                           .where(*_where(period)).group_by(DailyFigure.day))
    weeks: dict[date, Counter[str]] = {monday: Counter() for monday in weeks_of(period.first, period.last)}
    for day, received, completed, timed, on_time in rows:
        week = weeks[day - timedelta(days=day.weekday())]
        week.update(received=int(received or 0), completed=int(completed or 0), timed=int(timed or 0),
                    on_time=int(on_time or 0))
    result: list[WeekRow] = []
    for monday, values in weeks.items():
        year, number, _ = monday.isocalendar()
        result.append({"week": f"{year}-W{number:02d}", "week_start": monday.isoformat(),
                       "received": values["received"], "completed": values["completed"],
                       "on_time_rate": rate(values["on_time"], values["timed"])})
    return result


def _open_now(session: Session, period: Period, today: date) -> dict[str, tuple[int, int]]:
    """Cases open now per department, and of those past their due date (超期): a figure of
    today, whatever the period."""
    overdue = or_(Case.deadline_state == "overdue",
                  (Case.due_date < today) & Case.clock_suspended_since.is_(None))
    where = [Case.status.in_(OPEN_STATUSES), Case.kind != CaseKind.REVOCATION.value]
    if period.department:
        where.append(Case.department == period.department)
    if period.item_code:
        where.append(Case.item_code == period.item_code)
    rows = session.execute(select(Case.department, func.count(),
                                  func.count().filter(overdue))
                           .where(*where).group_by(Case.department))
    return {department: (int(n), int(late)) for department, n, late in rows}
