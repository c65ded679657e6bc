"""The checks of a step's form that need the case, the calendar or the database, and the
required fields (``!`` in the diagram): what ``FieldSpec.coerce`` cannot know alone.

* ``date(past)``: the day has come — not after today (Beijing), not before the case was registered;
* ``person(role)``: another active user of that role in the task's department (核查须两人：the
  second inspector is a colleague on the system, never a typed name, so the record names
  someone accountable);
* ``photos``: the photos uploaded to this task (``inspection_photos``); sent ids must be among
  them, nothing sent means all of them;
* a required field left empty: ``field_required``, each named by its Chinese label.

Problems are added to the caller's ``problems`` (field → (code, message)) so one answer names
them all."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.domain.timing.clock import local_date
from app.domain.cases.field_labels import field_label
from app.domain.roles import Role
from app.persistence.access import users as user_queries
from app.persistence.models import Case, TaskRecord
from app.services.actor import Actor
from app.services.casework.inspection_photos import photos_of_task
from app.services.runtime import Runtime
from app.workflow.task_metadata import FieldSpec, HumanTaskSpec

Problems = dict[str, tuple[str, str]]


def check_fields(session: Session, runtime: Runtime, actor: Actor, case: Case, task: TaskRecord,
                 spec: HumanTaskSpec, data: dict[str, Any], problems: Problems) -> None:
    """Complete ``data`` (the photos) and add every problem of the step's fields to ``problems``."""
    for field in spec.fields:
        if field.name in problems:
            continue
        if field.type == "photos":
            _photos(session, task, field, data, problems)
        value = data.get(field.name)
        if value in (None, "", []):
            data.pop(field.name, None)
            if field.required:
                problems[field.name] = ("field_required", required_message(field))
            continue
        label = field_label(field.name)
        if field.type == "date" and field.option == "past":
            problem = _past_date(runtime, case, label, date.fromisoformat(value))
            if problem:
                problems[field.name] = ("invalid_date", problem)
        elif field.type == "person":
            problem = _colleague(session, actor, task, field, label, value)
            if problem:
                problems[field.name] = ("invalid_person", problem)


def required_message(field: FieldSpec) -> str:
    label = field_label(field.name)
    if field.type == "photos":
        return f"请上传“{label}”"
    if field.type in ("enum", "bool", "person"):
        return f"请选择“{label}”"
    return f"请填写“{label}”"


def _past_date(runtime: Runtime, case: Case, label: str, day: date) -> str | None:
    today = local_date(runtime.clock.now())
    registered = local_date(case.created_at)
    if day > today:
        return f"“{label}”不能晚于今天（{today.isoformat()}）"
    if day < registered:
        return f"“{label}”不能早于办件登记日（{registered.isoformat()}）"
    return None


def _colleague(session: Session, actor: Actor, task: TaskRecord, field: FieldSpec, label: str,
               username: str) -> str | None:
    if username == actor.username:
        return f"“{label}”须是您以外的另一人"
    user = user_queries.find_user(session, username)
    if user is None or not user.active or user.role != field.option or user.department != task.department:
        return f"“{label}”须是本部门在岗的{_role_label(field.option)}"
    return None


def _role_label(role: str | None) -> str:
    try:
        return Role(role).label if role else "人员"
    except ValueError:
        return "人员"


def _photos(session: Session, task: TaskRecord, field: FieldSpec, data: dict[str, Any], problems: Problems) -> None:
    attached = [row.id for row in photos_of_task(session, task.id)]
    sent = data.get(field.name)
    if sent in (None, []):
        data[field.name] = attached
        return
    unknown = [i for i in sent if i not in attached]
    if unknown:
        problems[field.name] = ("unknown_photo", f"“{field_label(field.name)}”中有不属于本环节的照片")
        data.pop(field.name, None)


def eligible_people(session: Session, actor: Actor, task: TaskRecord, field: FieldSpec) -> list[tuple[str, str]]:
    """(username, display name) of whom a ``person`` field may name on this task, for the form."""
    return [(u.username, u.display_name) for u in user_queries.colleagues(session, field.option or "", task.department)
            if u.username != actor.username]
