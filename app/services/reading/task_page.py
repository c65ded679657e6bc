"""What the task page shows: the case as the case page does, then what bears on this step.

The step's own brief first (what would stop an approval here), the sections the step needs,
the rest after; the diagram's declaration of the step (decisions, fields); whether the user may
act, and to whom they may transfer the task.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.timing.clock import local_date
from app.domain.cases.kinds import TaskStatus
from app.domain.roles import WINDOW_DEPARTMENT, Role
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.rows import get_case
from app.persistence.models import TaskRecord
from app.services.actor import Actor
from app.services.casework import common_opinions
from app.services.casework.claims import can_act
from app.services.casework.form_fields import eligible_people
from app.services.casework.inspection_photos import PHOTO_KIND
from app.services.casework.transfer import transfer_candidates
from app.services.processes.deployed import definition_for
from app.services.reading import case_pages, case_sections
from app.services.runtime import Runtime
from app.workflow.task_metadata import HumanTaskSpec


def step_spec(session: Session, runtime: Runtime, task: TaskRecord) -> HumanTaskSpec | None:
    """What the diagram declares for the task's step (decisions, fields), or None (超期督办)."""
    case = get_case(session, task.case_id)
    return definition_for(session, runtime, case.process_version_id).human_tasks.get(task.element_id)


def spec_of_task(session: Session, runtime: Runtime, task_id: str) -> HumanTaskSpec | None:
    return step_spec(session, runtime, task_queries.get_task(session, task_id))


def task_page_view(session: Session, runtime: Runtime, actor: Actor, task_id: str) -> dict[str, Any]:
    """Everything the task page renders; only for those who may see the case."""
    task = task_queries.get_task(session, task_id)
    view = case_pages.case_page_view(session, runtime, actor, task.case_id)
    spec = step_spec(session, runtime, task)
    stage = spec.stage if spec else None
    focus, others = case_sections.task_sections(view["case"], task, stage)
    holding = task.claimed_by == actor.username and task.status == TaskStatus.READY
    return {**view, "task": task, "spec": spec, "focus": focus, "others": others,
            "form_choices": _form_choices(session, runtime, actor, task, spec) if holding else {},
            "task_photos": [a for a in view["case"]["attachments"]
                            if a["kind"] == PHOTO_KIND and a["task_id"] == task.id],
            "brief": case_sections.task_brief(view["case"], task, stage, runtime.catalogue),
            "may_act": can_act(actor, task) and task.status == TaskStatus.READY,
            "candidates": transfer_candidates(session, actor, task),
            "opinion_choices": common_opinions.choices(session, actor, task.name, list(spec.decisions) if spec else [])
            if holding else []}


def _form_choices(session: Session, runtime: Runtime, actor: Actor, task: TaskRecord,
                  spec: HumanTaskSpec | None) -> dict[str, Any]:
    """What the form offers beyond the diagram: the colleagues a person field may name, the
    days a past date may be (登记日 to today) and today, to start from."""
    choices: dict[str, Any] = {}
    for field in spec.fields if spec else ():
        if field.type == "person":
            choices[field.name] = eligible_people(session, actor, task, field)
        elif field.type == "date" and field.option == "past":
            today = local_date(runtime.clock.now()).isoformat()
            registered = get_case(session, task.case_id).created_at
            choices[field.name] = {"min": local_date(registered).isoformat(), "max": today, "today": today}
    return choices


def where_next(session: Session, runtime: Runtime, case_id: int) -> str:
    """Where the case went after a step, as the flash after a submit says it: the steps open now
    with who works them (决定 · 市场监督管理局 分管领导), or that it is finished."""
    case = get_case(session, case_id)
    status = CaseStatus(case.status)
    if status.is_final:
        return f"办件已{status.label}" + (f"（{CaseResult(case.result).label}）" if case.result else "")
    steps = []
    for task in task_queries.ready_tasks_of_case(session, case_id):
        who = "综合窗口" if task.department == WINDOW_DEPARTMENT else runtime.catalogue.department_name(task.department)
        role = Role(task.role).label if task.role in Role.__members__.values() else task.role
        steps.append(f"“{task.name}”（{who} {role}）")
    return "办件已转至" + "、".join(dict.fromkeys(steps)) if steps else f"办件{status.label}"

