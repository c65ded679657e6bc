"""BPMN timer events, fired by the worker when they fall due (e.g. 补正期限届满).

Timers read the service clock (see ``app.workflow.timers``); each saved workflow state keeps
the time its earliest timer fires (``next_timer_at``), so the worker finds due ones by an
indexed query and never loads a workflow that has nothing due.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult, CaseStatus
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.models import WorkflowState
from app.persistence.cases.workflow_states import load_state
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.services.statistics.rollup import figure_mark, mark_case
from app.services.stepping.advance import advance_case
from app.workflow.engine import SavedState, WorkflowRun


def cases_with_due_timers(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(session.scalars(select(WorkflowState.case_id).where(WorkflowState.next_timer_at <= now)
                                .order_by(WorkflowState.next_timer_at).limit(limit)))


def fire_due_timers(session: Session, runtime: Runtime, case_id: int, now: datetime) -> bool:
    """Advance one case whose timer is due; False if another worker already did."""
    case = get_case(session, case_id, for_update=True)
    state = load_state(session, case.id)  # read after the lock: another worker may have fired it
    if state.next_timer_at is None or state.next_timer_at > now or CaseStatus(case.status).is_final:
        return False
    definition = definition_for(session, runtime, case.process_version_id)
    run = runtime.engine.restore(definition, SavedState(state.state, state.serializer_version))
    before = {"status": case.status, "result": case.result}
    mark = figure_mark(case)

    def step() -> WorkflowRun:
        run.advance()
        return run

    with session.no_autoflush:
        effects = advance_case(session, runtime, case, step, now=now, actor="system", stored=state)
    session.flush()
    status = CaseStatus(case.status)
    append_event(session, occurred_at=now, actor="system", action="timer_fired", case_id=case.id,
                 before=before,
                 after={"status": case.status, "status_label": status.label, "result": case.result,
                        "result_label": CaseResult(case.result).label if case.result else None})
    effects.write(session)
    if figure_mark(case) != mark:
        mark_case(session, case, now, mark)
    return True
