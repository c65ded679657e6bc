"""What the task and case pages show beyond ``case_detail``: opinions grouped by step (parallel
ones side by side), the diagram's source with its completed and current steps, the timeline,
and the display names of everyone the page mentions."""
from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from app.domain.catalogue import Catalogue
from app.domain.errors import NotFound
from app.domain.kinds import TaskKind, TaskStatus
from app.persistence import tasks as task_queries
from app.persistence import users as user_queries
from app.persistence.models import Case, ProcessVersion
from app.services.actor import Actor
from app.services.processes.deployed import definition_for
from app.services.reading.case_sections import present_sections
from app.services.reading.case_views import case_detail, load_visible_case
from app.services.reading.diagram_calls import (
    call_progress,
    case_diagrams,
    diagram_marks,
    shared_targets,
    shown_process,
)
from app.services.reading.inbox import deadline_badge
from app.services.runtime import Runtime


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
    """Completed steps in order; a step done by several departments at once (并联审批, or the
    items of a bundle) is one group whose opinions stand side by side."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for opinion in detail.get("opinions", []):
        element = opinion["element_id"]
        key = (element, opinion.get("kind") or "workflow")
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"element_id": element, "name": opinion["name"],
                                   "escalation": key[1] == "escalation", "opinions": []}
        group["opinions"].append({
            "department_name": catalogue.department_name(opinion.get("department")),
            "completed_by_name": names.get(opinion.get("completed_by") or "", opinion.get("completed_by")),
            **opinion,
            "decision_label": labels.get(element, {}).get(opinion.get("decision") or "", opinion.get("decision")),
        })
    for group in groups.values():
        group["parallel"] = len({o.get("department") for o in group["opinions"]}) > 1
        # the items of a bundle or project, each by its own department, rather than one review
        group["per_item"] = all(o.get("item_code") for o in group["opinions"])
    return list(groups.values())


def diagram_state(detail: dict[str, Any]) -> dict[str, Any]:
    """Element ids to highlight: completed steps and the current ones."""
    if detail.get("diagram"):
        return detail["diagram"]
    active = sorted({t["element_id"] for t in detail.get("tasks", [])})
    completed = sorted({o["element_id"] for o in detail.get("opinions", [])
                        if o.get("kind", "workflow") == "workflow"} - set(active))
    return {"completed": completed, "active": active}


def diagram_source(session: Session, runtime: Runtime, actor: Actor, case_id: int,
                   process: str | None = None) -> dict[str, Any]:
    """The BPMN XML of the case's process, or of a process it calls, with the steps to
    highlight (``app.services.reading.diagram_calls``); only for those who may see the case, and for
    designers (it holds process data only)."""
    case = load_visible_case(session, actor, case_id, process_data_only=True)
    version = session.get(ProcessVersion, case.process_version_id)
    if version is None:
        raise NotFound("process_version_missing", "办件所用的流程版本不存在", case_id=case_id)
    diagrams = case_diagrams(session, version)
    shown = shown_process(diagrams, process, case_id)
    drawn = diagrams.versions[shown]
    tasks = [t for t in task_queries.tasks_of_case(session, case.id) if t.kind == TaskKind.WORKFLOW]
    active = Counter(t.element_id for t in tasks if t.status == TaskStatus.READY)
    completed = {t.element_id for t in tasks if t.status == TaskStatus.COMPLETED}
    progress = call_progress(session, runtime, case, shown) \
        if shown == diagrams.main and shared_targets(diagrams.shapes[shown]) else None
    return {"case_id": case.id, "version_id": drawn.id, "process_id": shown,
            "name": diagrams.shapes[shown].name, "version": drawn.version, "xml": drawn.bpmn_xml,
            "main_process_id": diagrams.main, **diagram_marks(diagrams, shown, active, completed, progress)}


#: how the timeline marks an event (a coloured dot); the rest are plain events
EVENT_KINDS = {"rule_decided": "rule", "clock_suspended": "clock", "clock_resumed": "clock",
               "supplement_notice_issued": "notice", "materials_supplemented": "notice",
               "deadline_warning": "clock", "deadline_overdue": "clock"}


def timeline(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything that happened to the case, oldest first: the case history (every audit event
    in Chinese, rule decisions and clock suspensions included), with the items of a one-time
    notice spelled out."""
    entries = []
    for event in detail.get("history", []):
        lines = [event["description"]] if event.get("description") not in (None, event["action_label"]) else []
        for item in (event.get("after") or {}).get("items") or []:
            lines.append(f"{item.get('name') or item.get('material')}：{item.get('reason', '')}")
        entries.append({"at": event["at"], "kind": EVENT_KINDS.get(event["action"], "event"),
                        "title": event["action_label"], "lines": lines,
                        "actor": event.get("actor_name") or event["actor"]})
    return entries


def shared_materials(detail: dict[str, Any], catalogue: Catalogue) -> None:
    """For a bundle: the items each material serves (a shared one serves several)."""
    bundle = catalogue.bundles.get(detail["item_code"])
    if bundle is None:
        return
    for entry in detail.get("materials", []):
        material = bundle.material(entry["code"])
        entry["items"] = list(material.items) if material else []


def case_page_view(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> dict[str, Any]:
    """Everything the task and case pages show about a case, for those who may see it."""
    detail = case_detail(session, runtime, actor, case_id)
    case = session.get(Case, case_id)  # loaded by case_detail: no query
    names = people(session, detail)
    shared_materials(detail, runtime.catalogue)
    labels = decision_labels(session, runtime, case.process_version_id)
    return {"case": detail, "names": names, "badge": deadline_badge(case, runtime.calendar, runtime.clock.now()),
            "groups": opinion_groups(detail, names, runtime.catalogue, labels),
            "diagram": diagram_state(detail), "timeline": timeline(detail),
            "sections": present_sections(detail)}
