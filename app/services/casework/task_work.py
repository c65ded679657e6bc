"""Reviewers' work on tasks: claim, release, complete.

Completion is one unit of work: lock the case, check the task is still ready and the
actor may act, validate the submission against what the diagram declares, advance the
workflow, update the projection and the case, and record the audit event. A stale or
concurrent completion raises :class:`Conflict` (HTTP 409); nothing is half-written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.domain.catalogue import Subject
from app.domain.errors import Conflict, Forbidden, InvalidInput
from app.domain.kinds import TaskKind, TaskStatus
from app.persistence import tasks as task_queries
from app.persistence.audit import append_event
from app.persistence.case_items import case_item
from app.persistence.cases import get_task_case_and_state
from app.persistence.models import Case, TaskRecord
from app.persistence.row_writes import write_rows
from app.services.actor import Actor
from app.services.casework.follow_up import after_decision
from app.services.casework.guards import check_step
from app.services.casework.supplement import (
    RETURN_DECISION,
    check_notice,
    check_resubmission,
    issue_notice,
    open_notice,
)
from app.services.clock.time_limits import start_clock
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.services.stepping.advance import advance_case
from app.services.stepping.project_clock import follow_stage
from app.workflow.engine import SavedState
from app.workflow.task_metadata import HumanTaskSpec

MAX_OPINION = 2_000


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


def can_act(actor: Actor, task: TaskRecord) -> bool:
    return actor.role.value == task.role and (actor.department or "") == task.department


def _authorize(actor: Actor, task: TaskRecord) -> None:
    if not can_act(actor, task):
        raise Forbidden("task_not_yours", "该任务不属于您的角色或部门", task_id=task.id)


def _require_ready(task: TaskRecord, actor: Actor) -> None:
    if task.status != TaskStatus.READY:
        raise Conflict("task_done", "该任务已办理或已取消", task_id=task.id, status=task.status)
    if task.claimed_by is not None and task.claimed_by != actor.username:
        raise Conflict("task_claimed_by_other", f"该任务已由 {task.claimed_by} 签收",
                       task_id=task.id, claimed_by=task.claimed_by)


def claim_task(session: Session, runtime: Runtime, actor: Actor, task_id: str) -> TaskRecord:
    task = task_queries.get_task(session, task_id)
    _authorize(actor, task)
    _require_ready(task, actor)
    if task.claimed_by == actor.username:
        return task
    if not task_queries.claim(session, task_id, actor.username):
        session.refresh(task)
        _require_ready(task, actor)
        raise Conflict("task_claim_failed", "签收失败，请刷新后重试", task_id=task_id)
    session.refresh(task)
    append_event(session, occurred_at=runtime.clock.now(), actor=actor.username,
                 action="task_claimed", case_id=task.case_id, element_id=task.element_id,
                 after={"task_id": task.id, "task": task.name, "claimed_by": actor.username})
    return task


def release_task(session: Session, runtime: Runtime, actor: Actor, task_id: str) -> TaskRecord:
    task = task_queries.get_task(session, task_id)
    _authorize(actor, task)
    if task.status != TaskStatus.READY:
        raise Conflict("task_done", "该任务已办理或已取消", task_id=task.id)
    if not task_queries.release(session, task_id, actor.username):
        raise Conflict("task_not_claimed_by_you", "该任务不是由您签收的，不能退回", task_id=task_id)
    session.refresh(task)
    append_event(session, occurred_at=runtime.clock.now(), actor=actor.username,
                 action="task_released", case_id=task.case_id, element_id=task.element_id,
                 before={"claimed_by": actor.username}, after={"task_id": task.id, "task": task.name})
    return task


def _validate_submission(spec: HumanTaskSpec, completion: Completion) -> dict[str, Any]:
    """Check decision, opinion and fields against the diagram; return the data for the engine."""
    if not isinstance(completion.data, dict):
        raise InvalidInput("invalid_data", "data 应为对象", field="data")
    decision = completion.decision
    if spec.decisions:
        if decision not in spec.decisions:
            options = "、".join(f"{k}（{v}）" for k, v in spec.decisions.items())
            raise InvalidInput("invalid_decision", f"请选择办理决定：{options}", field="decision")
    elif decision not in (None, ""):
        raise InvalidInput("decision_not_expected", "此环节不作办理决定", field="decision")
    opinion = (completion.opinion or "").strip()
    if len(opinion) > MAX_OPINION:
        raise InvalidInput("opinion_too_long", f"意见不能超过 {MAX_OPINION} 字", field="opinion")
    if not opinion and (spec.opinion == "required" or decision == "reject"):
        raise InvalidInput("opinion_required", "请填写办理意见（不予/不同意时须说明理由）", field="opinion")
    data: dict[str, Any] = {}
    for name, value in completion.data.items():
        field_spec = spec.field_spec(name)
        if field_spec is None:
            raise InvalidInput("unknown_field", f"此环节不接受字段“{name}”", field=str(name)[:64])
        data[name] = field_spec.coerce(value)
    if spec.decisions:
        data["decision"] = decision
    return data


def complete_task(session: Session, runtime: Runtime, actor: Actor, task_id: str,
                  completion: Completion) -> TaskRecord:
    task, case, state = get_task_case_and_state(session, task_id)
    _authorize(actor, task)
    _require_ready(task, actor)
    if completion.expected_version is not None and completion.expected_version != case.version:
        raise Conflict("case_version_stale", "办件已被他人更新，请刷新后重试",
                       expected=completion.expected_version, current=case.version)
    if task.kind == TaskKind.ESCALATION:
        return _complete_escalation(session, runtime, actor, case, task, completion)
    definition = definition_for(session, runtime, case.process_version_id)
    spec = definition.human_task(task.element_id)
    data = _validate_submission(spec, completion)
    item = runtime.catalogue.subject(case.item_code)
    notice_items, resubmitted, notice = _supplement(session, item, case, spec, completion)
    run = runtime.engine.restore(definition, SavedState(state.state, state.serializer_version))
    check_step(runtime, case, spec, completion.decision, run.task_data(task.id), data)

    now = runtime.clock.now()
    before = {"status": case.status, "version": case.version, "result": case.result}
    opinion = (completion.opinion or "").strip() or None

    # still ready besides this one: the projection mirrors them, so it need not be read again
    ready_before = {t.id for t in run.ready_tasks()} - {task.id}

    def step() -> Any:
        run.complete(task.id, data)
        return run

    with session.no_autoflush:  # one flush at the end: the case row is updated (and versioned) once
        _record_completion(session, runtime, case, task, spec, actor, completion, data, opinion, now)
        if resubmitted is not None:
            case.materials = [m.code for m in item.materials if m.code in {*case.materials, *resubmitted}]
            if notice is not None:
                notice.resolved_at = now
        if notice_items is not None:
            issue_notice(session, case, task.id, notice_items, actor.username, now)
        effects = advance_case(session, runtime, case, step, now=now, actor=actor.username,
                               ready_before=ready_before, stored=state)
        follow_stage(session, runtime, case, task, spec, completion.decision, effects, now, actor.username)
    write_rows(session, case, task)  # the rows every completion changes, by prepared statements
    session.flush()  # anything else the step changed
    append_event(session, occurred_at=now, actor=actor.username, action="task_completed",
                 case_id=case.id, element_id=task.element_id,
                 before=before,
                 after={"task_id": task.id, "task": task.name, "decision": task.decision,
                        "opinion": opinion, "data": task.data, "status": case.status,
                        "result": case.result, "version": case.version})
    if notice_items is not None:
        append_event(session, occurred_at=now, actor=actor.username, action="supplement_notice_issued",
                     case_id=case.id, element_id=task.element_id, after={"items": notice_items})
    if resubmitted is not None:
        append_event(session, occurred_at=now, actor=actor.username, action="materials_supplemented",
                     case_id=case.id, element_id=task.element_id,
                     after={"materials": resubmitted, "case_materials": case.materials})
    effects.write(session)
    after_decision(session, runtime, actor, case, spec, completion.decision, opinion, before["result"], now)
    return task


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
    append_event(session, occurred_at=now, actor=actor.username, action="escalation_completed",
                 case_id=case.id, element_id=task.element_id,
                 after={"task_id": task.id, "task": task.name, "opinion": opinion})
    return task


def _supplement(session: Session, item: Subject, case: Case, spec: HumanTaskSpec,
                completion: Completion) -> tuple[list[dict[str, str]] | None, list[str] | None, Any]:
    """The notice a return issues, or the materials a resubmission brings (and its notice)."""
    notice_items = None
    if completion.decision == RETURN_DECISION:
        notice_items = check_notice(item, completion.notice)
    elif completion.notice is not None:
        raise InvalidInput("notice_not_expected", "只有退回补正时才出具一次性告知", field="notice")
    if spec.suspends_clock == "supplement":
        notice = open_notice(session, case.id)
        materials = completion.materials if completion.materials is not None else []
        return notice_items, check_resubmission(item, notice, materials), notice
    if completion.materials is not None:
        raise InvalidInput("materials_not_expected", "此环节不收取补正材料", field="materials")
    return notice_items, None, None


def _record_completion(session: Session, runtime: Runtime, case: Case, task: TaskRecord,
                       spec: HumanTaskSpec, actor: Actor, completion: Completion, data: dict[str, Any],
                       opinion: str | None, now: Any) -> None:
    task.status = TaskStatus.COMPLETED
    task.claimed_by = task.claimed_by or actor.username
    task.completed_by = actor.username
    task.completed_at = now
    task.decision = completion.decision or None
    task.opinion = opinion
    task.data = {k: v for k, v in data.items() if k != "decision"}
    item = case_item(session, case.id, task.item_code) if task.item_code else None
    if completion.decision and completion.decision in spec.results:
        if item is not None:  # one item of a bundle or project: its own result
            item.result, item.decided_at, item.decided_by = spec.results[completion.decision], now, actor.username
        else:
            case.result = spec.results[completion.decision]
    if item is not None and data.get("certificate_no"):
        item.certificate_no = data["certificate_no"]
    if spec.stage == "registered" and completion.decision == "approve" and case.accepted_on is None:
        start_clock(case, runtime.catalogue.subject(case.item_code), runtime.calendar, now)

