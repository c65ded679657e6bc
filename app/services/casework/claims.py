"""Who may work a task, and taking it up or putting it back (签收 / 退回待办).

A claim is a compare-and-set on the task row, one conditional UPDATE: of two people claiming at
once one wins and the other gets a conflict.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, Forbidden
from app.domain.cases.kinds import TaskStatus
from app.persistence.cases import tasks as task_queries
from app.persistence.audit.chain import append_event
from app.persistence.models import TaskRecord
from app.persistence.cases.tasks import TaskRow
from app.services.actor import Actor
from app.services.runtime import Runtime


def can_act(actor: Actor, task: TaskRecord) -> bool:
    return actor.role.value == task.role and (actor.department or "") == task.department


def ensure_may_act(actor: Actor, task: TaskRecord) -> None:
    if not can_act(actor, task):
        raise Forbidden("task_not_yours", "该任务不属于您的角色或部门", task_id=task.id)


def ensure_ready_for(task: TaskRecord, actor: Actor) -> None:
    """The task is still open, and not claimed by someone else."""
    if task.status != TaskStatus.READY:
        raise Conflict("task_done", "该任务已办理或已取消", task_id=task.id, status=task.status)
    if task.claimed_by is not None and task.claimed_by != actor.username:
        raise Conflict("task_claimed_by_other", f"该任务已由 {task.claimed_by} 签收",
                       task_id=task.id, claimed_by=task.claimed_by)


def claim_task(session: Session, runtime: Runtime, actor: Actor, task_id: str) -> TaskRecord | TaskRow:
    """签收: one conditional UPDATE takes the task if it is ready, unclaimed and the actor's to
    work; its audit event goes in the same transaction. When the UPDATE matches nothing the task
    is read to say why (404, 403, 409) — or, already the actor's, it is answered as it is."""
    task = task_queries.claim_ready(session, task_id, actor.username, actor.role.value, actor.department or "")
    if task is None:
        found = task_queries.get_task(session, task_id)
        ensure_may_act(actor, found)
        ensure_ready_for(found, actor)
        if found.claimed_by == actor.username:
            return found
        raise Conflict("task_claim_failed", "签收失败，请刷新后重试", task_id=task_id)
    append_event(session, occurred_at=runtime.clock.now(), actor=actor.username,
                 action="task_claimed", case_id=task.case_id, element_id=task.element_id,
                 after={"task_id": task.id, "task": task.name, "claimed_by": actor.username})
    return task


def release_task(session: Session, runtime: Runtime, actor: Actor, task_id: str) -> TaskRecord:
    task = task_queries.get_task(session, task_id)
    ensure_may_act(actor, task)
    if task.status != TaskStatus.READY:
        raise Conflict("task_done", "该任务已办理或已取消", task_id=task.id)
    if not task_queries.release(session, task_id, actor.username):
        raise Conflict("task_not_claimed_by_you", "该任务不是由您签收的，不能退回", task_id=task_id)
    session.refresh(task)
    append_event(session, occurred_at=runtime.clock.now(), actor=actor.username,
                 action="task_released", case_id=task.case_id, element_id=task.element_id,
                 before={"claimed_by": actor.username}, after={"task_id": task.id, "task": task.name})
    return task
