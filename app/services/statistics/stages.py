"""Construction projects (工程建设项目): average working days per stage against the stage limits.

A stage's working days run from the day its lead section accepted it (not counted) to the day it
concluded, less the working days the case's clock stood still in between. Projects are few (a
county registers some dozens a year), so the stages concluded in the period are read as rows.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.timing.clock import local_date
from app.persistence.models import Case, ClockSuspension
from app.persistence.tables.projects import ProjectStage
from app.services.runtime import Runtime
from app.services.statistics.period import Period
from app.services.statistics.rollup import day_start


class StageFigures(TypedDict):
    stage: int
    name: str
    concluded: int
    avg_working_days: float | None
    avg_limit: float | None
    over_limit: int


def stage_figures(session: Session, runtime: Runtime, period: Period) -> list[StageFigures]:
    from datetime import timedelta

    start, end = day_start(period.first), day_start(period.last + timedelta(days=1))
    query = (select(ProjectStage).join(Case, Case.id == ProjectStage.case_id)
             .where(ProjectStage.concluded_at >= start, ProjectStage.concluded_at < end,
                    ProjectStage.started_on.is_not(None)))
    if period.department:
        query = query.where(ProjectStage.lead == period.department)
    if period.item_code:
        query = query.where(Case.item_code == period.item_code)
    stages = list(session.scalars(query))
    if not stages:
        return []
    suspensions = defaultdict(list)
    for row in session.scalars(select(ClockSuspension).where(
            ClockSuspension.case_id.in_({s.case_id for s in stages}), ClockSuspension.ended_at.is_not(None))):
        suspensions[row.case_id].append(row)
    calendar = runtime.calendar
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # count, used, limit, over
    names: dict[int, str] = {}
    for stage in stages:
        assert stage.started_on is not None and stage.concluded_at is not None
        ended = local_date(stage.concluded_at)
        stood = sum(s.days_added or 0 for s in suspensions[stage.case_id]
                    if stage.started_on <= local_date(s.started_at) <= ended)
        used = max(0, calendar.working_days_between(stage.started_on, ended) - stood)
        entry = totals[stage.stage]
        entry[0] += 1
        entry[1] += used
        entry[2] += stage.limit_days
        entry[3] += used > stage.limit_days
        names[stage.stage] = stage.name
    return [{"stage": number, "name": names[number], "concluded": count,
             "avg_working_days": round(used / count, 2), "avg_limit": round(limit / count, 2),
             "over_limit": over}
            for number, (count, used, limit, over) in sorted(totals.items())]
