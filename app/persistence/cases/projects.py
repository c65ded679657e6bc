"""Queries about construction projects (工程建设项目) and their stages."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.persistence.tables.projects import Project, ProjectStage


def project_of_case(session: Session, case_id: int) -> Project | None:
    return session.get(Project, case_id)


def stages_of_case(session: Session, case_id: int) -> list[ProjectStage]:
    return list(session.scalars(select(ProjectStage).where(ProjectStage.case_id == case_id)
                                .order_by(ProjectStage.stage)))


def stage_of_case(session: Session, case_id: int, stage: int) -> ProjectStage | None:
    return session.scalar(select(ProjectStage).where(ProjectStage.case_id == case_id,
                                                      ProjectStage.stage == stage))
