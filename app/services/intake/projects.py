"""Registering a construction project at the window (工程建设项目申报).

The window registers the project once: its type (政府投资 / 企业投资), the applicant, the
project's name and location, and the materials brought so far. The case (kind ``project``)
gets one ``case_items`` row per stage item, one ``project_stages`` row per stage with the limit
of the type at registration (a later edit of ``data/projects.toml`` does not move running
projects), and a workflow whose data is only ids: per stage its number, lead section, items
(item and department codes), joint-survey facts and departments, or acceptance departments.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.domain.cases.acceptance import material_codes
from app.domain.errors import InvalidInput
from app.domain.cases.kinds import CaseKind
from app.domain.bureau.projects import ProjectType, StageSpec
from app.persistence.models import Case, CaseItem
from app.persistence.tables.projects import Project, ProjectStage
from app.services.actor import Actor
from app.services.casework.inspection import INSPECTION_FACTS, INSPECTION_RULESET
from app.services.intake.application import MAX_APPLICANT_FIELD, Application, checked_texts
from app.services.runtime import Runtime
from app.services.stepping.opening import Opening, open_case

MAX_PROJECT_NAME = 100


def _validate(project_type: ProjectType, application: Application) -> dict[str, str]:
    """Check the application; return the project's details (name, location, the rest)."""
    checked_texts(application.applicant, "申请人", "applicant", {"name": MAX_APPLICANT_FIELD})
    details = checked_texts(application.project, "项目", "project", {"name": MAX_PROJECT_NAME,
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
