"""Keep the inbox projection and the coarse case status in step with the workflow.

Called in the same transaction as every engine step, so the inbox never disagrees with
the saved workflow state.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.bureau.catalogue import Catalogue
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.domain.roles import WINDOW_DEPARTMENT, Role, role_for_lane
from app.persistence.cases import tasks as task_queries
from app.persistence.engine.row_writes import new_row
from app.persistence.models import Case, TaskRecord
from app.services.clock.time_limits import due_moment
from app.workflow.engine import ReadyTask, WorkflowFailure, WorkflowRun
from app.workflow.task_metadata import STAGES


def _department_for(role: Role, case: Case, task: ReadyTask, catalogue: Catalogue) -> str:
    if task.department is not None:
        if task.department not in catalogue.departments:
            raise WorkflowFailure("task_department_unknown",
                                  f"任务 {task.element_id}（{task.name}）的承办部门“{task.department}”"
                                  "不在事项目录的部门中", element_id=task.element_id)
        return task.department
    return WINDOW_DEPARTMENT if role is Role.WINDOW else case.department


def sync_tasks(session: Session, case: Case, run: WorkflowRun, now: datetime, catalogue: Catalogue,
               ready_before: set[str] | None = None) -> list[TaskRecord]:
    """Cancel projected tasks the workflow no longer has ready; return rows for the new ones.

    ``ready_before``: the ids of the workflow tasks that were ready before this step and are
    still projected as ready (the projection mirrors them: every step goes through here), so
    no query is needed; without it the projection is read. The rows returned are not yet in
    the session: the caller writes them (:func:`~app.persistence.engine.row_writes.write_rows`).
    """
    ready = {t.id: t for t in run.ready_tasks()}
    if ready_before is None:
        with session.no_autoflush:
            rows = task_queries.ready_tasks_of_case(session, case.id)
        # rows changed in this unit of work but not yet flushed (a task just completed) are skipped
        ready_before = {row.id for row in rows if row.status == TaskStatus.READY and row.kind == TaskKind.WORKFLOW}
    gone = [task_id for task_id in ready_before if task_id not in ready]
    if gone:
        task_queries.cancel(session, gone, now)
    return [_new_record(case, task, now, catalogue) for task_id, task in ready.items()
            if task_id not in ready_before]


def _new_record(case: Case, task: ReadyTask, now: datetime, catalogue: Catalogue) -> TaskRecord:
    role = role_for_lane(task.lane)
    if role is None:
        raise WorkflowFailure("task_lane_unknown",
                              f"任务 {task.element_id}（{task.name}）所在泳道未对应任何角色",
                              element_id=task.element_id)
    return new_row(TaskRecord, id=task.id, case_id=case.id, element_id=task.element_id, name=task.name,
                   role=role.value, department=_department_for(role, case, task, catalogue),
                   kind=TaskKind.WORKFLOW, status=TaskStatus.READY, claimed_by=None, created_at=now,
                   due_at=due_moment(case), data={}, item_code=task.item_code,
                   project_stage=task.project_stage)


def next_status(case: Case, run: WorkflowRun) -> CaseStatus:
    if run.is_completed:
        return CaseStatus.NOT_ACCEPTED if case.result == CaseResult.NOT_ACCEPTED else CaseStatus.COMPLETED
    stages = [t.spec.stage for t in run.ready_tasks() if t.spec.stage]
    if not stages:
        return CaseStatus(case.status)
    return CaseStatus(min(stages, key=STAGES.index))
