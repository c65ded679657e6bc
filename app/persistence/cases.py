"""Queries about cases and their workflow state, as plain functions taking a Session."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.audit import chain_tip_query, known_chain_tip
from app.persistence.models import Case, CaseNumberCounter, TaskRecord, WorkflowState
from app.persistence.workflow_states import StoredState


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


def get_task_case_and_state(session: Session, task_id: str) -> tuple[TaskRecord, Case, StoredState]:
    """A task with its case (locked) and the case's saved workflow, in one statement.

    On SQLite the statement also reads the audit trail's tip (see
    :func:`~app.persistence.audit.known_chain_tip`). On PostgreSQL the task row is read
    before the case lock is granted: re-read it afterwards (SQLite writers hold the database
    lock from their first statement, so it is current).
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = _COMPLETION_LOAD_SQLITE if sqlite else _COMPLETION_LOAD
    row = session.execute(statement, {"b_task": task_id}).first()
    if row is None:
        raise NotFound("task_not_found", "任务不存在", task_id=task_id)
    if sqlite:
        known_chain_tip(session, row[5])
    return row[0], row[1], StoredState(row[2], row[3], row[4])


_COMPLETION_LOAD = (select(TaskRecord, Case, WorkflowState.state, WorkflowState.serializer_version,
                           WorkflowState.next_timer_at)
                    .join(Case, Case.id == TaskRecord.case_id)
                    .join(WorkflowState, WorkflowState.case_id == Case.id)
                    .where(TaskRecord.id == bindparam("b_task")).with_for_update(of=Case))
_COMPLETION_LOAD_SQLITE = _COMPLETION_LOAD.add_columns(chain_tip_query())


def find_case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number))


def follow_ups(session: Session, case_id: int) -> list[Case]:
    """Cases opened to follow this one up (e.g. a revocation), oldest first."""
    return list(session.scalars(select(Case).where(Case.parent_case_id == case_id).order_by(Case.id)))
