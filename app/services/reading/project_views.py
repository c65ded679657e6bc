"""Construction projects as people read them: the project types the window offers, and a
project's progress stage by stage (全程知进度) for the case view.

For each stage: name, lead section, limit, status, the day it started and its due date, the
working days used against the limit (suspended days not counted; overdue flagged), the items
decided out of all (for 竣工验收: the departments that gave their acceptance opinion), and its
materials: received or not, the main ones still needed to accept it, its secondary ones still
missing (容缺, carried to the next stage) and what must arrive before it may conclude (容缺后补
from earlier stages). For the project: the sum of the days used
against the sum of the limits.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.timing.clock import BUREAU_ZONE, local_date
from app.domain.cases.kinds import CaseKind, TaskStatus
from app.domain.bureau.projects import (
    ProjectType,
    carried,
    missing_main,
    owed_before_conclusion,
)
from app.domain.timing.working_days import WorkingDayCalendar
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.items import items_of_case
from app.persistence.models import Case, CaseItem, TaskRecord
from app.persistence.tables.projects import ProjectStage
from app.persistence.cases.projects import project_of_case, stages_of_case
from app.services.casework.parallel_review import DepartmentRef
from app.services.clock.time_limits import END_OF_WORKING_DAY
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.services.stepping.project_clock import OUTCOME_LABELS

STATUS_LABELS = {"not_started": "未开始", "awaiting": "待受理", "running": "办理中",
                 "passed": "已通过", "rejected": "未通过", "not_accepted": "不予受理", "skipped": "未办理"}


class StageItemRef(TypedDict):
    """An item a stage runs, and its department."""

    code: str
    name: str
    department: str
    department_name: str


class MaterialSpec(TypedDict):
    """A material the catalogue asks for; ``main`` ones are needed to accept the application."""

    code: str
    name: str
    main: bool


class StageTypeView(TypedDict):
    """One stage of a project type: its lead section, limit, items, acceptance and materials."""

    number: int
    name: str
    lead: str
    lead_name: str
    limit: int
    joint_survey: bool
    items: list[StageItemRef]
    #: the departments whose opinions make the joint acceptance (竣工验收)
    acceptance: list[DepartmentRef]
    materials: list[MaterialSpec]


class ProjectTypeView(TypedDict):
    """A project type the window offers (``project_types`` of the API)."""

    code: str
    name: str
    process: str
    legal_basis: str
    total_limit: int
    stages: list[StageTypeView]


def project_types_view(runtime: Runtime) -> list[ProjectTypeView]:
    """The project types, their stages, limits, items and materials: what registering one needs."""
    catalogue = runtime.catalogue
    return [{
        "code": t.code, "name": t.name, "process": t.process, "legal_basis": t.legal_basis,
        "total_limit": t.promised_limit,
        "stages": [{
            "number": s.number, "name": s.name, "lead": s.lead, "lead_name": catalogue.department_name(s.lead),
            "limit": t.limit(s.number), "joint_survey": s.survey is not None,
            "items": [{"code": c, "name": catalogue.items[c].name, "department": t.item_departments[c],
                       "department_name": catalogue.department_name(t.item_departments[c])} for c in s.items],
            "acceptance": [{"code": d, "name": catalogue.department_name(d)} for d in s.acceptance],
            "materials": [{"code": m.code, "name": m.name, "main": m.main} for m in s.materials],
        } for s in t.stages],
    } for t in catalogue.projects.values()]


class StageItemView(TypedDict):
    """An item of a stage, with its result and certificate once decided."""

    code: str
    name: str
    department: str
    department_name: str
    result: str | None
    result_label: str | None
    certificate_no: str | None


class AcceptanceOpinion(TypedDict):
    """One department's opinion in the joint acceptance."""

    department: str
    department_name: str
    decision: str | None
    opinion: str | None
    by: str | None


class StageMaterial(MaterialSpec):
    """A stage's material, and whether the case has received it."""

    received: bool


class OwedMaterial(TypedDict):
    """A secondary material of an earlier stage (容缺) that must arrive before this one ends."""

    code: str
    name: str
    stage: int


class StageView(TypedDict):
    """One stage of a project: status, clock, items (or acceptance opinions) and materials.

    ``acceptance`` only for a stage of joint acceptance; the materials only while the
    project type is in the catalogue.
    """

    number: int
    name: str
    lead: str
    lead_name: str
    limit: int
    #: not_started, awaiting, running, passed, rejected, not_accepted or skipped
    status: str
    status_label: str
    outcome_label: str | None
    started_on: str | None
    due_date: str | None
    provisional: bool
    concluded_at: str | None
    working_days_used: int | None
    working_days_left: int | None
    overdue: bool
    items: list[StageItemView]
    #: items decided out of all, or (joint acceptance) departments answered out of all
    items_done: int
    items_total: int
    acceptance: NotRequired[list[AcceptanceOpinion]]
    materials: NotRequired[list[StageMaterial]]
    #: codes of the main materials still needed to accept the stage
    missing_main: NotRequired[list[str]]
    #: codes of its secondary materials still missing (carried to the next stage)
    carried: NotRequired[list[str]]
    owed: NotRequired[list[OwedMaterial]]


class ProjectTypeRef(TypedDict):
    """A project type by code and name."""

    code: str
    name: str


class ProjectView(TypedDict):
    """A construction project (``project`` of the case detail): the sums over its stages."""

    type: ProjectTypeRef
    name: str
    location: str
    details: dict[str, Any]
    current_stage: int | None
    total_limit: int
    working_days_used: int
    stages: list[StageView]


def project_view(session: Session, runtime: Runtime, case: Case) -> ProjectView | None:
    """The project and its stages; None for a case that is not a project."""
    project = project_of_case(session, case.id) if case.kind == CaseKind.PROJECT else None
    if project is None:
        return None
    project_type = runtime.catalogue.projects.get(case.item_code)
    tasks = task_queries.tasks_of_case(session, case.id)
    answered = _answered_departments(session, runtime, case, tasks)
    items = items_of_case(session, case.id)
    stages = [_stage_view(runtime, case, project_type, row, tasks, items, answered)
              for row in stages_of_case(session, case.id)]
    current = next((s["number"] for s in stages if s["status"] in ("awaiting", "running")), None)
    return {
        "type": {"code": case.item_code, "name": project_type.name if project_type else case.item_code},
        "name": project.name, "location": project.location, "details": project.details,
        "current_stage": current,
        "total_limit": sum(s["limit"] for s in stages),
        "working_days_used": sum(s["working_days_used"] or 0 for s in stages),
        "stages": stages,
    }


def _stage_view(runtime: Runtime, case: Case, project_type: ProjectType | None, row: ProjectStage,
                tasks: list[TaskRecord], items: list[CaseItem], answered: list[TaskRecord]) -> StageView:
    catalogue = runtime.catalogue
    status = _status(case, row, tasks)
    running = status == "running"
    due = case.due_date if running and case.due_date else row.due_date
    used, left, overdue = _days(runtime.calendar, case, row, due, runtime.clock.now(), running)
    own = [i for i in items if i.stage == row.stage]
    view: StageView = {
        "number": row.stage, "name": row.name, "lead": row.lead, "lead_name": catalogue.department_name(row.lead),
        "limit": row.limit_days, "status": status, "status_label": STATUS_LABELS[status],
        "outcome_label": OUTCOME_LABELS.get(row.outcome or ""),
        "started_on": _iso(row.started_on), "due_date": _iso(due),
        "provisional": case.deadline_provisional if running else row.provisional,
        "concluded_at": row.concluded_at.isoformat() if row.concluded_at else None,
        "working_days_used": used, "working_days_left": left, "overdue": overdue,
        "items": [{
            "code": i.item_code, "name": i.item_name, "department": i.department,
            "department_name": catalogue.department_name(i.department), "result": i.result,
            "result_label": CaseResult(i.result).label if i.result else None, "certificate_no": i.certificate_no,
        } for i in own],
        "items_done": sum(1 for i in own if i.result is not None), "items_total": len(own),
    }
    spec = project_type.stage(row.stage) if project_type else None
    if spec is not None and spec.acceptance:  # 联合验收: progress counts the departments' opinions
        mine = [t for t in answered if t.project_stage == row.stage]
        view["acceptance"] = [{
            "department": t.department, "department_name": catalogue.department_name(t.department),
            "decision": t.decision, "opinion": t.opinion, "by": t.completed_by,
        } for t in mine]
        view["items_done"], view["items_total"] = len({t.department for t in mine}), len(spec.acceptance)
    if spec is not None and project_type is not None:
        view["materials"] = [{"code": m.code, "name": m.name, "main": m.main, "received": m.code in case.materials}
                             for m in spec.materials]
        view["missing_main"] = [m.code for m in missing_main(spec, case.materials)]
        view["carried"] = [m.code for m in carried(project_type, row.stage, case.materials)]
        view["owed"] = [{"code": m.code, "name": m.name, "stage": owner.number}
                        for owner, m in owed_before_conclusion(project_type, row.stage, case.materials)]
    return view


def _status(case: Case, row: ProjectStage, tasks: list[TaskRecord]) -> str:
    if row.outcome is not None:
        return row.outcome
    if row.started_on is not None:
        return "running"
    if any(t.status == TaskStatus.READY and t.project_stage == row.stage for t in tasks):
        return "awaiting"
    return "skipped" if CaseStatus(case.status).is_final else "not_started"


def _days(calendar: WorkingDayCalendar, case: Case, row: ProjectStage, due: date | None, now: datetime,
          running: bool) -> tuple[int | None, int | None, bool]:
    """Working days used and left, and whether the stage is (or ended) past its due day.

    Used = limit − left: a suspension moved the due date by its working days, so they are not
    counted as used. The clock's day is the conclusion's, the suspension's start while one is
    open, and today otherwise.
    """
    if row.started_on is None or due is None:
        return None, None, False
    end = row.concluded_at or (case.clock_suspended_since if running else None) or now
    day = local_date(end)
    left = calendar.working_days_between(day, due) if day <= due \
        else -calendar.working_days_between(due, day)
    overdue = end > datetime.combine(due, END_OF_WORKING_DAY, tzinfo=BUREAU_ZONE)
    return row.limit_days - left, left, overdue


def _answered_departments(session: Session, runtime: Runtime, case: Case,
                          tasks: list[TaskRecord]) -> list[TaskRecord]:
    """Completed multi-instance tasks without an item: the departments' acceptance opinions."""
    definition = definition_for(session, runtime, case.process_version_id)
    return [t for t in tasks if t.status == TaskStatus.COMPLETED and t.item_code is None
            and t.project_stage is not None
            and (spec := definition.human_tasks.get(t.element_id)) is not None and spec.multi_instance]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
