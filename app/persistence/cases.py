"""Queries about cases and their workflow state, as plain functions taking a Session."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.models import Case, CaseNumberCounter, TaskRecord, WorkflowState


def next_case_number(session: Session, year: int) -> str:
    """Allocate the next number of ``year`` atomically: ``2026-000123``."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(CaseNumberCounter).values(year=year, last=1)
                 .on_conflict_do_update(index_elements=["year"],
                                        set_={"last": CaseNumberCounter.last + 1})
                 .returning(CaseNumberCounter.last))
    last = session.execute(statement).scalar_one()
    return f"{year}-{last:06d}"


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    statement = select(Case).where(Case.id == case_id)
    if for_update:
        statement = statement.with_for_update()
    case = session.scalar(statement)
    if case is None:
        raise NotFound("case_not_found", "办件不存在", case_id=case_id)
    return case


def get_task_case_and_state(session: Session, task_id: str) -> tuple[TaskRecord, Case, WorkflowState]:
    """A task with its case (locked) and the case's workflow state, in one statement.

    On PostgreSQL the task row is read before the case lock is granted: re-read it afterwards
    (SQLite writers hold the database lock from their first statement, so it is current).
    """
    statement = (select(TaskRecord, Case, WorkflowState)
                 .join(Case, Case.id == TaskRecord.case_id)
                 .join(WorkflowState, WorkflowState.case_id == Case.id)
                 .where(TaskRecord.id == task_id).with_for_update(of=Case))
    row = session.execute(statement).first()
    if row is None:
        raise NotFound("task_not_found", "任务不存在", task_id=task_id)
    return row[0], row[1], row[2]


def get_workflow_state(session: Session, case_id: int) -> WorkflowState:
    state = session.get(WorkflowState, case_id)
    if state is None:
        raise NotFound("workflow_state_missing", "办件的流程状态缺失", case_id=case_id)
    return state


def find_case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number))


def follow_ups(session: Session, case_id: int) -> list[Case]:
    """Cases opened to follow this one up (e.g. a revocation), oldest first."""
    return list(session.scalars(select(Case).where(Case.parent_case_id == case_id).order_by(Case.id)))
