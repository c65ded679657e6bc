"""The invariant between each case's saved workflow and its inbox projection, checked in bulk.

Every step writes the workflow state and the task rows together, so the tasks open in the
inbox are exactly the ready human tasks of the saved workflow, and a case that is not closed
has something to wait for (an open task or a timer). ``oneseal check cases`` runs this over
every case (or some) and names each case where the two have drifted apart: a case nobody can
act on is found here rather than by the applicant.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseStatus
from app.domain.cases.kinds import TaskKind
from app.persistence.cases import tasks as task_queries
from app.persistence.engine.batches import in_batches
from app.persistence.models import Case, WorkflowState
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.workflow.engine import SavedState


@dataclass(frozen=True)
class Drift:
    """One case whose projection and saved workflow disagree."""

    case_id: int
    number: str
    #: ready in the saved workflow but not open in the inbox (nobody is asked to do them)
    missing: tuple[str, ...] = ()
    #: open in the inbox but not ready in the saved workflow (completing them fails)
    stray: tuple[str, ...] = ()
    #: a further problem in words (closed but running, running with nothing to wait for…)
    problem: str | None = None

    def describe(self) -> str:
        parts = []
        if self.missing:
            parts.append(f"流程中待办而待办箱中没有：{', '.join(self.missing)}")
        if self.stray:
            parts.append(f"待办箱中有而流程中不在待办：{', '.join(self.stray)}")
        if self.problem:
            parts.append(self.problem)
        return f"办件 {self.number}（#{self.case_id}）：" + "；".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "number": self.number, "missing": list(self.missing),
                "stray": list(self.stray), "problem": self.problem}


@dataclass
class CheckReport:
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    #: the inbox's kept counts of ready tasks that differ from the rows (SQLite), in words
    counts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drifts and not self.counts


def check_case(session: Session, runtime: Runtime, case: Case, stored: SavedState,
               has_timer: bool) -> Drift | None:
    """Compare one case's saved workflow with its open task rows."""
    definition = definition_for(session, runtime, case.process_version_id)
    run = runtime.engine.inspect(definition, stored)
    ready = {t.id: t.name for t in run.ready_tasks()}
    rows = [r for r in task_queries.ready_tasks_of_case(session, case.id) if r.kind == TaskKind.WORKFLOW]
    open_ids = {r.id: r.name for r in rows}
    missing = tuple(f"{ready[i]}[{i}]" for i in sorted(set(ready) - set(open_ids)))
    stray = tuple(f"{open_ids[i]}[{i}]" for i in sorted(set(open_ids) - set(ready)))
    problem = None
    final = CaseStatus(case.status).is_final
    if final and not run.is_completed and ready:
        problem = f"办件已办结（{CaseStatus(case.status).label}），流程仍有待办"
    elif not final and run.is_completed:
        problem = "流程已结束，办件未办结"
    elif not final and not open_ids and not has_timer:
        problem = "办件未办结，待办箱中没有它的待办，也无定时事件，无人可以继续办理"
    if missing or stray or problem:
        return Drift(case.id, case.number, missing, stray, problem)
    return None


def check_cases(session: Session, runtime: Runtime, case_ids: Iterable[int] | None = None,
                batch: int = 100) -> CheckReport:
    """Check the given cases (all by default), ``batch`` at a time, memory staying flat."""
    report = CheckReport()
    statement = (select(Case, WorkflowState.state, WorkflowState.serializer_version,
                        WorkflowState.next_timer_at)
                 .join(WorkflowState, WorkflowState.case_id == Case.id))
    if case_ids is not None:
        statement = statement.where(Case.id.in_(list(case_ids)))
    for case, state, version, next_timer_at in in_batches(session, statement, Case.id, batch):
        report.checked += 1
        drift = check_case(session, runtime, case, SavedState(state, version), next_timer_at is not None)
        if drift is not None:
            report.drifts.append(drift)
    if case_ids is None:  # the whole database: the inbox's kept counts too
        report.counts = [f"待办计数不一致：{role}／{department} 记为 {kept} 件，实有 {actual} 件待办"
                         for role, department, kept, actual in task_queries.queue_count_drifts(session)]
    return report

