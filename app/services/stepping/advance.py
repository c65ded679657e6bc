"""One step of a case: run the engine, then change everything the step changed.

Every engine step of a case (start at registration, a task completion, a timer fired by
the worker) goes through :func:`advance_case`, in the caller's transaction:

1. the step runs while rules decisions asked for by the diagram are recorded;
2. the inbox projection follows the ready tasks (per-instance departments included);
3. the clock stops while a task that suspends it is open, and restarts when none is;
4. the coarse status moves (checked against the allowed transitions);
5. each rules decision is stored;
6. the workflow state is saved with the time its next timer fires.

The audit events the step causes (rule decided, clock suspended or resumed) are returned in
:class:`StepEffects`, not written: the caller writes its own event first (the completion, the
registration) and then these, so the trail reads in the order things happened. Every change
to the case row is made here, before anything is flushed, so the row is written once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from app.domain.cases.status import (
    CaseResult,
    CaseStatus,
    check_transition,
    combined_result,
)
from app.domain.errors import IncidentReport
from app.domain.cases.kinds import CaseKind
from app.observability import metrics
from app.persistence.cases import tasks as task_queries
from app.persistence.audit.chain import append_event
from app.persistence.engine.commit_hooks import after_commit
from app.persistence.cases.items import items_of_case
from app.persistence.models import Case, RuleDecisionRecord, TaskRecord
from app.persistence.engine.row_writes import write_rows
from app.persistence.cases.workflow_states import StoredState, save_state
from app.services.clock.time_limits import due_moment, resume_clock, suspend_clock
from app.services.decisions import RecordedDecision
from app.services.runtime import Runtime
from app.services.stepping.projection import next_status, sync_tasks
from app.workflow.engine import WorkflowFailure, WorkflowRun


@dataclass
class StepEffects:
    """What a step caused, to be written after the event of the step itself."""

    run: WorkflowRun
    created: list[TaskRecord] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def record(self, **event: Any) -> None:
        self.events.append(event)

    def write(self, session: Session) -> None:
        for event in self.events:
            append_event(session, **event)
        self.events.clear()


def advance_case(session: Session, runtime: Runtime, case: Case, step: Callable[[], WorkflowRun],
                 *, now: datetime, actor: str, ready_before: set[str] | None = None,
                 stored: StoredState | None = None) -> StepEffects:
    """Run ``step`` (which returns the advanced run) and apply its consequences to the case.

    ``ready_before`` (see :func:`~app.services.stepping.projection.sync_tasks`) saves reading the
    projection when the caller knows which tasks were ready before the step; ``stored`` is
    the saved workflow the step started from (none when the case is new).
    """
    try:
        with runtime.decisions.recording() as decisions:
            run = step()
    except WorkflowFailure as err:
        if err.details.get("limit") is not None:  # the diagram exceeded a limit: keep an incident
            err.incident = _refusal(case, err, registering=stored is None)
        raise
    created = sync_tasks(session, case, run, now, runtime.catalogue, ready_before)
    effects = StepEffects(run, created)
    for recorded in decisions:
        _store_decision(session, case, recorded, now, actor, effects)
    if run.is_completed and case.result is None:
        result = run.end_result()
        if result is None and CaseKind(case.kind).has_items:  # several items: what they add up to
            combined = combined_result([i.result for i in items_of_case(session, case.id)])
            result = combined.value if combined else None
        if result is not None:
            case.result = CaseResult(result).value
    _follow_clock(session, runtime, case, run, effects, now, actor)
    write_rows(session, *created)  # the inbox rows of the tasks now ready, with their deadline
    target = next_status(case, run)
    check_transition(CaseStatus(case.status), target)
    case.status = target.value
    if target.is_final and case.completed_at is None:
        case.completed_at = now
    case.updated_at = now
    _save(session, case, run, now, stored)
    return effects


def _refusal(case: Case, err: WorkflowFailure, *, registering: bool) -> IncidentReport:
    if registering:  # the case is rolled back with its first step: name what was being registered
        return IncidentReport("registration", None, f"登记事项 {case.item_code} 被拒绝：{err.message}")
    return IncidentReport("step", case.id, f"办件 {case.number} 的步骤被拒绝：{err.message}")


def _follow_clock(session: Session, runtime: Runtime, case: Case, run: WorkflowRun,
                  effects: StepEffects, now: datetime, actor: str) -> None:
    suspending = [t for t in run.ready_tasks() if t.spec.suspends_clock]
    if suspending and case.clock_suspended_since is None and not run.is_completed:
        first = suspending[0]
        suspend_clock(session, case, effects.record, reason=first.spec.suspends_clock or "",
                      task_id=first.id, at=now, actor=actor, element_id=first.element_id)
    elif not suspending and case.clock_suspended_since is not None:
        resume_clock(session, case, runtime.calendar, effects.record, at=now, actor=actor)
        due = due_moment(case)  # the deadline moved: every open task of the case carries it
        with session.no_autoflush:
            for row in task_queries.ready_tasks_of_case(session, case.id):
                row.due_at = due
        for row in effects.created:
            row.due_at = due


def _store_decision(session: Session, case: Case, recorded: RecordedDecision, now: datetime,
                    actor: str, effects: StepEffects) -> None:
    decision = recorded.decision
    body = decision.to_dict()
    session.add(RuleDecisionRecord(
        case_id=case.id, element_id=recorded.element_id, ruleset=decision.ruleset,
        ruleset_version=decision.ruleset_version, rule_id=decision.rule_id,
        outcome=decision.outcome, decision=body, decided_at=now))
    after_commit(session, partial(metrics.rule_decided, decision.ruleset, decision.outcome))
    effects.record(occurred_at=now, actor=actor, action="rule_decided", case_id=case.id,
                   element_id=recorded.element_id, after={**body, "element_name": recorded.element_name})


def _save(session: Session, case: Case, run: WorkflowRun, now: datetime, stored: StoredState | None) -> None:
    saved = run.save()
    save_state(session, case_id=case.id, process_version_id=case.process_version_id, state=saved.state,
               serializer_version=saved.serializer_version,
               next_timer_at=None if run.is_completed else run.next_timer_at(), now=now, previous=stored)
