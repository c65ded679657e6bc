"""Queries over the inbox projection (the ``tasks`` table). Never touches workflow state."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from datetime import date, datetime
from typing import Any, TypeVarTuple, cast

from sqlalchemy import BindParameter, Select, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.persistence.audit.chain import chain_tip_query, known_chain_tip
from app.persistence.engine.changes import rows_changed
from app.persistence.engine.prepared import fetch
from app.persistence.models import Case, TaskRecord, User
from app.persistence.tables.queue_counts import TaskQueueCount

CASE_NUMBER = re.compile(r"^\d{4}-\d{6}$")
#: the columns a select returns, kept through the filters added to it
Columns = TypeVarTuple("Columns")


@dataclass(frozen=True)
class InboxQuery:
    username: str
    role: str
    department: str | None
    tab: str = "mine"  # mine | department | done (| queue: mine and department together)
    search: str | None = None
    #: ``warning`` (预警) or ``overdue`` (超期): only open tasks of cases in that deadline state
    #: (已办 is not filtered by it)
    deadline: str | None = None
    #: ``deadline`` (most urgent first) or ``arrived`` (newest first); ``done`` is by completion
    sort: str = "deadline"
    limit: int = 50
    offset: int = 0

    @property
    def joins_cases(self) -> bool:
        return bool(self.search)


def get_task(session: Session, task_id: str) -> TaskRecord:
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise NotFound("task_not_found", "任务不存在", task_id=task_id)
    return task


# Read on every case view and every short answer: built once, each run with its case's id (a
# statement built per call costs more than the SQL it sends).
_READY_OF_CASE = (select(TaskRecord).where(TaskRecord.case_id == bindparam("b_case"),
                                           TaskRecord.status == TaskStatus.READY)
                  .order_by(TaskRecord.created_at))
_TASKS_OF_CASE = (select(TaskRecord).where(TaskRecord.case_id == bindparam("b_case"))
                  .order_by(TaskRecord.created_at, TaskRecord.id))


def ready_task_rows(session: Session, case_id: int) -> list[TaskRow]:
    """The case's ready tasks as rows (what the short answer shows), after flushing this unit of
    work's changes (a Core read does not flush by itself)."""
    session.flush()
    return [TaskRow(*row) for row in fetch(session.connection(), _READY_ROWS_OF_CASE, {"b_case": case_id})]


def ready_tasks_of_case(session: Session, case_id: int) -> list[TaskRecord]:
    return list(session.scalars(_READY_OF_CASE, {"b_case": case_id}))


def tasks_of_case(session: Session, case_id: int) -> list[TaskRecord]:
    return list(session.scalars(_TASKS_OF_CASE, {"b_case": case_id}))


@dataclass(frozen=True)
class _Shape:
    """What decides an inbox statement's SQL (its values go in as parameters): every request
    of the same shape runs the same statement, built once."""

    tab: str
    sort: str
    deadline: bool
    #: None, ``number`` (a whole case number) or ``text``
    search: str | None

    @classmethod
    def of(cls, query: InboxQuery) -> _Shape:
        search = None if not query.search else "number" if CASE_NUMBER.match(query.search) else "text"
        return cls(query.tab, query.sort, bool(query.deadline) and query.tab != "done", search)

    @property
    def joins_cases(self) -> bool:
        return self.search is not None


def _params(query: InboxQuery) -> dict[str, Any]:
    params: dict[str, Any] = {"b_username": query.username, "b_role": query.role,
                              "b_department": query.department or "", "b_deadline": query.deadline,
                              "b_search": query.search, "b_limit": query.limit, "b_offset": query.offset}
    if query.search:
        params["b_pattern"] = "%" + query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return params


def _inbox_filter(statement: Select[*Columns], shape: _Shape) -> Select[*Columns]:
    if shape.tab == "done":
        statement = statement.where(TaskRecord.completed_by == bindparam("b_username"),
                                    TaskRecord.status == TaskStatus.COMPLETED)
    else:
        statement = statement.where(TaskRecord.status == TaskStatus.READY, TaskRecord.role == bindparam("b_role"),
                                    TaskRecord.department == bindparam("b_department"))
        if shape.tab == "mine":
            statement = statement.where(TaskRecord.claimed_by == bindparam("b_username"))
        elif shape.tab == "department":
            statement = statement.where(or_(TaskRecord.claimed_by.is_(None),
                                            TaskRecord.claimed_by != bindparam("b_username")))
    if shape.deadline:
        # a set of case ids probed from the covering inbox index, not a join row by row
        statement = statement.where(TaskRecord.case_id.in_(
            select(Case.id).where(Case.deadline_state == bindparam("b_deadline"))))
    if shape.search == "number":
        statement = statement.where(Case.number == bindparam("b_search"))  # a whole number: the unique index
    elif shape.search == "text":
        pattern: BindParameter[str] = bindparam("b_pattern")
        statement = statement.where(or_(Case.number.like(pattern, escape="\\"),
                                        Case.applicant_name.like(pattern, escape="\\"),
                                        Case.item_name.like(pattern, escape="\\")))
    return statement


def _inbox_order(shape: _Shape) -> tuple[Any, ...]:
    if shape.tab == "done":
        return (TaskRecord.completed_at.desc(), TaskRecord.id.desc())  # ix_tasks_done backwards
    if shape.sort == "arrived":
        return (TaskRecord.created_at.desc(), TaskRecord.id.desc())
    # ``due_at IS NULL`` first: tasks without a deadline last; the order of ix_tasks_inbox/holder
    return (TaskRecord.due_at.is_(None), TaskRecord.due_at, TaskRecord.created_at, TaskRecord.id)


@lru_cache(maxsize=128)
def _count_statement(shape: _Shape) -> Select[int]:
    statement = select(func.count()).select_from(TaskRecord)
    if shape.joins_cases:
        statement = statement.join(Case, Case.id == TaskRecord.case_id)
    return _inbox_filter(statement, shape)


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A task as a page of the inbox or a short answer reads it: its columns, no ORM object (a
    page of them is built several times faster so)."""

    id: str
    case_id: int
    element_id: str
    name: str
    role: str
    department: str
    kind: str
    item_code: str | None
    project_stage: int | None
    status: str
    claimed_by: str | None
    transferred_by: str | None
    transfer_reason: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    decision: str | None
    opinion: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InboxCase:
    """What a row of the inbox shows of its case (the rest of the case — applicant, materials,
    facts — is not read for a page of tasks)."""

    id: int
    number: str
    item_name: str
    applicant_name: str
    status: str
    deadline_state: str
    due_date: date | None
    completed_at: datetime | None
    clock_suspended_since: datetime | None
    deadline_provisional: bool


_TASK_FIELDS = len(fields(TaskRow))
_READY_ROWS_OF_CASE = (select(*(getattr(TaskRecord, f.name) for f in fields(TaskRow)))
                       .where(TaskRecord.case_id == bindparam("b_case"), TaskRecord.status == TaskStatus.READY)
                       .order_by(TaskRecord.created_at))


@lru_cache(maxsize=128)
def _page_statement(shape: _Shape) -> Select[Any]:
    columns = [*(getattr(TaskRecord, f.name) for f in fields(TaskRow)),
               *(getattr(Case, f.name) for f in fields(InboxCase))]
    statement = _inbox_filter(select(*columns).join(Case, Case.id == TaskRecord.case_id), shape)
    return statement.order_by(*_inbox_order(shape)).limit(bindparam("b_limit")).offset(bindparam("b_offset"))


def count_inbox(session: Session, query: InboxQuery) -> int:
    """How many tasks the tab holds (joins cases only when searching)."""
    return session.scalar(_count_statement(_Shape.of(query)), _params(query)) or 0


def count_tabs(session: Session, query: InboxQuery) -> dict[str, int]:
    """The count of every tab under the query's search and filter: three index-only counts, sent
    as one statement.

    部门待办 is the actor's whole queue less what they hold, so it is counted as a plain range of
    the queue index rather than row by row against the holder."""
    shapes = tuple(_Shape.of(replace(query, tab=tab)) for tab in ("mine", "queue", "done"))
    kept = session.get_bind().dialect.name == "sqlite"  # the queue's count is kept there (unfiltered)
    statement = _tab_counts_statement(shapes, kept)
    mine, queue, done = session.connection().execute(statement, _params(query)).one()
    return {"mine": mine, "department": queue - mine, "done": done}


@lru_cache(maxsize=128)
def _tab_counts_statement(shapes: tuple[_Shape, ...], kept: bool) -> Select[Any]:
    """The counts of ``shapes`` in one statement (one round through the driver, not three); with
    ``kept``, an unfiltered queue is counted by its row of ``task_queue_counts`` (SQLite: see
    :mod:`app.persistence.tables.queue_counts`) instead of a walk over its index."""
    return select(*((_kept_queue_count() if kept and _is_whole_queue(shape) else _count_statement(shape))
                    .scalar_subquery() for shape in shapes))


def queue_count_drifts(session: Session) -> list[tuple[str, str, int, int]]:
    """SQLite: every (role, department, kept, actual) whose kept count of ready tasks differs from
    the rows; none elsewhere (nothing is kept there)."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    actual = {(r, d): n for r, d, n in session.execute(
        select(TaskRecord.role, TaskRecord.department, func.count())
        .where(TaskRecord.status == TaskStatus.READY).group_by(TaskRecord.role, TaskRecord.department))}
    kept = {(r, d): n for r, d, n in session.execute(
        select(TaskQueueCount.role, TaskQueueCount.department, TaskQueueCount.ready))}
    counts = {queue: (kept.get(queue, 0), actual.get(queue, 0)) for queue in sorted(set(actual) | set(kept))}
    return [(role, department, held, real) for (role, department), (held, real) in counts.items() if held != real]


def _is_whole_queue(shape: _Shape) -> bool:
    return shape.tab == "queue" and not shape.deadline and shape.search is None


def _kept_queue_count() -> Select[Any]:
    kept = (select(TaskQueueCount.ready)
            .where(TaskQueueCount.role == bindparam("b_role"), TaskQueueCount.department == bindparam("b_department"))
            .scalar_subquery())
    return select(func.coalesce(kept, 0))


def inbox_page(session: Session, query: InboxQuery) -> list[tuple[TaskRow, InboxCase]]:
    """One page of the tab: most urgent first by default (done: most recent first)."""
    rows = session.connection().execute(_page_statement(_Shape.of(query)), _params(query)).all()
    return [(TaskRow(*row[:_TASK_FIELDS]), InboxCase(*row[_TASK_FIELDS:])) for row in rows]


#: 签收 in one statement: the task becomes the claimant's only while it is ready, unclaimed and of
#: the claimant's role and department; the row comes back as it is now (RETURNING, as a row: no
#: ORM object to build), and on SQLite with the audit chain's tip, read under the write lock the
#: statement holds
_TASKS = cast(Table, TaskRecord.__table__)
_CLAIM = (update(_TASKS)
          .where(_TASKS.c.id == bindparam("b_task"), _TASKS.c.status == TaskStatus.READY,
                 _TASKS.c.claimed_by.is_(None), _TASKS.c.role == bindparam("b_role"),
                 _TASKS.c.department == bindparam("b_department"))
          .values(claimed_by=bindparam("b_user")))
_CLAIM_RETURNING = _CLAIM.returning(*(_TASKS.c[f.name] for f in fields(TaskRow)))
_CLAIM_RETURNING_TIP = _CLAIM.returning(*(_TASKS.c[f.name] for f in fields(TaskRow)), chain_tip_query())


def claim_ready(session: Session, task_id: str, username: str, role: str,
                department: str) -> TaskRow | None:
    """Compare-and-set in one UPDATE: claim a ready, unclaimed task of this role and department.

    The claimed task, or None when no row matched (unknown, not the claimant's, done, or already
    claimed — by someone else or by the claimant): the caller then reads the task to say which.
    A copy of the task this session holds is expired: read again, it shows the claim.
    """
    params = {"b_task": task_id, "b_user": username, "b_role": role, "b_department": department}
    session.flush()  # what this unit of work changed is in the database before the UPDATE runs
    connection = session.connection()
    if session.get_bind().dialect.name == "sqlite":
        row = connection.execute(_CLAIM_RETURNING_TIP, params).first()
        if row is not None:
            known_chain_tip(session, row[_TASK_FIELDS])
    else:
        row = connection.execute(_CLAIM_RETURNING, params).first()
    if row is None:
        return None
    held = session.identity_map.get(session.identity_key(TaskRecord, task_id))
    if held is not None:
        session.expire(held)
    return TaskRow(*row[:_TASK_FIELDS])


def cancel(session: Session, task_ids: Sequence[str], at: datetime) -> None:
    """Ready workflow tasks the workflow no longer has (another branch settled it): cancelled."""
    session.execute(update(TaskRecord).where(
        TaskRecord.id.in_(list(task_ids)), TaskRecord.status == TaskStatus.READY, TaskRecord.kind == TaskKind.WORKFLOW,
    ).values(status=TaskStatus.CANCELLED, completed_at=at).execution_options(synchronize_session="evaluate"))


def release(session: Session, task_id: str, username: str) -> bool:
    return rows_changed(session, update(TaskRecord).where(
        TaskRecord.id == task_id, TaskRecord.status == TaskStatus.READY, TaskRecord.claimed_by == username,
    ).values(claimed_by=None, transferred_by=None, transfer_reason=None)
        .execution_options(synchronize_session=False)) == 1


_ACTIVE_OF_ROLES = (select(User.username, User.role, User.department)
                    .where(User.active.is_(True), User.role.in_(bindparam("b_roles", expanding=True)))
                    .order_by(User.username))


def usernames_for(session: Session, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Active usernames per (role, department)."""
    wanted = set(pairs)
    result: dict[tuple[str, str], list[str]] = {pair: [] for pair in wanted}
    if not wanted:
        return result
    rows = session.execute(_ACTIVE_OF_ROLES, {"b_roles": sorted({role for role, _ in wanted})})
    for username, role, department in rows:
        key = (role, department or "")
        if key in result:
            result[key].append(username)
    return result


def hand_over(session: Session, task_id: str, holder: str | None, to: str, *, by: str,
              reason: str | None) -> bool:
    """Compare-and-set: move a ready task from its current holder (or nobody) to ``to``, noting
    who handed it over and why (what the new holder reads in the inbox and on the task)."""
    holder_is = TaskRecord.claimed_by.is_(None) if holder is None else TaskRecord.claimed_by == holder
    return rows_changed(session, update(TaskRecord).where(
        TaskRecord.id == task_id, TaskRecord.status == TaskStatus.READY, holder_is,
    ).values(claimed_by=to, transferred_by=by, transfer_reason=reason)
        .execution_options(synchronize_session=False)) == 1
