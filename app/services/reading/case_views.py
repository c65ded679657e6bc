"""Read models of cases for the API and the pages: what a user may see, nothing more.

Each is a TypedDict (the API returns it as it is, the templates read its keys): the type check
holds the code that builds and reads one to its keys, ``tests/api/test_read_models.py`` the API's
JSON."""
from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, Protocol, TypedDict

from sqlalchemy.orm import Session

from app.domain.cases.acceptance import missing_materials
from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.timing.clock import local_date
from app.domain.errors import Forbidden
from app.domain.cases.kinds import CaseKind, TaskStatus
from app.domain.roles import Role
from app.persistence.cases import attachments as attachment_queries
from app.persistence.cases import tasks as task_queries
from app.persistence.audit.chain import events_for_case
from app.persistence.cases.items import items_of_case
from app.persistence.cases.records import records_of_case
from app.persistence.cases.rows import follow_ups, get_case
from app.persistence.models import Case
from app.persistence.access.users import display_names
from app.services.access.visibility import load_visible_case, may_view  # noqa: F401  (used by others through here too)
from app.services.actor import Actor
from app.services.intake.attachments import AttachmentView
from app.services.intake.attachments import view as attachment_view
from app.services.casework.parallel_review import ParallelView, parallel_view
from app.services.casework.supplement import NoticeView, notices_view
from app.services.clock.time_limits import (
    SuspensionView,
    TimeLimitView,
    suspensions_view,
    time_limit_view,
)
from app.services.processes.deployed import definition_for
from app.services.reading.case_history import HistoryEntry, history
from app.services.reading.case_parts import (
    CaseLink,
    GapsView,
    InspectionView,
    RuleDecisionView,
    case_link,
    gaps_view,
    inspection_view,
    parent_link,
    rule_decisions,
)
from app.services.reading.project_views import MaterialSpec, ProjectView, project_view
from app.services.certificates.registry import CaseCertificate, certificates_of_case
from app.services.runtime import Runtime
from app.services.supervision_push.desk import FindingView, finding_of_case_view


class TaskBase(TypedDict):
    """What every view of a task (a step of a case) shows."""

    id: str
    element_id: str
    name: str
    role: str
    department: str
    #: workflow or escalation
    kind: str
    #: ready, completed or cancelled
    status: str
    #: the item of a bundle or project the step concerns, and the project's stage
    item_code: str | None
    project_stage: int | None
    claimed_by: str | None
    #: who handed the task to its holder (转办) and why
    transferred_by: str | None
    transfer_reason: str | None
    created_at: str
    due_at: str | None


class TaskOutcome(TypedDict):
    """What a task that is no longer ready adds: who completed it, how, with what data, when."""

    completed_by: str | None
    decision: str | None
    opinion: str | None
    data: dict[str, Any]
    completed_at: str | None


class TaskView(TaskBase):
    """A task for the API and the inbox; its outcome once it is no longer ready."""

    completed_by: NotRequired[str | None]
    decision: NotRequired[str | None]
    opinion: NotRequired[str | None]
    data: NotRequired[dict[str, Any]]
    completed_at: NotRequired[str | None]


class TaskFields(Protocol):
    """What an answer shows of a task: a :class:`TaskRecord`, or a row of the inbox."""

    @property
    def id(self) -> str: ...
    @property
    def element_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def item_code(self) -> str | None: ...
    @property
    def project_stage(self) -> int | None: ...
    @property
    def claimed_by(self) -> str | None: ...
    @property
    def transferred_by(self) -> str | None: ...
    @property
    def transfer_reason(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def completed_at(self) -> datetime | None: ...
    @property
    def completed_by(self) -> str | None: ...
    @property
    def decision(self) -> str | None: ...
    @property
    def opinion(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...


def _task_base(task: TaskFields) -> TaskBase:
    return {
        "id": task.id, "element_id": task.element_id, "name": task.name, "role": task.role,
        "department": task.department, "kind": task.kind, "status": task.status,
        "item_code": task.item_code, "project_stage": task.project_stage,
        "claimed_by": task.claimed_by, "transferred_by": task.transferred_by,
        "transfer_reason": task.transfer_reason, "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


def _task_outcome(task: TaskFields) -> TaskOutcome:
    return {"completed_by": task.completed_by, "decision": task.decision, "opinion": task.opinion,
            "data": task.data, "completed_at": task.completed_at.isoformat() if task.completed_at else None}


def task_view(task: TaskFields) -> TaskView:
    """A task as the API answers a claim, a transfer or a completion."""
    if task.status == TaskStatus.READY:
        return {**_task_base(task)}
    return {**_task_base(task), **_task_outcome(task)}


class ReadyTask(TaskBase):
    """A step of the case open now (``tasks`` of the case detail), and who may take it."""

    candidates: list[str]


class OpinionView(TaskBase, TaskOutcome):
    """A completed step (``opinions`` of the case detail), with the names of its department and
    of who completed it."""

    department_name: str
    completed_by_name: str | None


class CaseSummary(TypedDict):
    """A case's identity, applicant, status and result."""

    id: int
    number: str
    item_code: str
    item_name: str
    department: str
    department_name: str
    applicant: dict[str, Any]
    status: str
    status_label: str
    result: str | None
    result_label: str | None
    version: int
    created_at: str
    completed_at: str | None


def case_summary(runtime: Runtime, case: Case) -> CaseSummary:
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


class CaseMaterial(MaterialSpec):
    """A material of the case's item, received or not."""

    received: bool
    #: the items of a bundle the material serves (the pages add it)
    items: NotRequired[list[str]]


class CaseItemView(TypedDict):
    """An item of a bundle or project case, with its stage, result and certificate."""

    code: str
    name: str
    department: str
    department_name: str
    stage: int | None
    result: str | None
    result_label: str | None
    certificate_no: str | None
    decided_at: str | None


class DiagramSteps(TypedDict):
    """Element ids to mark on the case's diagram: steps completed and steps open."""

    completed: list[str]
    active: list[str]


class DiagramIds(DiagramSteps):
    """The steps to mark, and the deployed version whose diagram shows them."""

    version_id: int


class CaseDetail(CaseSummary):
    """Everything a user who may see the case sees of it: the API's case and what the case and
    task pages show. ``query_code`` only for the window and administrators; ``gaps``,
    ``inspection``, ``parallel``, ``parent_case`` and ``project`` are None when the case has
    no such aspect."""

    query_code: str | None
    materials: list[CaseMaterial]
    missing_materials: list[str]
    gaps: GapsView | None
    facts: dict[str, Any]
    time_limit: TimeLimitView
    suspensions: list[SuspensionView]
    notices: list[NoticeView]
    tasks: list[ReadyTask]
    opinions: list[OpinionView]
    rule_decisions: list[RuleDecisionView]
    inspection: InspectionView | None
    parallel: ParallelView | None
    #: item, bundle, project or revocation
    kind: str
    parent_case: CaseLink | None
    follow_up_cases: list[CaseLink]
    project: ProjectView | None
    items: list[CaseItemView]
    #: the certificates and refusal letters issued under the seal (电子证照)
    certificates: list[CaseCertificate]
    diagram: DiagramIds
    history: list[HistoryEntry]
    #: scans of the materials (扫描件) and other uploaded files, oldest first
    attachments: list[AttachmentView]
    #: the supervisor's finding (监管发现) that opened this case, if one did
    finding: FindingView | None


#: the kinds of case that hold a row per item (一件事, 工程建设项目): the others have none to read
_KINDS_WITH_ITEMS = (CaseKind.BUNDLE, CaseKind.PROJECT)


class CaseBrief(TypedDict):
    """The short answer to a completion or a registration (``Prefer: return=minimal``): which
    case, where it stands, its version for the next optimistic check, and its steps open now.
    ``query_code`` only for the window and administrators, as in :class:`CaseDetail`."""

    id: int
    number: str
    status: str
    result: str | None
    version: int
    query_code: str | None
    tasks: list[TaskBase]


def case_brief(session: Session, actor: Actor, case_id: int) -> CaseBrief:
    """The case as the short answer gives it, after the same visibility check as the detail."""
    case = load_visible_case(session, actor, case_id)
    return {"id": case.id, "number": case.number, "status": case.status, "result": case.result,
            "version": case.version,
            "query_code": case.query_code if actor.role in (Role.WINDOW, Role.ADMIN) else None,
            "tasks": [_task_base(t) for t in task_queries.ready_task_rows(session, case.id)]}


def case_detail(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> CaseDetail:
    case = load_visible_case(session, actor, case_id)
    # a project's materials and limits are shown stage by stage (its own ``project`` section)
    item = None if case.kind == CaseKind.PROJECT else runtime.catalogue.find(case.item_code)
    definition = definition_for(session, runtime, case.process_version_id)
    tasks = task_queries.tasks_of_case(session, case.id)
    ready = [t for t in tasks if t.status == TaskStatus.READY]
    candidates = task_queries.usernames_for(session, [(t.role, t.department) for t in ready])
    missing = missing_materials(item, case.materials) if item else []
    records = records_of_case(session, case.id)  # the optional records, read only when there are some
    decisions = (rule_decisions(session, case.id, {r.name: r.title for r in runtime.rules.rulesets()})
                 if records.rule_decisions else [])
    done = sorted((t for t in tasks if t.status == TaskStatus.COMPLETED),
                  key=lambda t: (t.completed_at, t.created_at))
    events = events_for_case(session, case.id)
    # display names of the history's actors and of the opinions' authors, looked up at once
    names = display_names(session, {e.actor for e in events} | {t.completed_by for t in done if t.completed_by}
                          | {e.after["to"] for e in events if e.action == "task_transferred" and e.after.get("to")})
    suspensions = suspensions_view(session, case.id) if records.suspensions else []
    # suspensions of the clock now running (a construction project's earlier stages had their own)
    suspended_days = sum(s["working_days"] or 0 for s in suspensions if s["ended_at"] and case.accepted_on
                         and local_date(datetime.fromisoformat(s["started_at"])) >= case.accepted_on)
    return {
        **case_summary(runtime, case),
        "query_code": case.query_code if actor.role in (Role.WINDOW, Role.ADMIN) else None,
        "materials": [{"code": m.code, "name": m.name, "main": m.main,
                       "received": m.code in case.materials} for m in (item.materials if item else ())],
        "missing_materials": [m.code for m in missing],
        "gaps": gaps_view(item, case.materials),
        "facts": case.facts,
        "time_limit": time_limit_view(case, item, runtime.calendar, runtime.clock.now(), suspended_days),
        "suspensions": suspensions,
        "notices": notices_view(session, case.id) if records.notices else [],
        "tasks": [{**_task_base(t), "candidates": candidates[(t.role, t.department)]} for t in ready],
        "opinions": [{**_task_base(t), **_task_outcome(t), "department_name": runtime.catalogue.department_name(t.department),
                      "completed_by_name": names.get(t.completed_by or "", t.completed_by)} for t in done],
        "rule_decisions": decisions,
        "inspection": inspection_view(runtime, decisions, tasks),
        "parallel": parallel_view(runtime.catalogue, item, definition, tasks),
        "kind": case.kind,
        "parent_case": parent_link(session, case.parent_case_id),
        "follow_up_cases": [case_link(c) for c in follow_ups(session, case.id)] if records.follow_ups else [],
        "project": project_view(session, runtime, case),
        "items": [{"code": i.item_code, "name": i.item_name, "department": i.department,
                   "department_name": runtime.catalogue.department_name(i.department), "stage": i.stage,
                   "result": i.result, "result_label": CaseResult(i.result).label if i.result else None,
                   "certificate_no": i.certificate_no,
                   "decided_at": i.decided_at.isoformat() if i.decided_at else None}
                  for i in (items_of_case(session, case.id) if case.kind in _KINDS_WITH_ITEMS else ())],
        "certificates": (certificates_of_case(session, case.id, local_date(runtime.clock.now()))
                         if records.certificates else []),
        "diagram": {"version_id": case.process_version_id,
                    "completed": sorted({t.element_id for t in done}),
                    "active": sorted({t.element_id for t in ready})},
        "history": history(events, definition, names),
        "attachments": ([attachment_view(row) for row in attachment_queries.attachments_of(session, case.id)]
                        if records.attachments else []),
        "finding": finding_of_case_view(session, runtime, case, runtime.clock.now())
        if case.kind in (CaseKind.REVOCATION, CaseKind.LICENCE_CHANGE) else None,
    }
