"""Queries about cases and their workflow state, as plain functions taking a Session."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.audit.chain import chain_tip_query, known_chain_tip
from app.persistence.models import Case, CaseNumberCounter, TaskRecord, WorkflowState
from app.persistence.cases.workflow_states import StoredState
from app.persistence.engine.prepared import fetch
from app.persistence.engine.row_loads import as_loaded, columns_of


def next_case_number(session: Session, year: int) -> str:
    """Allocate the next number of ``year`` atomically: ``2026-000123``.

    On SQLite the statement also reads the audit trail's tip: it writes, so it holds the
    database's write lock until commit and nobody can append in between (the registration's
    event then needs no query of its own; see :func:`~app.persistence.audit.chain.known_chain_tip`)."""
    connection = session.connection()  # a Core statement: the ORM's bulk-insert machinery is not needed
    if session.get_bind().dialect.name == "postgresql":
        return f"{year}-{connection.execute(_NEXT_NUMBER_POSTGRESQL, {'year': year}).scalar_one():06d}"
    last, tip = connection.execute(_NEXT_NUMBER_SQLITE, {"year": year}).one()
    known_chain_tip(session, tip)
    return f"{year}-{last:06d}"


def _next_number(insert: Any) -> Any:
    table = CaseNumberCounter.__table__
    return (insert(table).values(year=bindparam("year"), last=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last": table.c.last + 1}))


_NEXT_NUMBER_POSTGRESQL = _next_number(pg_insert).returning(CaseNumberCounter.__table__.c.last)
_NEXT_NUMBER_SQLITE = _next_number(sqlite_insert).returning(CaseNumberCounter.__table__.c.last, chain_tip_query())


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    if for_update:  # the row as it is once locked, even if this session read it before
        case = session.scalar(select(Case).where(Case.id == case_id).with_for_update()
                              .execution_options(populate_existing=True))
    else:  # the session's own copy when it has one (a query would return that same copy)
        case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case_not_found", "办件不存在", case_id=case_id)
    return case


def lock_task_for_step(session: Session, task_id: str) -> tuple[TaskRecord, Case, StoredState]:
    """A task with its case, locked, and the case's saved workflow as it is once the lock is held:
    what a step on the task runs on, current and safe from concurrent steps until commit.

    On PostgreSQL the case is locked first and the task and workflow are read by a second
    statement: under READ COMMITTED a statement that waited for a row lock returns the locked
    row as it is now but every other row as it was when the statement began, so a workflow
    read with the lock could be the one a concurrent step has just replaced. That second
    statement locks the task row too: a claim, release or hand-over (转办) changes the task
    row alone, without the case, and one landing between this read and the step's commit
    would otherwise be overwritten — the task completed by someone who no longer holds it.
    Locked, such a change waits for the step and then finds the task done, or the step waits
    for it and reads who holds the task now. On SQLite a
    writer holds the database lock from its first statement, so one statement reads all of
    them current, and the audit trail's tip with them (see
    :func:`~app.persistence.audit.chain.known_chain_tip`).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rows = fetch(connection, _COMPLETION_LOAD_SQLITE, {"b_task": task_id})
        if not rows:
            raise NotFound("task_not_found", "任务不存在", task_id=task_id)
        row = rows[0]
        known_chain_tip(session, row[-1])
        return (as_loaded(session, TaskRecord, row[:_TASK_END]), as_loaded(session, Case, row[_TASK_END:_CASE_END]),
                StoredState(*row[_CASE_END:_CASE_END + 4]))
    case_rows = fetch(connection, _LOCK_CASE_OF_TASK, {"b_task": task_id})
    rows = fetch(connection, _TASK_AND_STATE, {"b_task": task_id}) if case_rows else []
    if not rows:
        raise NotFound("task_not_found", "任务不存在", task_id=task_id)
    row = rows[0]
    return (as_loaded(session, TaskRecord, row[:_TASK_END]), as_loaded(session, Case, case_rows[0]),
            StoredState(*row[_TASK_END:_TASK_END + 4]))


# Prepared reads of every column (a query of the ORM entities would cost more Python than the
# step's SQL): the objects are made as the ORM would load them (app/persistence/engine/row_loads.py).
_TASKS, _CASES, _STATES = TaskRecord.__table__, Case.__table__, WorkflowState.__table__
_TASK_COLUMNS, _CASE_COLUMNS = columns_of(TaskRecord), columns_of(Case)
_TASK_END = len(_TASK_COLUMNS)
_CASE_END = _TASK_END + len(_CASE_COLUMNS)
_STATE_COLUMNS = (WorkflowState.state, WorkflowState.serializer_version, WorkflowState.next_timer_at,
                  WorkflowState.revision)
_LOCK_CASE_OF_TASK = (select(*_CASE_COLUMNS).join_from(_CASES, _TASKS, _TASKS.c.case_id == _CASES.c.id)
                      .where(_TASKS.c.id == bindparam("b_task")).with_for_update(of=_CASES))
_TASK_AND_STATE = (select(*_TASK_COLUMNS, *_STATE_COLUMNS)
                   .join_from(_TASKS, _STATES, _STATES.c.case_id == _TASKS.c.case_id)
                   .where(_TASKS.c.id == bindparam("b_task")).with_for_update(of=_TASKS))
_COMPLETION_LOAD_SQLITE = (select(*_TASK_COLUMNS, *_CASE_COLUMNS, *_STATE_COLUMNS, chain_tip_query())
                           .join_from(_TASKS, _CASES, _CASES.c.id == _TASKS.c.case_id)
                           .join(_STATES, _STATES.c.case_id == _CASES.c.id)
                           .where(_TASKS.c.id == bindparam("b_task")))


def find_case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number))


_FOLLOW_UPS = select(Case).where(Case.parent_case_id == bindparam("b_case")).order_by(Case.id)


def follow_ups(session: Session, case_id: int) -> list[Case]:
    """Cases opened to follow this one up (e.g. a revocation), oldest first."""
    return list(session.scalars(_FOLLOW_UPS, {"b_case": case_id}))
