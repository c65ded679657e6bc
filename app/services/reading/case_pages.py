"""What the task and case pages show beyond ``case_detail``: opinions grouped by step (parallel
ones side by side), the diagram's source with its completed and current steps, the timeline,
and the display names of everyone the page mentions."""
from __future__ import annotations

from collections import Counter
from typing import TypedDict

from sqlalchemy.orm import Session

from app.domain.bureau.catalogue import Catalogue
from app.domain.errors import NotFound
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.persistence.cases import tasks as task_queries
from app.persistence.access import users as user_queries
from app.persistence.models import Case, ProcessVersion
from app.services.actor import Actor
from app.services.processes.deployed import definition_for
from app.services.reading.case_sections import present_sections
from app.services.reading.case_views import (
    CaseDetail,
    DiagramSteps,
    OpinionView,
    case_detail,
    load_visible_case,
)
from app.services.reading.diagram_calls import (
    DiagramMarks,
    call_progress,
    case_diagrams,
    diagram_marks,
    shared_targets,
    shown_process,
)
from app.services.reading.inbox import DeadlineBadge, deadline_badge
from app.services.runtime import Runtime


def decision_labels(session: Session, runtime: Runtime, version_id: int) -> dict[str, dict[str, str]]:
    """element id → {decision value → Chinese label}, from the diagram the case runs on."""
    definition = definition_for(session, runtime, version_id)
    return {element: dict(spec.decisions) for element, spec in definition.human_tasks.items()}


def people(session: Session, detail: CaseDetail) -> dict[str, str]:
    """Display names of everyone the detail mentions (one query)."""
    names: set[str] = set()
    for opinion in detail.get("opinions", []):
        names.add(opinion.get("completed_by") or "")
    for task in detail.get("tasks", []):
        names.update(task.get("candidates") or [])
        names.add(task.get("claimed_by") or "")
        names.add(task.get("transferred_by") or "")
    for event in detail.get("history", []):
        names.add(event["actor"])
        after = event.get("after") or {}
        names.add(after.get("claimed_by") or "")
        names.add(after.get("to") or "")
    for notice in detail.get("notices", []):
        names.add(notice.get("by") or "")
    inspection = detail.get("inspection")
    for finding in inspection["findings"] if inspection else []:
        names.add(finding.get("second_inspector") or "")
    names.discard("")
    known = user_queries.display_names(session, names)
    known.setdefault("system", "系统")
    return known


class GroupOpinion(OpinionView):
    """A completed step's opinion, with the Chinese label of its decision."""

    decision_label: str | None


class OpinionGroup(TypedDict):
    """One completed step, or (``parallel``) one step several departments took side by side;
    ``per_item``: the items of a bundle or project, each by its own department."""

    element_id: str
    name: str
    escalation: bool
    opinions: list[GroupOpinion]
    parallel: bool
    per_item: bool
    #: what several opinions side by side are: 并联审批 · 3 个部门, 联合核查 · 2 个部门 (inspectors of
    #: several departments), 各事项分别办理 · 2 项; empty for one opinion
    together: str


def opinion_groups(detail: CaseDetail, names: dict[str, str], catalogue: Catalogue,
                   labels: dict[str, dict[str, str]]) -> list[OpinionGroup]:
    """Completed steps in order; a step done by several departments at once (并联审批, or the
    items of a bundle) is one group whose opinions stand side by side."""
    grouped: dict[tuple[str, str], list[GroupOpinion]] = {}
    for opinion in detail.get("opinions", []):
        element = opinion["element_id"]
        grouped.setdefault((element, opinion.get("kind") or "workflow"), []).append({
            "department_name": catalogue.department_name(opinion.get("department")),
            "completed_by_name": names.get(opinion.get("completed_by") or "", opinion.get("completed_by")),
            **opinion,
            "decision_label": labels.get(element, {}).get(opinion.get("decision") or "", opinion.get("decision")),
        })
    return [_group(element, kind, opinions) for (element, kind), opinions in grouped.items()]


def _group(element: str, kind: str, opinions: list[GroupOpinion]) -> OpinionGroup:
    parallel = len({o.get("department") for o in opinions}) > 1
    per_item = all(o.get("item_code") for o in opinions)
    if per_item and len(opinions) > 1:
        together = f"各事项分别办理 · {len(opinions)} 项"
    elif parallel and all(o.get("role") == "inspector" for o in opinions):
        together = f"联合核查 · {len(opinions)} 个部门"
    elif parallel:
        together = f"并联审批 · {len(opinions)} 个部门"
    else:
        together = ""
    return {"element_id": element, "name": opinions[0]["name"], "escalation": kind == "escalation",
            "opinions": opinions, "parallel": parallel, "per_item": per_item, "together": together}


def diagram_state(detail: CaseDetail) -> DiagramSteps:
    """Element ids to highlight: completed steps and the current ones."""
    diagram = detail.get("diagram")
    if diagram:
        return diagram
    active = sorted({t["element_id"] for t in detail.get("tasks", [])})
    completed = sorted({o["element_id"] for o in detail.get("opinions", [])
                        if o.get("kind", "workflow") == "workflow"} - set(active))
    return {"completed": completed, "active": active}


class DiagramSource(DiagramMarks):
    """The BPMN XML of one process of a case, with its steps to mark."""

    case_id: int
    version_id: int
    process_id: str
    name: str
    version: int
    xml: str
    #: the process the case runs (the one shown unless a called one was asked for)
    main_process_id: str


def diagram_source(session: Session, runtime: Runtime, actor: Actor, case_id: int,
                   process: str | None = None) -> DiagramSource:
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


class TimelineEntry(TypedDict):
    """One event on the case page's timeline; ``kind`` colours its dot (rule, clock, notice, event)."""

    at: str
    kind: str
    title: str
    lines: list[str]
    actor: str


def timeline(detail: CaseDetail) -> list[TimelineEntry]:
    """Everything that happened to the case, oldest first: the case history (every audit event
    in Chinese, rule decisions and clock suspensions included), with the items of a one-time
    notice spelled out."""
    entries: list[TimelineEntry] = []
    for event in detail.get("history", []):
        lines = [event["description"]] if event.get("description") not in (None, event["action_label"]) else []
        for item in (event.get("after") or {}).get("items") or []:
            lines.append(f"{item.get('name') or item.get('material')}：{item.get('reason', '')}")
        entries.append({"at": event["at"], "kind": EVENT_KINDS.get(event["action"], "event"),
                        "title": event["action_label"], "lines": lines,
                        "actor": event.get("actor_name") or event["actor"]})
    return entries


def shared_materials(detail: CaseDetail, catalogue: Catalogue) -> None:
    """For a bundle: the items each material serves (a shared one serves several)."""
    bundle = catalogue.bundles.get(detail["item_code"])
    if bundle is None:
        return
    for entry in detail.get("materials", []):
        material = bundle.material(entry["code"])
        entry["items"] = list(material.items) if material else []


class CasePage(TypedDict):
    """Everything the task and case pages show about a case (their template's variables)."""

    case: CaseDetail
    names: dict[str, str]
    badge: DeadlineBadge | None
    groups: list[OpinionGroup]
    diagram: DiagramSteps
    timeline: list[TimelineEntry]
    sections: list[str]


def case_page_view(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> CasePage:
    """Everything the task and case pages show about a case, for those who may see it."""
    detail = case_detail(session, runtime, actor, case_id)
    case = session.get(Case, case_id)  # loaded by case_detail: no query
    if case is None:  # case_detail has just read it
        raise NotFound("case_not_found", "办件不存在", case_id=case_id)
    names = people(session, detail)
    shared_materials(detail, runtime.catalogue)
    labels = decision_labels(session, runtime, case.process_version_id)
    return {"case": detail, "names": names, "badge": deadline_badge(case, runtime.calendar, runtime.clock.now()),
            "groups": opinion_groups(detail, names, runtime.catalogue, labels),
            "diagram": diagram_state(detail), "timeline": timeline(detail),
            "sections": present_sections(detail)}
