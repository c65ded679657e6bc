"""Read models of cases for the API and the pages: what a user may see, nothing more."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.domain.acceptance import missing_materials
from app.domain.case_status import CaseResult, CaseStatus
from app.domain.errors import Forbidden
from app.domain.roles import Role
from app.persistence import tasks as task_queries
from app.persistence.audit import events_for_case
from app.persistence.cases import get_case
from app.persistence.models import Case, TaskRecord
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.services.time_limits import time_limit_view

ACTION_LABELS = {
    "case_registered": "登记办件",
    "task_claimed": "签收任务",
    "task_released": "退回签收",
    "task_completed": "办理完成",
    "model_deployed": "部署流程",
}


def may_view(actor: Actor, case: Case, session: Session) -> bool:
    if actor.sees_all_cases:
        return True
    if actor.department == case.department:
        return True
    return any(t.department == actor.department for t in task_queries.tasks_of_case(session, case.id))


def load_visible_case(session: Session, actor: Actor, case_id: int) -> Case:
    case = get_case(session, case_id)
    if not may_view(actor, case, session):
        raise Forbidden("case_not_visible", "无权查看该办件", case_id=case_id)
    return case


def task_view(task: TaskRecord, candidates: list[str] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": task.id, "element_id": task.element_id, "name": task.name, "role": task.role,
        "department": task.department, "status": task.status, "claimed_by": task.claimed_by,
        "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }
    if task.status != task_queries.READY:
        view.update(completed_by=task.completed_by, decision=task.decision, opinion=task.opinion,
                    data=task.data,
                    completed_at=task.completed_at.isoformat() if task.completed_at else None)
    if candidates is not None:
        view["candidates"] = candidates
    return view


def case_summary(runtime: Runtime, case: Case) -> dict[str, Any]:
    status = CaseStatus(case.status)
    return {
        "id": case.id, "number": case.number, "item_code": case.item_code, "item_name": case.item_name,
        "department": case.department,
        "department_name": runtime.catalogue.department_name(case.department),
        "applicant": case.applicant, "status": status.value, "status_label": status.label,
        "result": case.result,
        "result_label": CaseResult(case.result).label if case.result else None,
        "version": case.version, "created_at": case.created_at.isoformat(),
        "completed_at": case.completed_at.isoformat() if case.completed_at else None,
    }


def case_detail(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> dict[str, Any]:
    case = load_visible_case(session, actor, case_id)
    item = runtime.catalogue.items.get(case.item_code)
    tasks = task_queries.tasks_of_case(session, case.id)
    ready = [t for t in tasks if t.status == task_queries.READY]
    candidates = task_queries.usernames_for(session, [(t.role, t.department) for t in ready])
    missing = missing_materials(item, case.materials) if item else []
    detail = case_summary(runtime, case)
    detail.update(
        query_code=case.query_code if actor.role in (Role.WINDOW, Role.ADMIN) else None,
        materials=[{"code": m.code, "name": m.name, "main": m.main,
                    "received": m.code in case.materials} for m in (item.materials if item else ())],
        missing_materials=[m.code for m in missing],
        facts=case.facts,
        time_limit=time_limit_view(case, item, runtime.calendar, runtime.clock.now()),
        tasks=[task_view(t, candidates[(t.role, t.department)]) for t in ready],
        opinions=[task_view(t) for t in sorted(
            (t for t in tasks if t.status == task_queries.COMPLETED),
            key=lambda t: (t.completed_at, t.created_at))],
        history=history(session, case.id),
    )
    return detail


def history(session: Session, case_id: int) -> list[dict[str, Any]]:
    return [{
        "id": e.id, "at": e.occurred_at.isoformat(), "actor": e.actor, "action": e.action,
        "action_label": ACTION_LABELS.get(e.action, e.action), "element_id": e.element_id,
        "before": e.before, "after": e.after,
    } for e in events_for_case(session, case_id)]
