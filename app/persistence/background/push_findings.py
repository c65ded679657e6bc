"""Queries about supervisors' findings (监管发现)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.licences.supervision_push import FindingState
from app.persistence.tables.push import SupervisionFinding


def finding_department(session: Session, case_id: int) -> str | None:
    """The department whose finding opened the case, if one did."""
    return session.scalar(select(SupervisionFinding.department).where(SupervisionFinding.case_id == case_id))


def finding_of_case(session: Session, case_id: int, *, for_update: bool = False) -> SupervisionFinding | None:
    statement = select(SupervisionFinding).where(SupervisionFinding.case_id == case_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalar(statement)


def finding_id(session: Session, case_id: int) -> str | None:
    """The id of the finding that opened the case, if one did."""
    return session.scalar(select(SupervisionFinding.id).where(SupervisionFinding.case_id == case_id))


def open_finding_case(session: Session, certificate_id: int) -> int | None:
    """The case of the licence's finding still being handled, if there is one."""
    return session.scalar(select(SupervisionFinding.case_id).where(
        SupervisionFinding.certificate_id == certificate_id, SupervisionFinding.state == FindingState.OPEN.value))
