"""Transferring a task (转办) to another reviewer of the same role and department.

Whoever may work the task and holds it (or finds it unclaimed) hands it over; the new holder
finds it under 我的待办. The hand-over is compare-and-set on the projection row, so a claim or
a completion landing at the same moment makes it fail with 409, and it is audited.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, Forbidden, InvalidInput
from app.domain.cases.kinds import TaskStatus
from app.persistence.cases import tasks as task_queries
from app.persistence.access import users as user_queries
from app.persistence.audit.chain import append_event
from app.persistence.models import TaskRecord, User
from app.services.actor import Actor
from app.services.casework.claims import can_act
from app.services.runtime import Runtime

MAX_REASON = 500


def transfer_candidates(session: Session, actor: Actor, task: TaskRecord) -> list[User]:
    """The people the holder may hand the task to: same role and department, not the holder.
    Empty for anyone who does not hold the task (the task page offers the form to its holder)."""
    if not can_act(actor, task) or task.status != TaskStatus.READY or task.claimed_by != actor.username:
        return []
    return [u for u in user_queries.colleagues(session, task.role, task.department) if u.username != actor.username]


def transfer_task(session: Session, runtime: Runtime, actor: Actor, task_id: str, to: object,
                  reason: str | None = None) -> TaskRecord:
    task = task_queries.get_task(session, task_id)
    if not can_act(actor, task):
        raise Forbidden("task_not_yours", "该任务不属于您的角色或部门", task_id=task.id)
    if not isinstance(to, str) or not to.strip():
        raise InvalidInput("transfer_target_required", "请选择转办给谁", field="to")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        raise InvalidInput("reason_too_long", f"转办说明不能超过 {MAX_REASON} 字", field="reason")
    if task.status != TaskStatus.READY:
        raise Conflict("task_done", "该任务已办理或已取消", task_id=task.id, status=task.status)
    holder = task.claimed_by
    if holder is not None and holder != actor.username:
        raise Conflict("task_claimed_by_other", f"该任务已由 {holder} 签收，只有签收人可以转办",
                       task_id=task.id, claimed_by=holder)
    target = user_queries.find_user(session, to.strip()[:64])
    if target is None or not target.active or target.role != task.role \
            or (target.department or "") != task.department:
        raise InvalidInput("transfer_target_invalid", "只能转办给本部门同岗位的在岗人员", field="to")
    if target.username == actor.username:
        raise InvalidInput("transfer_to_self", "不能转办给自己", field="to")
    if not task_queries.hand_over(session, task.id, holder, target.username, by=actor.username, reason=reason):
        raise Conflict("task_transfer_failed", "转办失败：任务刚被他人签收或办理，请刷新后重试", task_id=task.id)
    session.refresh(task)
    append_event(session, occurred_at=runtime.clock.now(), actor=actor.username,
                 action="task_transferred", case_id=task.case_id, element_id=task.element_id,
                 before={"task_id": task.id, "claimed_by": holder},
                 after={"task_id": task.id, "task": task.name, "to": target.username, "reason": reason})
    return task
