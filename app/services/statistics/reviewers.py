"""A reviewer's figures for a period: the steps they completed, their decisions, the returns
for supplement they issued and the working days a step waited in the inbox before them."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.timing.clock import local_date
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.persistence.models import TaskRecord
from app.services.runtime import Runtime
from app.services.statistics.period import Period
from app.services.statistics.rollup import day_start

#: the most steps read for one reviewer's figures (a busy reviewer does some 5,000 a year)
MAX_TASKS = 50_000


class ReviewerFigures(TypedDict):
    reviewer: str
    tasks_completed: int
    decisions: dict[str, int]
    returned: int
    avg_working_days: float | None


def reviewer_figures(session: Session, runtime: Runtime, period: Period) -> ReviewerFigures:
    assert period.reviewer is not None
    query = (select(TaskRecord.created_at, TaskRecord.completed_at, TaskRecord.decision)
             .where(TaskRecord.completed_by == period.reviewer, TaskRecord.status == TaskStatus.COMPLETED.value,
                    TaskRecord.kind == TaskKind.WORKFLOW.value,
                    TaskRecord.completed_at >= day_start(period.first),
                    TaskRecord.completed_at < day_start(period.last + timedelta(days=1))).limit(MAX_TASKS))
    if period.department:
        query = query.where(TaskRecord.department == period.department)
    decisions: Counter[str] = Counter()
    days = count = 0
    for created, completed, decision in session.execute(query):
        if completed is None:
            continue
        count += 1
        decisions[decision or "none"] += 1
        days += runtime.calendar.working_days_between(local_date(created), local_date(completed))
    return {"reviewer": period.reviewer, "tasks_completed": count, "decisions": dict(decisions),
            "returned": decisions.get("return", 0),
            "avg_working_days": round(days / count, 2) if count else None}
