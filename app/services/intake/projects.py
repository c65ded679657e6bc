"""Registering a construction project at the window (工程建设项目申报).

The window registers the project once: its type (政府投资 / 企业投资), the applicant, the
project's name and location, and the materials brought so far. The case (kind ``project``)
gets one ``case_items`` row per stage item, one ``project_stages`` row per stage with the limit
of the type at registration (a later edit of ``data/projects.toml`` does not move running
projects), and a workflow whose data is only ids: per stage its number, lead section, items
(item and department codes), joint-survey facts and departments, or acceptance departments.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from app.domain.acceptance import material_codes
from app.domain.errors import InvalidInput
from app.domain.kinds import CaseKind
from app.domain.projects import ProjectType, StageSpec
from app.persistence.models import Case, CaseItem
from app.persistence.project_models import Project, ProjectStage
from app.services.actor import Actor
from app.services.casework.inspection import INSPECTION_FACTS, INSPECTION_RULESET
from app.services.intake.application import MAX_APPLICANT_FIELD, Application
from app.services.runtime import Runtime
from app.services.stepping.opening import Opening, open_case

MAX_PROJECT_NAME = 100
MAX_DETAILS = 20
_DETAIL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LABELS = {"name": "名称", "location": "建设地点"}


def _texts(values: Any, what: str, field: str, required: dict[str, int]) -> dict[str, str]:
    """Short texts about the applicant or the project: the required keys (with their maximum
    length) and at most a few others, named by lowercase identifiers."""
    if not isinstance(values, dict):
        raise InvalidInput(f"invalid_{field}", f"{what}信息应为对象", field=field)
    for key in required:
        value = values.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"{field}_{key}_required", f"请填写{what}{_LABELS[key]}", field=f"{field}.{key}")
    if len(values) > MAX_DETAILS:
        raise InvalidInput(f"invalid_{field}", f"{what}信息最多 {MAX_DETAILS} 项", field=field)
    result = {}
    for key, value in values.items():
        limit = required.get(key, MAX_APPLICANT_FIELD)
        if not isinstance(key, str) or not _DETAIL_NAME.match(key):
            raise InvalidInput(f"invalid_{field}", f"{what}信息的字段名“{str(key)[:40]}”无效（应为小写英文标识）",
                               field=field)
        if not isinstance(value, str) or len(value) > limit:
            raise InvalidInput(f"invalid_{field}", f"{what}信息“{key}”应为不超过 {limit} 字的文本",
                               field=f"{field}.{key}")
        result[key] = value.strip()
    return result


def _validate(project_type: ProjectType, application: Application) -> dict[str, str]:
    """Check the application; return the project's details (name, location, the rest)."""
    _texts(application.applicant, "申请人", "applicant", {"name": MAX_APPLICANT_FIELD})
    details = _texts(application.project, "项目", "project", {"name": MAX_PROJECT_NAME,
                                                             "location": MAX_APPLICANT_FIELD})
    material_codes(project_type, application.materials)
    unknown = [k for k in application.facts if k not in INSPECTION_FACTS]
    if unknown:
        raise InvalidInput("invalid_fact_name", f"工程建设项目不接受事实字段“{str(unknown[0])[:40]}”"
                           f"（可申报：{'、'.join(INSPECTION_FACTS)}）", field="facts")
    return details


def _survey_data(runtime: Runtime, stage: StageSpec, facts: dict[str, Any]) -> dict[str, Any] | None:
    """What the site-inspection process needs for a stage's joint survey (联合踏勘)."""
    if stage.survey is None:
        return None
    lead = runtime.catalogue.inspection_department
    departments = [lead, *(d for d in stage.survey.departments if d != lead)]
    stage_facts = {"requires_site_inspection": True, "departments_involved": len(stage.survey.departments),
                   "parallel_approval": True, "risk_level": stage.survey.risk_level,
                   "technical": False, "bureau_qualified": True, **facts}
    return {"facts": runtime.rules.check_facts(INSPECTION_RULESET, stage_facts), "lead": lead,
            "departments": departments}


def stages_data(runtime: Runtime, project_type: ProjectType, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The workflow's ``project_stages``: ids only, what each stage's diagram reads."""
    result = []
    for stage in project_type.stages:
        data: dict[str, Any] = {"number": stage.number, "lead": stage.lead}
        if stage.acceptance:
            data.update(acceptance=list(stage.acceptance), item=stage.items[0])
        else:
            data["items"] = [{"item": code, "department": project_type.item_departments[code]}
                             for code in stage.items]
            data["survey"] = _survey_data(runtime, stage, facts)
        result.append(data)
    return result


def register_project(session: Session, runtime: Runtime, actor: Actor, application: Application) -> Case:
    """Open the project's case with its stages and items; its first task is the stage's acceptance."""
    project_type = runtime.catalogue.projects[application.item_code]
    details = _validate(project_type, application)
    name, location = details.pop("name"), details.pop("location")
    received = set(application.materials)
    materials = [m.code for m in project_type.materials if m.code in received]
    opening = Opening(
        kind=CaseKind.PROJECT, process_id=project_type.process, item_code=project_type.code,
        item_name=f"{name}（{project_type.name}）", department=project_type.department,
        applicant_name=application.applicant["name"].strip(), applicant=dict(application.applicant),
        materials=materials, facts=dict(application.facts),
        registered={"materials": materials, "project": {"name": name, "location": location, **details}})

    def start_data(case: Case) -> dict[str, Any]:
        session.add(Project(case_id=case.id, name=name, location=location, details=details))
        catalogue = runtime.catalogue
        for stage in project_type.stages:
            session.add(ProjectStage(case_id=case.id, stage=stage.number, name=stage.name, lead=stage.lead,
                                     limit_days=project_type.limit(stage.number)))
            session.add_all(CaseItem(case_id=case.id, item_code=code, item_name=catalogue.items[code].name,
                                     department=project_type.item_departments[code], stage=stage.number)
                            for code in stage.items)
        return {"project_stages": stages_data(runtime, project_type, dict(application.facts))}
    return open_case(session, runtime, actor.username, opening, start_data)
