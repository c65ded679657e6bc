"""The cases behind a figure (each number of the statistics page is a link to its list).

Each figure is the same condition the roll-ups count with (``rollup.compute``); those that
need the calendar (on time, overdue, at most one visit) are decided per case in Python over
the cases concluded in the period.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, TypedDict

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.timing.clock import local_date
from app.domain.errors import InvalidInput
from app.domain.cases.kinds import CaseKind
from app.persistence.models import Case, ClockSuspension, SupplementNotice
from app.services.runtime import Runtime
from app.services.statistics.case_figures import ConcludedCase, figures_of
from app.services.statistics.figures import OPEN_STATUSES
from app.services.statistics.period import Period
from app.services.statistics.rollup import day_start

FIGURE_LABELS = {
    "received": "收件", "accepted": "受理", "accepted_with_gaps": "容缺受理", "returned": "退回补正",
    "completed": "办结", "granted": "准予", "refused": "不予", "withdrawn": "撤回",
    "not_accepted": "不予受理", "on_time": "按时办结", "overdue_completed": "超期办结",
    "one_visit": "最多跑一次", "open": "在办", "overdue_open": "在办超期",
}
PAGE_SIZE = 50
#: the most concluded cases decided one by one for a calendar figure (a year of a county)
MAX_SCAN = 200_000
_RESULTS = {"granted": CaseResult.APPROVED, "refused": CaseResult.REJECTED, "withdrawn": CaseResult.WITHDRAWN}


class CaseRow(TypedDict):
    id: int
    number: str
    item_code: str
    item_name: str
    department: str
    department_name: str
    status: str
    status_label: str
    result: str | None
    created_at: str
    accepted_on: str | None
    due_date: str | None
    completed_at: str | None


class CaseList(TypedDict):
    figure: str
    figure_label: str
    period: dict[str, str]
    total: int
    page: int
    pages: int
    items: list[CaseRow]


def figure_cases(session: Session, runtime: Runtime, period: Period, figure: str | None,
                 page: int = 1) -> CaseList:
    if figure not in FIGURE_LABELS:
        raise InvalidInput("unknown_figure", "参数 figure 应为以下之一：" + "、".join(FIGURE_LABELS),
                           field="figure")
    start, end = day_start(period.first), day_start(period.last + timedelta(days=1))
    where: list[Any] = [Case.kind != CaseKind.REVOCATION.value]
    if period.department:
        where.append(Case.department == period.department)
    if period.item_code:
        where.append(Case.item_code == period.item_code)
    concluded = [Case.completed_at >= start, Case.completed_at < end]
    query: Select[Any] = select(Case).where(*where)
    if figure == "received":
        query = query.where(Case.created_at >= start, Case.created_at < end)
    elif figure in ("accepted", "accepted_with_gaps"):
        query = query.where(Case.accepted_on >= period.first, Case.accepted_on <= period.last)
        if figure == "accepted_with_gaps":
            query = query.where(Case.accepted_with_gaps.is_(True))
    elif figure == "returned":
        query = query.where(Case.id.in_(select(SupplementNotice.case_id).where(
            SupplementNotice.task_id.is_not(None), SupplementNotice.issued_at >= start,
            SupplementNotice.issued_at < end)))
    elif figure in ("completed", *_RESULTS):
        query = query.where(*concluded, Case.status == CaseStatus.COMPLETED.value)
        if figure in _RESULTS:
            query = query.where(Case.result == _RESULTS[figure].value)
    elif figure == "not_accepted":
        query = query.where(*concluded, Case.status == CaseStatus.NOT_ACCEPTED.value)
    elif figure in ("open", "overdue_open"):
        query = query.where(Case.status.in_(OPEN_STATUSES))
        if figure == "overdue_open":
            query = query.where(or_(Case.deadline_state == "overdue",
                                    (Case.due_date < local_date(runtime.clock.now()))
                                    & Case.clock_suspended_since.is_(None)))
    else:
        return _decided(session, runtime, period, figure, where + concluded, page)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Case.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return _page(runtime, period, figure, total, page, list(rows))


def _decided(session: Session, runtime: Runtime, period: Period, figure: str, where: list[Any],
             page: int) -> CaseList:
    suspended = (select(ClockSuspension.case_id, func.sum(ClockSuspension.days_added).label("days"))
                 .group_by(ClockSuspension.case_id).subquery())
    returns = (select(SupplementNotice.case_id, func.count().label("n"))
               .where(SupplementNotice.task_id.is_not(None)).group_by(SupplementNotice.case_id).subquery())
    rows = session.execute(
        select(Case.id, Case.status, Case.result, Case.created_at, Case.completed_at, Case.accepted_on,
               Case.due_date, Case.delivery, func.coalesce(suspended.c.days, 0), func.coalesce(returns.c.n, 0))
        .outerjoin(suspended, suspended.c.case_id == Case.id).outerjoin(returns, returns.c.case_id == Case.id)
        .where(*where).order_by(Case.id.desc()).limit(MAX_SCAN))
    ids = []
    for case_id, status, result, created, completed, accepted, due, delivery, days, n in rows:
        figures = figures_of(ConcludedCase(status, result, created, completed, accepted, due, delivery,
                                           int(days), int(n)), runtime.calendar)
        if (figure == "on_time" and figures.timed and figures.on_time) \
                or (figure == "overdue_completed" and figures.timed and not figures.on_time) \
                or (figure == "one_visit" and figures.one_visit):
            ids.append(case_id)
    chosen = ids[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(chosen)))} if chosen else {}
    return _page(runtime, period, figure, len(ids), page, [cases[i] for i in chosen])


def _page(runtime: Runtime, period: Period, figure: str, total: int, page: int, cases: list[Case]) -> CaseList:
    catalogue = runtime.catalogue
    return {"figure": figure, "figure_label": FIGURE_LABELS[figure], "period": period.as_params(),
            "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
            "items": [{"id": c.id, "number": c.number, "item_code": c.item_code, "item_name": c.item_name,
                       "department": c.department, "department_name": catalogue.department_name(c.department),
                       "status": c.status, "status_label": CaseStatus(c.status).label, "result": c.result,
                       "created_at": c.created_at.isoformat(),
                       "accepted_on": c.accepted_on.isoformat() if c.accepted_on else None,
                       "due_date": c.due_date.isoformat() if c.due_date else None,
                       "completed_at": c.completed_at.isoformat() if c.completed_at else None}
                      for c in cases]}
