"""Completing a task (办理): the one step that moves a case's workflow on behalf of a person.

One unit of work: lock the case and read its workflow, check the task is still ready and the
actor may act, validate the submission against what the diagram declares and what the
bureau's rules require, advance the workflow, and record the completion and what it caused.
A stale or concurrent completion raises :class:`Conflict` (HTTP 409); nothing is half-written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, FieldsRequired, InvalidInput
from app.domain.cases.field_labels import field_label
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.observability import metrics
from app.persistence.audit.chain import append_event
from app.persistence.cases.items import case_item
from app.persistence.cases.rows import lock_task_for_step
from app.persistence.engine.commit_hooks import after_commit
from app.persistence.models import Case, TaskRecord
from app.persistence.engine.row_writes import written_once
from app.services.actor import Actor
from app.services.certificates.issuing import after_step as certificates_after_step
from app.services.casework.claims import ensure_may_act, ensure_ready_for
from app.services.casework.follow_up import after_decision
from app.services.casework.form_fields import Problems, check_fields
from app.services.casework.guards import check_step
from app.services.casework.supplement import SupplementStep, supplement_step
from app.services.clock.time_limits import start_clock
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.services.supervision_push import findings
from app.services.statistics.rollup import figure_mark, mark_case
from app.services.stepping.advance import StepEffects, advance_case
from app.services.stepping.project_clock import follow_stage
from app.workflow.engine import SavedState
from app.workflow.task_metadata import HumanTaskSpec

MAX_OPINION = 2_000
#: the issuing steps' ``delivery`` field (送达方式) → ``cases.delivery``
DELIVERY_CODES = {"窗口领取": "window", "邮寄送达": "post", "电子送达": "online"}


@dataclass(frozen=True)
class Completion:
    decision: str | None = None
    opinion: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    expected_version: int | None = None
    #: 退回补正: the one-time notice, [{"material": code, "reason": text}]
    notice: Any = None
    #: 补正材料: the material codes the applicant brought back
    materials: Any = None

    @property
    def clean_opinion(self) -> str | None:
        return (self.opinion or "").strip() or None


@dataclass(frozen=True)
class CompletedStep:
    """The task completed and its case as the step left it (in the session, so an answer built
    from them right after reads neither again)."""

    task: TaskRecord
    case: Case


def complete_task(session: Session, runtime: Runtime, actor: Actor, task_id: str,
                  completion: Completion) -> TaskRecord:
    return complete_step(session, runtime, actor, task_id, completion).task


def complete_step(session: Session, runtime: Runtime, actor: Actor, task_id: str,
                  completion: Completion) -> CompletedStep:
    """Complete a task (the caller commits): the lock, the checks, the engine step, the
    projection, the audit events and the roll-ups, in the caller's transaction."""
    task, case, stored = lock_task_for_step(session, task_id)
    ensure_may_act(actor, task)
    ensure_ready_for(task, actor)
    if completion.expected_version is not None and completion.expected_version != case.version:
        raise Conflict("case_version_stale", "办件已被他人更新，请刷新后重试",
                       expected=completion.expected_version, current=case.version)
    if task.kind == TaskKind.ESCALATION:
        return CompletedStep(_complete_escalation(session, runtime, actor, case, task, completion), case)

    definition = definition_for(session, runtime, case.process_version_id)
    spec = definition.human_task(task.element_id)
    data, problems = _validate_submission(spec, completion)
    check_fields(session, runtime, actor, case, task, spec, data, problems)
    _refuse(spec, problems)
    if spec.decisions:
        data["decision"] = completion.decision
    item = runtime.catalogue.subject(case.item_code)
    supplement = supplement_step(session, item, case, spec, completion.decision, completion.notice,
                                 completion.materials)
    run = runtime.engine.restore(definition, SavedState(stored.state, stored.serializer_version))
    check_step(runtime, case, spec, completion.decision, run.task_data(task.id), data)
    # the others still ready: the projection mirrors them, so it need not be read again
    ready_before = {t.id for t in run.ready_tasks()} - {task.id}

    now = runtime.clock.now()
    before: dict[str, Any] = {"status": case.status, "version": case.version, "result": case.result}
    mark = figure_mark(case)

    def step() -> Any:
        run.complete(task.id, data)
        return run

    with written_once(session, case, task):
        _record_completion(session, runtime, case, task, spec, actor, completion, data, now)
        supplement.apply(session, case, item, task.id, actor.username, now)
        effects = advance_case(session, runtime, case, step, now=now, actor=actor.username,
                               ready_before=ready_before, stored=stored)
        follow_stage(session, runtime, case, task, spec, completion.decision, effects, now, actor.username)
    _record_events(session, case, task, actor, before, supplement, effects, now)
    # 制证 / 不予许可 / 出件: signed in this transaction, so a failed signature rolls the step back
    certificates_after_step(session, runtime, actor.username, case, task, spec, completion.decision, data,
                            completion.clean_opinion, now)
    if figure_mark(case) != mark or supplement.notice_items is not None:
        mark_case(session, case, now, mark)
    after_decision(session, runtime, actor, case, spec, completion.decision, completion.clean_opinion,
                   before["result"], now)
    findings.after_step(session, runtime, actor.username, case, now)  # a finding's case ended: answer it
    return CompletedStep(task, case)


def _record_events(session: Session, case: Case, task: TaskRecord, actor: Actor, before: dict[str, Any],
                   supplement: SupplementStep, effects: StepEffects, now: datetime) -> None:
    """The completion's audit event, then the notice or resubmission, then what the step caused."""
    after_commit(session, partial(metrics.completion_committed, task.decision))
    append_event(session, occurred_at=now, actor=actor.username, action="task_completed",
                 case_id=case.id, element_id=task.element_id, before=before,
                 after={"task_id": task.id, "task": task.name, "decision": task.decision,
                        "opinion": task.opinion, "data": task.data, "status": case.status,
                        "result": case.result, "version": case.version})
    if supplement.notice_items is not None:
        append_event(session, occurred_at=now, actor=actor.username, action="supplement_notice_issued",
                     case_id=case.id, element_id=task.element_id, after={"items": supplement.notice_items})
    if supplement.resubmitted is not None:
        append_event(session, occurred_at=now, actor=actor.username, action="materials_supplemented",
                     case_id=case.id, element_id=task.element_id,
                     after={"materials": supplement.resubmitted, "case_materials": case.materials})
    effects.write(session)


def _validate_submission(spec: HumanTaskSpec, completion: Completion) -> tuple[dict[str, Any], Problems]:
    """Check decision, opinion and fields against the diagram; return the data for the engine
    and every problem found (field → (code, message)); ``form_fields`` adds what needs the case."""
    if not isinstance(completion.data, dict):
        raise InvalidInput("invalid_data", "data 应为对象", field="data")
    problems: dict[str, tuple[str, str]] = {}
    decision = completion.decision
    if spec.decisions:
        if decision not in spec.decisions:
            problems["decision"] = ("invalid_decision", f"请选择办理决定：{'、'.join(spec.decisions.values())}")
    elif decision not in (None, ""):
        problems["decision"] = ("decision_not_expected", "此环节不作办理决定")
    opinion = (completion.opinion or "").strip()
    if len(opinion) > MAX_OPINION:
        problems["opinion"] = ("opinion_too_long", f"意见不能超过 {MAX_OPINION} 字")
    elif not opinion and (spec.opinion == "required" or decision == "reject"):
        problems["opinion"] = ("opinion_required", "请填写办理意见（不予/不同意时须说明理由）")
    data: dict[str, Any] = {}
    for name, value in completion.data.items():
        field_spec = spec.field_spec(name)
        if field_spec is None:
            problems[str(name)[:64]] = ("unknown_field", f"此环节不填写“{field_label(str(name))[:64]}”")
            continue
        try:
            data[name] = field_spec.coerce(value)
        except InvalidInput as err:
            problems[name] = (err.code, err.message)
    return data, problems


def _refuse(spec: HumanTaskSpec, problems: Problems) -> None:
    """One error naming every problem (``details.fields``: field → message), so the page shows
    each next to its field at once; a required field left empty makes it a 422 ``field_required``."""
    if not problems:
        return
    missing = [f for f, (code, _) in problems.items() if code == "field_required"]
    field, (code, message) = (missing[0], problems[missing[0]]) if missing else next(iter(problems.items()))
    if len(problems) > 1:
        message = "；".join(text for _, text in problems.values())
    details: dict[str, Any] = {"field": field, "fields": {f: text for f, (_, text) in problems.items()}}
    if missing:
        details["missing"] = missing
    if "decision" in problems and spec.decisions:
        details["allowed"] = list(spec.decisions)
    raise (FieldsRequired if missing else InvalidInput)(code, message, **details)


def _record_completion(session: Session, runtime: Runtime, case: Case, task: TaskRecord,
                       spec: HumanTaskSpec, actor: Actor, completion: Completion, data: dict[str, Any],
                       now: datetime) -> None:
    """The task done with its decision, opinion and fields; the result and clock it decides."""
    task.status = TaskStatus.COMPLETED
    task.claimed_by = task.claimed_by or actor.username
    task.completed_by = actor.username
    task.completed_at = now
    task.decision = completion.decision or None
    task.opinion = completion.clean_opinion
    task.data = {k: v for k, v in data.items() if k != "decision"}
    item = case_item(session, case.id, task.item_code) if task.item_code else None
    if completion.decision and completion.decision in spec.results:
        if item is not None:  # one item of a bundle or project: its own result
            item.result, item.decided_at, item.decided_by = spec.results[completion.decision], now, actor.username
        else:
            case.result = spec.results[completion.decision]
    if data.get("delivery") in DELIVERY_CODES:  # 出件: how the result reached the applicant
        case.delivery = DELIVERY_CODES[data["delivery"]]
    if spec.stage == "registered" and completion.decision == "approve" and case.accepted_on is None:
        start_clock(case, runtime.catalogue.subject(case.item_code), runtime.calendar, now)


def _complete_escalation(session: Session, runtime: Runtime, actor: Actor, case: Case,
                         task: TaskRecord, completion: Completion) -> TaskRecord:
    """超期督办: the section chief records how the overdue case is being dealt with."""
    if completion.decision or completion.data or completion.notice is not None or completion.materials is not None:
        raise InvalidInput("escalation_opinion_only", "超期督办只需填写督办意见", field="opinion")
    opinion = (completion.opinion or "").strip()
    if not opinion or len(opinion) > MAX_OPINION:
        raise InvalidInput("opinion_required", f"请填写督办意见（不超过 {MAX_OPINION} 字）", field="opinion")
    now = runtime.clock.now()
    task.status = TaskStatus.COMPLETED
    task.claimed_by = task.claimed_by or actor.username
    task.completed_by, task.completed_at, task.opinion = actor.username, now, opinion
    session.flush()
    after_commit(session, partial(metrics.completion_committed, "escalation"))
    append_event(session, occurred_at=now, actor=actor.username, action="escalation_completed",
                 case_id=case.id, element_id=task.element_id,
                 after={"task_id": task.id, "task": task.name, "opinion": opinion})
    return task
