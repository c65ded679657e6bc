"""The clock of a construction project: each stage has its own limit (阶段时限).

A stage's clock starts the day its lead section accepts it (阶段受理; that day is not counted)
and ends when the stage concludes (阶段批复, or the joint acceptance's 验收意见). While a
stage runs, the case's ``accepted_on``/``due_date`` are the stage's, so the deadline checks
(预警, 超期督办 to the lead section's leader) and the clock suspensions (限期整改 in a joint
survey…) work on the stage as on any case; the stage row keeps the due date it ended with.
Between two stages the applicant prepares the next one (design, construction…): no clock
runs and the case has no due date. The whole project's figure is the sum of the stages'
working days against the sum of their limits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.timing.clock import local_date
from app.domain.cases.kinds import CaseKind
from app.domain.bureau.projects import STAGE_COUNT
from app.persistence.models import Case, TaskRecord
from app.persistence.tables.projects import ProjectStage
from app.persistence.cases.projects import stage_of_case
from app.services.clock.time_limits import due_moment
from app.services.runtime import Runtime
from app.services.stepping.advance import StepEffects
from app.workflow.task_metadata import HumanTaskSpec

OUTCOME_LABELS = {"passed": "通过", "rejected": "不通过", "not_accepted": "不予受理"}


def follow_stage(session: Session, runtime: Runtime, case: Case, task: TaskRecord, spec: HumanTaskSpec,
                 decision: str | None, effects: StepEffects, now: datetime, actor: str) -> None:
    """After a project task completed: start the stage's clock at its acceptance, stop it when the
    stage concludes. Tasks the step created carry the stage's due date."""
    if case.kind != CaseKind.PROJECT or task.project_stage is None or spec.multi_instance:
        return
    row = stage_of_case(session, case.id, task.project_stage)
    if row is None or row.concluded_at is not None:
        return
    if spec.stage == "registered" and decision == "approve":
        _start(runtime, case, row, now)
        effects.record(occurred_at=now, actor=actor, action="project_stage_started", case_id=case.id,
                       element_id=task.element_id,
                       after={"stage": row.stage, "name": row.name, "limit": row.limit_days,
                              "due_date": row.due_date.isoformat() if row.due_date else None})
    elif spec.stage in ("registered", "pending_decision"):
        if spec.stage == "registered":
            outcome = "not_accepted"
        else:
            outcome = "passed" if decision == "approve" else "rejected"
        _conclude(case, row, outcome, now, last=row.stage == STAGE_COUNT)
        effects.record(occurred_at=now, actor=actor, action="project_stage_concluded", case_id=case.id,
                       element_id=task.element_id,
                       after={"stage": row.stage, "name": row.name, "outcome": row.outcome,
                              "outcome_label": OUTCOME_LABELS[row.outcome or ""],
                              "due_date": row.due_date.isoformat() if row.due_date else None})
    else:
        return
    for created in effects.created:
        created.due_at = due_moment(case)


def _start(runtime: Runtime, case: Case, row: ProjectStage, now: datetime) -> None:
    day = local_date(now)
    deadline = runtime.calendar.add_working_days(day, row.limit_days)
    row.started_on, row.due_date, row.provisional = day, deadline.date, deadline.provisional
    case.accepted_on, case.due_date, case.deadline_provisional = day, deadline.date, deadline.provisional
    case.deadline_state = "normal"
    case.department = row.lead  # the stage's lead section answers for its deadline


def _conclude(case: Case, row: ProjectStage, outcome: str, now: datetime, *, last: bool) -> None:
    row.concluded_at, row.outcome = now, outcome
    if row.started_on is not None:
        row.due_date, row.provisional = case.due_date, case.deadline_provisional
    if outcome == "passed" and not last:  # the applicant prepares the next stage: no clock runs
        case.accepted_on, case.due_date, case.deadline_provisional = None, None, False
        case.deadline_state = "normal"
