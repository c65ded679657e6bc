"""The query behind 办件综合查询: cases by number, applicant, item, department, status, dates and
being overdue, limited to what the caller may see, paged, newest first."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVarTuple

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseStatus
from app.persistence.models import Case, TaskRecord

#: the columns a select returns, kept through the filters added to it
Columns = TypeVarTuple("Columns")
FINAL_STATUSES = tuple(s.value for s in CaseStatus if s.is_final)


@dataclass(frozen=True)
class CaseFilter:
    #: a whole case number (``2026-000123``) or a fragment of a number, applicant or item name
    number: str | None = None
    text: str | None = None
    item_code: str | None = None
    department: str | None = None
    status: str | None = None
    #: registered from … before (UTC instants bounding the bureau's local days)
    registered_from: datetime | None = None
    registered_before: datetime | None = None
    #: open cases past their due date (or moved to 超期 by the deadline checks) on ``today``
    overdue_on: date | None = None
    #: None: every case; else only the cases of this department or with a step for it
    visible_to_department: str | None = None
    all_visible: bool = True


def _like(fragment: str) -> str:
    return "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(statement: Select[*Columns], where: CaseFilter) -> Select[*Columns]:
    if where.number:
        statement = statement.where(Case.number == where.number)
    if where.text:
        pattern = _like(where.text)
        statement = statement.where(or_(Case.number.like(pattern, escape="\\"),
                                        Case.applicant_name.like(pattern, escape="\\"),
                                        Case.item_name.like(pattern, escape="\\")))
    if where.item_code:
        statement = statement.where(Case.item_code == where.item_code)
    if where.department:
        statement = statement.where(Case.department == where.department)
    if where.status:
        statement = statement.where(Case.status == where.status)
    if where.registered_from:
        statement = statement.where(Case.created_at >= where.registered_from)
    if where.registered_before:
        statement = statement.where(Case.created_at < where.registered_before)
    if where.overdue_on:
        statement = statement.where(Case.status.not_in(FINAL_STATUSES),
                                    or_(Case.deadline_state == "overdue", Case.due_date < where.overdue_on))
    if not where.all_visible:
        department = where.visible_to_department or ""
        statement = statement.where(or_(
            Case.department == department,
            exists().where(TaskRecord.case_id == Case.id, TaskRecord.department == department)))
    return statement


def search_cases(session: Session, where: CaseFilter, *, limit: int, offset: int) -> tuple[Sequence[Case], int]:
    """One page of matching cases (newest first) and how many match in all."""
    total = session.scalar(_filtered(select(func.count()).select_from(Case), where)) or 0
    rows = session.scalars(_filtered(select(Case), where)
                           .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def iter_cases(session: Session, where: CaseFilter, *, limit: int) -> Sequence[Case]:
    """At most ``limit`` matching cases, newest first (for an export)."""
    return session.scalars(_filtered(select(Case), where)
                           .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)).all()
