"""Queries over the inbox projection (the ``tasks`` table). Never touches workflow state."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.domain.kinds import TaskKind, TaskStatus
from app.persistence.changes import rows_changed
from app.persistence.models import Case, TaskRecord, User

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


def ready_tasks_of_case(session: Session, case_id: int) -> list[TaskRecord]:
    return list(session.scalars(select(TaskRecord).where(
        TaskRecord.case_id == case_id, TaskRecord.status == TaskStatus.READY).order_by(TaskRecord.created_at)))


def tasks_of_case(session: Session, case_id: int) -> list[TaskRecord]:
    return list(session.scalars(select(TaskRecord).where(TaskRecord.case_id == case_id)
                                .order_by(TaskRecord.created_at, TaskRecord.id)))


def _inbox_filter(statement: Select[*Columns], query: InboxQuery) -> Select[*Columns]:
    if query.tab == "done":
        statement = statement.where(TaskRecord.completed_by == query.username,
                                    TaskRecord.status == TaskStatus.COMPLETED)
    else:
        statement = statement.where(TaskRecord.status == TaskStatus.READY, TaskRecord.role == query.role,
                                    TaskRecord.department == (query.department or ""))
        if query.tab == "mine":
            statement = statement.where(TaskRecord.claimed_by == query.username)
        elif query.tab == "department":
            statement = statement.where(or_(TaskRecord.claimed_by.is_(None),
                                            TaskRecord.claimed_by != query.username))
    if query.deadline and query.tab != "done":
        # a set of case ids probed from the covering inbox index, not a join row by row
        statement = statement.where(TaskRecord.case_id.in_(
            select(Case.id).where(Case.deadline_state == query.deadline)))
    if query.search and CASE_NUMBER.match(query.search):
        statement = statement.where(Case.number == query.search)  # a whole number: the unique index
    elif query.search:
        pattern = "%" + query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Case.number.like(pattern, escape="\\"),
                                        Case.applicant_name.like(pattern, escape="\\"),
                                        Case.item_name.like(pattern, escape="\\")))
    return statement


def _inbox_order(query: InboxQuery) -> tuple[Any, ...]:
    if query.tab == "done":
        return (TaskRecord.completed_at.desc(), TaskRecord.id.desc())  # ix_tasks_done backwards
    if query.sort == "arrived":
        return (TaskRecord.created_at.desc(), TaskRecord.id.desc())
    # ``due_at IS NULL`` first: tasks without a deadline last; the order of ix_tasks_inbox/holder
    return (TaskRecord.due_at.is_(None), TaskRecord.due_at, TaskRecord.created_at, TaskRecord.id)


def count_inbox(session: Session, query: InboxQuery) -> int:
    """How many tasks the tab holds (joins cases only when searching)."""
    statement = select(func.count()).select_from(TaskRecord)
    if query.joins_cases:
        statement = statement.join(Case, Case.id == TaskRecord.case_id)
    return session.scalar(_inbox_filter(statement, query)) or 0


def count_tabs(session: Session, query: InboxQuery) -> dict[str, int]:
    """The count of every tab under the query's search and filter, in three index-only counts.

    部门待办 is the actor's whole queue less what they hold, so it is counted as a plain range of
    the queue index rather than row by row against the holder."""
    mine = count_inbox(session, replace(query, tab="mine"))
    statement = select(func.count()).select_from(TaskRecord)
    if query.joins_cases:
        statement = statement.join(Case, Case.id == TaskRecord.case_id)
    queue = session.scalar(_inbox_filter(statement, replace(query, tab="queue"))) or 0
    return {"mine": mine, "department": queue - mine, "done": count_inbox(session, replace(query, tab="done"))}


def inbox_page(session: Session, query: InboxQuery) -> list[tuple[TaskRecord, Case]]:
    """One page of the tab: most urgent first by default (done: most recent first)."""
    statement = _inbox_filter(select(TaskRecord, Case).join(Case, Case.id == TaskRecord.case_id), query)
    rows = session.execute(statement.order_by(*_inbox_order(query))
                           .limit(query.limit).offset(query.offset)).all()
    return [(row[0], row[1]) for row in rows]


def claim(session: Session, task_id: str, username: str) -> bool:
    """Compare-and-set: claim an unclaimed ready task; False if someone else got it."""
    return rows_changed(session, update(TaskRecord).where(
        TaskRecord.id == task_id, TaskRecord.status == TaskStatus.READY,
        or_(TaskRecord.claimed_by.is_(None), TaskRecord.claimed_by == username),
    ).values(claimed_by=username).execution_options(synchronize_session=False)) == 1


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


def usernames_for(session: Session, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Active usernames per (role, department)."""
    wanted = set(pairs)
    result: dict[tuple[str, str], list[str]] = {pair: [] for pair in wanted}
    if not wanted:
        return result
    roles = {role for role, _ in wanted}
    rows = session.execute(select(User.username, User.role, User.department)
                           .where(User.active.is_(True), User.role.in_(roles))
                           .order_by(User.username))
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
