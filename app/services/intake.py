"""Registering an application at the window (一窗受理): the case and its workflow start."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.domain.case_status import CaseStatus
from app.domain.catalogue import Bundle, ItemKind
from app.domain.errors import InvalidInput
from app.domain.roles import Role
from app.persistence import process_versions
from app.persistence.audit import append_event
from app.persistence.cases import next_case_number
from app.persistence.models import Case, CaseItem
from app.services.actor import Actor
from app.services.inspection import inspection_start_data
from app.services.parallel_review import parallel_start_data
from app.services.processes import compile_version
from app.services.advance import advance_case
from app.services.runtime import Runtime
from app.services.time_limits import start_clock
from app.workflow.engine import ensure_plain_data

_FACT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_APPLICANT_FIELD = 200


@dataclass(frozen=True)
class Application:
    item_code: str
    applicant: dict[str, Any]
    materials: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    #: a construction project's own details: name, location, … (工程建设项目 only)
    project: dict[str, Any] = field(default_factory=dict)


def _validate(runtime: Runtime, application: Application) -> None:
    item = runtime.catalogue.subject(application.item_code)
    name = application.applicant.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("applicant_name_required", "请填写申请人名称", field="applicant.name")
    for key, value in application.applicant.items():
        if not isinstance(value, str) or len(value) > MAX_APPLICANT_FIELD:
            raise InvalidInput("invalid_applicant", f"申请人信息“{key}”应为不超过 {MAX_APPLICANT_FIELD} 字的文本",
                               field=f"applicant.{key}")
    seen = set()
    for code in application.materials:
        if not isinstance(code, str) or item.material(code) is None:
            raise InvalidInput("unknown_material", f"材料“{code}”不属于事项“{item.name}”",
                               field="materials", material=str(code)[:64])
        if code in seen:
            raise InvalidInput("duplicate_material", f"材料“{code}”重复提交", field="materials")
        seen.add(code)
    for key in application.facts:
        if not isinstance(key, str) or not _FACT_NAME.match(key):
            raise InvalidInput("invalid_fact_name", f"事实字段名“{key}”无效（应为小写英文标识）", field="facts")
    ensure_plain_data(application.facts, "facts")


def register_case(session: Session, runtime: Runtime, actor: Actor, application: Application) -> Case:
    """Create the case, start its process, project its first tasks, record the event."""
    actor.require(Role.WINDOW, Role.ADMIN)
    if application.item_code in runtime.catalogue.projects:
        from app.services.project_intake import register_project  # it builds on this module

        return register_project(session, runtime, actor, application)
    _validate(runtime, application)
    item = runtime.catalogue.subject(application.item_code)
    version = process_versions.latest_version(session, item.process)
    definition = compile_version(session, runtime, version)
    now = runtime.clock.now()
    case = Case(
        number=next_case_number(session, now.year), query_code=secrets.token_hex(3).upper(),
        kind="bundle" if isinstance(item, Bundle) else "item",
        item_code=item.code, item_name=item.name, department=item.department,
        applicant_name=application.applicant["name"].strip(), applicant=dict(application.applicant),
        materials=list(application.materials), facts=dict(application.facts),
        status=CaseStatus.REGISTERED.value, result=None, process_version_id=version.id,
        created_by=actor.username, created_at=now, updated_at=now, completed_at=None,
    )
    if item.kind is ItemKind.IMMEDIATE:
        start_clock(case, item, runtime.calendar, now)  # 即办件: due the same working day
    session.add(case)
    session.flush()
    if isinstance(item, Bundle):
        start_data = _bundle_start(session, runtime, case, item, application.facts)
    else:
        start_data = {
            "item_code": item.code, "item_kind": item.kind.value, "site_inspection": item.site_inspection,
            "facts": dict(application.facts), "inspection_lead": runtime.catalogue.inspection_department,
            **inspection_start_data(runtime.catalogue, runtime.rules, item, application.facts),
            **parallel_start_data(item),
        }
    effects = advance_case(session, runtime, case, lambda: runtime.engine.start(definition, start_data),
                           now=now, actor=actor.username)
    append_event(session, occurred_at=now, actor=actor.username, action="case_registered",
                 case_id=case.id, after={"number": case.number, "item_code": item.code,
                                         "applicant": case.applicant_name,
                                         "materials": case.materials, "status": case.status,
                                         "process_version": version.version})
    effects.write(session)
    session.flush()
    return case


def _bundle_start(session: Session, runtime: Runtime, case: Case, bundle: Bundle,
                  facts: dict[str, Any]) -> dict[str, Any]:
    """一件事: a row per item (its own result and certificate) and what each item's approval needs."""
    entries = []
    for item in bundle.items:
        session.add(CaseItem(case_id=case.id, item_code=item.code, item_name=item.name,
                             department=item.department, stage=None))
        entries.append({"item": item.code, "department": item.department, "site_inspection": item.site_inspection,
                        "inspection_facts": None, "inspection_lead": None, "qualified_department": None,
                        "joint_departments": [],
                        **inspection_start_data(runtime.catalogue, runtime.rules, item, facts)})
    return {"item_code": bundle.code, "item_kind": "bundle", "bundle_items": entries, "facts": dict(facts)}


FOLLOW_UP_KINDS = {"revocation": "撤销"}


def open_follow_up(session: Session, runtime: Runtime, actor: Actor, parent: Case, process_id: str,
                   reason: str | None, now: datetime) -> Case:
    """Open a case that follows up ``parent`` (e.g. a revocation after a failed verification).

    The bureau opens it itself, so it starts accepted: its clock runs from today with the
    item's promised limit. It is about the same item, applicant and department as its parent.
    """
    version = process_versions.latest_version(session, process_id)
    definition = compile_version(session, runtime, version)
    item = runtime.catalogue.subject(parent.item_code)
    label = FOLLOW_UP_KINDS.get(process_id, "")
    case = Case(
        number=next_case_number(session, now.year), query_code=secrets.token_hex(3).upper(),
        kind=process_id, item_code=parent.item_code, item_name=f"{label}{parent.item_name}",
        department=parent.department, applicant_name=parent.applicant_name,
        applicant=dict(parent.applicant), materials=[], facts={}, parent_case_id=parent.id,
        status=CaseStatus.REGISTERED.value, result=None, process_version_id=version.id,
        created_by=actor.username, created_at=now, updated_at=now, completed_at=None,
    )
    start_clock(case, item, runtime.calendar, now)
    session.add(case)
    session.flush()
    data = {"item_code": parent.item_code, "parent_case": parent.number, "reason": reason or ""}
    effects = advance_case(session, runtime, case, lambda: runtime.engine.start(definition, data),
                           now=now, actor=actor.username)
    append_event(session, occurred_at=now, actor=actor.username, action="case_registered",
                 case_id=case.id, after={"number": case.number, "item_code": parent.item_code,
                                         "applicant": case.applicant_name, "opened_from": parent.number,
                                         "reason": reason, "status": case.status,
                                         "process_version": version.version})
    effects.write(session)
    append_event(session, occurred_at=now, actor=actor.username, action="follow_up_opened",
                 case_id=parent.id, after={"case_id": case.id, "number": case.number,
                                           "process": process_id, "reason": reason})
    return case
