"""Read models of cases for the API and the pages: what a user may see, nothing more."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.acceptance import gaps, missing_materials
from app.domain.case_status import CaseResult, CaseStatus
from app.domain.clock import local_date
from app.domain.errors import Forbidden
from app.domain.kinds import CaseKind, TaskStatus
from app.domain.roles import Role
from app.persistence import tasks as task_queries
from app.persistence.case_items import items_of_case
from app.persistence.cases import follow_ups, get_case
from app.persistence.models import Case, RuleDecisionRecord, TaskRecord
from app.persistence.users import display_names
from app.services.actor import Actor
from app.services.casework.parallel_review import parallel_view
from app.services.casework.supplement import notices_view
from app.services.clock.time_limits import suspensions_view, time_limit_view
from app.services.processes.deployed import definition_for
from app.services.reading.case_history import history
from app.services.reading.project_views import project_view
from app.services.runtime import Runtime


def may_view(actor: Actor, case: Case, session: Session) -> bool:
    if actor.sees_all_cases:
        return True
    if actor.department == case.department:
        return True
    return any(t.department == actor.department for t in task_queries.tasks_of_case(session, case.id))


def load_visible_case(session: Session, actor: Actor, case_id: int, *, process_data_only: bool = False) -> Case:
    """The case, if the actor may see it; ``process_data_only`` when the caller shows nothing
    but the case's path through its diagram (which designers may read)."""
    case = get_case(session, case_id)
    if actor.sees_process_data_only:
        if process_data_only:
            return case
        raise Forbidden("personal_data_not_for_role",
                        "流程设计人员只能查看办件的流程数据（流程图与办理路径），不能查看申请人信息、材料和办理意见",
                        case_id=case_id)
    if not may_view(actor, case, session):
        raise Forbidden("case_not_visible", "无权查看该办件", case_id=case_id)
    return case


def task_view(task: TaskRecord, candidates: list[str] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": task.id, "element_id": task.element_id, "name": task.name, "role": task.role,
        "department": task.department, "kind": task.kind, "status": task.status,
        "item_code": task.item_code, "project_stage": task.project_stage,
        "claimed_by": task.claimed_by, "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }
    if task.status != TaskStatus.READY:
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


def rule_decisions(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(RuleDecisionRecord).where(RuleDecisionRecord.case_id == case_id)
                           .order_by(RuleDecisionRecord.id))
    return [{**row.decision, "element_id": row.element_id, "at": row.decided_at.isoformat()}
            for row in rows]


def inspection_view(runtime: Runtime, decisions: list[dict[str, Any]],
                    tasks: list[TaskRecord]) -> dict[str, Any] | None:
    """How the site inspection was decided and what every inspecting department found."""
    decision = next((d for d in reversed(decisions) if d["ruleset"] == "inspection"), None)
    if decision is None:
        return None
    findings = [{
        "task": t.name, "element_id": t.element_id, "department": t.department, "item_code": t.item_code,
        "department_name": runtime.catalogue.department_name(t.department),
        "finding": t.data.get("finding"), "opinion": t.opinion, "by": t.completed_by,
        "at": t.completed_at.isoformat() if t.completed_at else None,
    } for t in tasks if t.role == Role.INSPECTOR.value and t.status == TaskStatus.COMPLETED]
    return {
        "mode": decision["outcome"], "mode_label": decision["outcome_title"],
        "rule_id": decision["rule_id"], "rule_title": decision["rule_title"],
        "explanation": decision["explanation_zh"], "invite_experts": bool(decision["extras"].get("invite_experts")),
        "findings": findings, "conclusion": findings[-1]["finding"] if findings else None,
    }


def gaps_view(item: Any, received: list[str]) -> dict[str, Any] | None:
    """容缺受理: which secondary materials are still owed, and by when."""
    if item is None or item.gaps_until is None:
        return None
    owed = gaps(item, received)
    return {"until": item.gaps_until.value, "until_label": item.gaps_until.label,
            "missing": [{"code": m.code, "name": m.name} for m in owed], "complete": not owed}


def _link(case: Case) -> dict[str, Any]:
    return {"id": case.id, "number": case.number, "kind": case.kind, "item_name": case.item_name,
            "status_label": CaseStatus(case.status).label,
            "result_label": CaseResult(case.result).label if case.result else None}


def _case_link(session: Session, case_id: int | None) -> dict[str, Any] | None:
    return _link(get_case(session, case_id)) if case_id is not None else None


def case_detail(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> dict[str, Any]:
    case = load_visible_case(session, actor, case_id)
    # a project's materials and limits are shown stage by stage (its own ``project`` section)
    item = None if case.kind == CaseKind.PROJECT else runtime.catalogue.find(case.item_code)
    definition = definition_for(session, runtime, case.process_version_id)
    tasks = task_queries.tasks_of_case(session, case.id)
    ready = [t for t in tasks if t.status == TaskStatus.READY]
    candidates = task_queries.usernames_for(session, [(t.role, t.department) for t in ready])
    missing = missing_materials(item, case.materials) if item else []
    decisions = rule_decisions(session, case.id)
    done = sorted((t for t in tasks if t.status == TaskStatus.COMPLETED),
                  key=lambda t: (t.completed_at, t.created_at))
    events = history(session, case.id, definition)
    names = display_names(session, {e["actor"] for e in events} | {t.completed_by for t in done if t.completed_by})
    for entry in events:  # display names, looked up once for the whole history
        entry["actor_name"] = names.get(entry["actor"], entry["actor"])
    suspensions = suspensions_view(session, case.id)
    # suspensions of the clock now running (a construction project's earlier stages had their own)
    suspended_days = sum(s["working_days"] or 0 for s in suspensions if s["ended_at"] and case.accepted_on
                         and local_date(datetime.fromisoformat(s["started_at"])) >= case.accepted_on)
    detail = case_summary(runtime, case)
    detail.update(
        query_code=case.query_code if actor.role in (Role.WINDOW, Role.ADMIN) else None,
        materials=[{"code": m.code, "name": m.name, "main": m.main,
                    "received": m.code in case.materials} for m in (item.materials if item else ())],
        missing_materials=[m.code for m in missing],
        gaps=gaps_view(item, case.materials),
        facts=case.facts,
        time_limit=time_limit_view(case, item, runtime.calendar, runtime.clock.now(), suspended_days),
        suspensions=suspensions,
        notices=notices_view(session, case.id),
        tasks=[task_view(t, candidates[(t.role, t.department)]) for t in ready],
        opinions=[{**task_view(t), "department_name": runtime.catalogue.department_name(t.department),
                   "completed_by_name": names.get(t.completed_by or "", t.completed_by)} for t in done],
        rule_decisions=decisions,
        inspection=inspection_view(runtime, decisions, tasks),
        parallel=parallel_view(runtime.catalogue, item, definition, tasks),
        kind=case.kind,
        parent_case=_case_link(session, case.parent_case_id),
        follow_up_cases=[_link(c) for c in follow_ups(session, case.id)],
        project=project_view(session, runtime, case),
        items=[{"code": i.item_code, "name": i.item_name, "department": i.department,
                "department_name": runtime.catalogue.department_name(i.department), "stage": i.stage,
                "result": i.result, "result_label": CaseResult(i.result).label if i.result else None,
                "certificate_no": i.certificate_no,
                "decided_at": i.decided_at.isoformat() if i.decided_at else None}
               for i in items_of_case(session, case.id)],
        diagram={"version_id": case.process_version_id,
                 "completed": sorted({t.element_id for t in done}),
                 "active": sorted({t.element_id for t in ready})},
        history=events,
    )
    return detail
