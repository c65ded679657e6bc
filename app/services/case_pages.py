"""What the task and case pages show beyond ``case_detail``: opinions grouped by step (parallel
ones side by side), the diagram with its completed and current steps, and one timeline of
everything that happened (events, rule decisions, clock suspensions, one-time notices).

Works on the ``case_detail`` dict and tolerates keys that a deployment does not have yet.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.domain.case_status import CaseStatus
from app.domain.catalogue import Catalogue
from app.domain.errors import NotFound
from app.persistence import tasks as task_queries
from app.persistence import users as user_queries
from app.persistence.models import ProcessVersion
from app.services.actor import Actor
from app.services.case_views import load_visible_case
from app.services.processes import definition_for
from app.services.runtime import Runtime

EVENT_LABELS = {
    "case_registered": "登记办件",
    "task_claimed": "签收",
    "task_released": "退回签收",
    "task_completed": "办理",
    "task_transferred": "转办",
    "intake_notice_issued": "出具一次性告知书",
    "supplement_notice_issued": "出具补正告知书",
    "supplement_received": "收到补正材料",
    "clock_suspended": "暂停计时",
    "clock_resumed": "恢复计时",
    "deadline_warning": "时限预警",
    "deadline_overdue": "办理超期",
    "escalated": "超期督办",
    "rule_decided": "规则决定",
}
KIND_LABELS = {"workflow": "", "escalation": "超期督办"}


def decision_labels(session: Session, runtime: Runtime, version_id: int) -> dict[str, dict[str, str]]:
    """element id → {decision value → Chinese label}, from the diagram the case runs on."""
    definition = definition_for(session, runtime, version_id)
    return {element: dict(spec.decisions) for element, spec in definition.human_tasks.items()}


def people(session: Session, detail: dict[str, Any]) -> dict[str, str]:
    """Display names of everyone the detail mentions (one query)."""
    names: set[str] = {detail.get("created_by") or ""}
    for opinion in detail.get("opinions", []):
        names.add(opinion.get("completed_by") or "")
    for task in detail.get("tasks", []):
        names.update(task.get("candidates") or [])
        names.add(task.get("claimed_by") or "")
    for event in detail.get("history", []):
        names.add(event["actor"])
        names.add((event.get("after") or {}).get("claimed_by") or "")
    for notice in detail.get("notices", []):
        names.add(notice.get("by") or "")
    names.discard("")
    known = user_queries.display_names(session, names)
    known.setdefault("system", "系统")
    return known


def opinion_groups(detail: dict[str, Any], names: dict[str, str], catalogue: Catalogue,
                   labels: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Completed steps in order; a step done by several departments at once (并联审批) is one
    group whose opinions stand side by side."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for opinion in detail.get("opinions", []):
        element = opinion["element_id"]
        key = (element, opinion.get("kind") or "workflow")
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"element_id": element, "name": opinion["name"],
                                   "escalation": key[1] == "escalation", "opinions": []}
        group["opinions"].append({
            **opinion,
            "department_name": catalogue.department_name(opinion.get("department")),
            "completed_by_name": names.get(opinion.get("completed_by") or "", opinion.get("completed_by")),
            "decision_label": labels.get(element, {}).get(opinion.get("decision") or "", opinion.get("decision")),
        })
    for group in groups.values():
        group["parallel"] = len({o.get("department") for o in group["opinions"]}) > 1
    return list(groups.values())


def diagram_state(detail: dict[str, Any]) -> dict[str, Any]:
    """Element ids to highlight: completed steps and the current ones."""
    if detail.get("diagram"):
        return detail["diagram"]
    active = sorted({t["element_id"] for t in detail.get("tasks", [])})
    completed = sorted({o["element_id"] for o in detail.get("opinions", [])
                        if o.get("kind", "workflow") == "workflow"} - set(active))
    return {"completed": completed, "active": active}


def diagram_source(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> dict[str, Any]:
    """The BPMN XML the case runs on, with the steps to highlight; only for those who may see it."""
    case = load_visible_case(session, actor, case_id)
    version = session.get(ProcessVersion, case.process_version_id)
    if version is None:
        raise NotFound("process_version_missing", "办件所用的流程版本不存在", case_id=case_id)
    tasks = task_queries.tasks_of_case(session, case.id)
    active = sorted({t.element_id for t in tasks if t.status == task_queries.READY and t.kind == "workflow"})
    completed = sorted({t.element_id for t in tasks
                        if t.status == task_queries.COMPLETED and t.kind == "workflow"} - set(active))
    return {"case_id": case.id, "version_id": version.id, "process_id": version.process_id,
            "version": version.version, "xml": version.bpmn_xml, "completed": completed, "active": active}


def _event_entry(event: dict[str, Any], names: dict[str, str], labels: dict[str, dict[str, str]],
                 steps: dict[str, str]) -> dict[str, Any]:
    after, before = event.get("after") or {}, event.get("before") or {}
    lines: list[str] = []
    title = EVENT_LABELS.get(event["action"], event.get("action_label") or event["action"])
    step = after.get("task") or steps.get(event.get("element_id") or "")
    if step:
        title += f"：{step}"
    decision = after.get("decision")
    if decision:
        lines.append("决定：" + labels.get(event.get("element_id") or "", {}).get(decision, decision))
    if after.get("opinion"):
        lines.append("意见：" + after["opinion"])
    if event["action"] == "task_transferred":
        lines.append(f"转给 {names.get(after.get('claimed_by') or '', after.get('claimed_by'))}"
                     + (f"（{after['reason']}）" if after.get("reason") else ""))
    if event["action"] == "case_registered" and after.get("applicant"):
        lines.append(f"申请人：{after['applicant']}")
    if after.get("status") and before.get("status") and after["status"] != before["status"]:
        lines.append(f"办件状态：{_status_label(before['status'])} → {_status_label(after['status'])}")
    return {"at": event["at"], "kind": "event", "title": title, "lines": lines,
            "actor": names.get(event["actor"], event["actor"])}


def _status_label(value: str) -> str:
    try:
        return CaseStatus(value).label
    except ValueError:
        return value


def timeline(detail: dict[str, Any], names: dict[str, str],
             labels: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Everything that happened to the case, oldest first."""
    steps = {t["element_id"]: t["name"] for t in [*detail.get("opinions", []), *detail.get("tasks", [])]}
    entries = [_event_entry(e, names, labels, steps) for e in detail.get("history", [])]
    for decision in detail.get("rule_decisions", []):
        entries.append({"at": decision["at"], "kind": "rule",
                        "title": f"规则决定：{decision.get('outcome_title') or decision.get('outcome')}",
                        "lines": [line for line in (
                            f"规则：{decision.get('rule_title') or decision.get('rule_id') or '无规则命中'}",
                            f"依据：{decision['basis']}" if decision.get("basis") else "",
                            decision.get("explanation") or "") if line],
                        "actor": f"规则集 {decision.get('ruleset', '')} v{decision.get('ruleset_version', '')}"})
    for suspension in detail.get("suspensions", []):
        entries.append({"at": suspension["started_at"], "kind": "clock",
                        "title": f"暂停计时：{suspension.get('reason_label') or suspension.get('reason')}",
                        "lines": [], "actor": "办理时限"})
        if suspension.get("ended_at"):
            entries.append({"at": suspension["ended_at"], "kind": "clock",
                            "title": f"恢复计时（{suspension.get('reason_label') or suspension.get('reason')}结束）",
                            "lines": [], "actor": "办理时限"})
    for notice in detail.get("notices", []):
        entries.append({"at": notice["at"], "kind": "notice", "title": "一次性告知（退回补正）",
                        "lines": [f"{item.get('name') or item.get('material')}：{item.get('reason', '')}"
                                  for item in notice.get("items", [])],
                        "actor": names.get(notice.get("by") or "", notice.get("by") or "")})
    entries.sort(key=lambda entry: entry["at"])
    return entries
