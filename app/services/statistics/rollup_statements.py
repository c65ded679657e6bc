"""The statements the roll-ups are read and written with (``rollup.py``), each built once per
shape and run with parameters: building a SQLAlchemy statement costs more than running it, and a
change marks the rows it moved in its own transaction (:func:`marks`), and a refresh computes them
again before they are read.

Parameters: ``b_start``/``b_end`` a period's bounds in UTC, ``b_first``/``b_last`` its days,
``b_day``, ``b_month``/``b_month_end``, ``b_department``, ``b_item``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, String, Table, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.cases.kinds import CaseKind
from app.persistence.engine.base import Base
from app.persistence.tables.figures import DailyDuration, DailyFigure, FigureRefresh, MonthlyDuration, MonthlyFigure
from app.persistence.models import Case, ClockSuspension, SupplementNotice

COUNTERS = ("received", "accepted", "accepted_with_gaps", "returned", "completed", "not_accepted",
            "granted", "refused", "withdrawn", "partial", "timed", "on_time", "days_used",
            "limit_days", "one_visit")


@dataclass(frozen=True)
class FactQueries:
    received: Any
    accepted: Any
    returned: Any
    concluded: Any
    #: received, accepted, accepted with gaps and returned of one day, department and item, in
    #: one statement (the rows a change refreshes)
    day_counts: Any


@lru_cache(maxsize=None)
def fact_queries(by_department: bool, by_item: bool, one_day: bool) -> FactQueries:
    """The statements :func:`compute` reads the facts with, built once per shape and run with
    parameters (``b_start``/``b_end`` the period's bounds in UTC, ``b_first``/``b_last`` its
    days, ``b_department``, ``b_item``): building them costs more than running them."""
    where = [Case.kind != CaseKind.REVOCATION.value]
    if by_department:
        where.append(Case.department == bindparam("b_department"))
    if by_item:
        where.append(Case.item_code == bindparam("b_item"))
    received_where = [*where, Case.created_at >= bindparam("b_start"), Case.created_at < bindparam("b_end")]
    received: Any
    if one_day:  # one day (a change's refresh): counted by the database, off the index
        received = (select(Case.department, Case.item_code, func.count())
                    .where(*received_where).group_by(Case.department, Case.item_code))
    else:
        received = select(Case.department, Case.item_code, Case.created_at).where(*received_where)
    accepted = (select(Case.department, Case.item_code, Case.accepted_on, func.count(),
                       func.sum(cast(Case.accepted_with_gaps, Integer)))
                .where(*where, Case.accepted_on >= bindparam("b_first"), Case.accepted_on <= bindparam("b_last"))
                .group_by(Case.department, Case.item_code, Case.accepted_on))
    # the period's notices, each joined to its case by key; the department and item are
    # compared as read: given to the database, SQLite would walk all the item's cases instead
    returned = (select(Case.department, Case.item_code, SupplementNotice.issued_at)
                .join(Case, Case.id == SupplementNotice.case_id)
                .where(where[0], SupplementNotice.task_id.is_not(None),
                       SupplementNotice.issued_at >= bindparam("b_start"),
                       SupplementNotice.issued_at < bindparam("b_end")))
    facts = (Case.department, Case.item_code, Case.status, Case.result, Case.created_at, Case.completed_at,
             Case.accepted_on, Case.due_date, Case.delivery)
    in_period = [*where, Case.completed_at >= bindparam("b_start"), Case.completed_at < bindparam("b_end")]
    if one_day:
        # a day's few concluded cases: each one's suspended days and returns looked up by its id
        # (grouping the whole tables first would read every suspension and notice ever made)
        suspended_days = (select(func.coalesce(func.sum(ClockSuspension.days_added), 0))
                          .where(ClockSuspension.case_id == Case.id).scalar_subquery())
        returns_of_case = (select(func.count()).select_from(SupplementNotice)
                           .where(SupplementNotice.case_id == Case.id, SupplementNotice.task_id.is_not(None))
                           .scalar_subquery())
        concluded = select(*facts, suspended_days, returns_of_case).where(*in_period)
    else:  # a rebuild's many: the tables grouped once and joined
        suspended = (select(ClockSuspension.case_id, func.sum(ClockSuspension.days_added).label("days"))
                     .group_by(ClockSuspension.case_id).subquery())
        returns = (select(SupplementNotice.case_id, func.count().label("n"))
                   .where(SupplementNotice.task_id.is_not(None)).group_by(SupplementNotice.case_id).subquery())
        concluded = (select(*facts, func.coalesce(suspended.c.days, 0), func.coalesce(returns.c.n, 0))
                     .outerjoin(suspended, suspended.c.case_id == Case.id)
                     .outerjoin(returns, returns.c.case_id == Case.id)
                     .where(*in_period))
    day_counts = None
    if one_day and by_department and by_item:  # a change's refresh: one day, department and item
        of_case = select(Case.id).where(*where)  # the notice's case, when it is of them
        day_counts = select(
            select(func.count()).select_from(Case).where(*received_where).scalar_subquery(),
            select(func.count()).select_from(Case)
            .where(*where, Case.accepted_on == bindparam("b_first")).scalar_subquery(),
            select(func.coalesce(func.sum(cast(Case.accepted_with_gaps, Integer)), 0))
            .where(*where, Case.accepted_on == bindparam("b_first")).scalar_subquery(),
            # the day's notices from their own index, each looked up by its case's key
            select(func.count()).select_from(SupplementNotice)
            .where(SupplementNotice.task_id.is_not(None), SupplementNotice.issued_at >= bindparam("b_start"),
                   SupplementNotice.issued_at < bindparam("b_end"),
                   of_case.where(Case.id == SupplementNotice.case_id).exists()).scalar_subquery())
    return FactQueries(received, accepted, returned, concluded, day_counts)


@dataclass(frozen=True)
class RowWrites:
    """The statements a refresh writes one day's and its month's rows with (built once)."""

    month_row: Any  # PostgreSQL: the month's row made if missing, then held by ``lock_month``
    lock_month: Any  # None on SQLite
    day_upsert: Any
    day_durations_delete: Any
    durations_insert: Any
    month_upsert: Any  # the month's row made or set to the sums of its days, in one statement
    month_durations_delete: Any
    month_durations_insert: Any


@lru_cache(maxsize=None)
def row_writes(dialect: str) -> RowWrites:
    postgres = dialect == "postgresql"
    insert_for = postgresql.insert if postgres else sqlite.insert
    daily, monthly = _table(DailyFigure), _table(MonthlyFigure)
    day_durations, month_durations = _table(DailyDuration), _table(MonthlyDuration)
    key_columns = ["department", "item_code"]
    department, item = bindparam("b_department", type_=String()), bindparam("b_item", type_=String())
    month, last_day = bindparam("b_month", type_=Date()), bindparam("b_month_end", type_=Date())
    day_upsert = insert_for(daily)
    day_upsert = day_upsert.on_conflict_do_update(
        index_elements=["day", *key_columns], set_={name: day_upsert.excluded[name] for name in COUNTERS})
    month_upsert = insert_for(monthly).from_select(
        ["month", *key_columns, *COUNTERS],
        select(month, department, item, *[func.coalesce(func.sum(daily.c[name]), 0) for name in COUNTERS])
        .where(daily.c.day >= month, daily.c.day <= last_day, daily.c.department == department,
               daily.c.item_code == item))
    month_upsert = month_upsert.on_conflict_do_update(
        index_elements=["month", *key_columns], set_={name: month_upsert.excluded[name] for name in COUNTERS})
    return RowWrites(
        month_row=insert_for(monthly).on_conflict_do_nothing(),
        lock_month=select(monthly.c.month).where(
            monthly.c.month == month, monthly.c.department == department, monthly.c.item_code == item,
        ).with_for_update() if postgres else None,
        day_upsert=day_upsert,
        day_durations_delete=day_durations.delete().where(
            day_durations.c.day == bindparam("b_day"), day_durations.c.department == department,
            day_durations.c.item_code == item),
        durations_insert=day_durations.insert(),
        month_upsert=month_upsert,
        month_durations_delete=month_durations.delete().where(
            month_durations.c.month == month, month_durations.c.department == department,
            month_durations.c.item_code == item),
        month_durations_insert=month_durations.insert().from_select(
            ["month", *key_columns, "days", "cases"],
            select(month, department, item, day_durations.c.days, func.sum(day_durations.c.cases))
            .where(day_durations.c.day >= month, day_durations.c.day <= last_day,
                   day_durations.c.department == department, day_durations.c.item_code == item)
            .group_by(day_durations.c.days)),
    )


@dataclass(frozen=True)
class MarkStatements:
    """The marks of rows to compute again (``figure_refreshes``, one row per change); the same
    on every database."""

    mark: Any  # parameters day, department, item_code
    pending: Any  # the marks after id b_after, oldest first (LIMIT b_limit)
    any_pending: Any
    unmark: Any  # the marks of the ids read (b_ids, expanding)


@lru_cache(maxsize=None)
def marks() -> MarkStatements:
    table = _table(FigureRefresh)
    return MarkStatements(
        mark=table.insert(),
        pending=select(table.c.id, table.c.day, table.c.department, table.c.item_code)
        .where(table.c.id > bindparam("b_after")).order_by(table.c.id).limit(bindparam("b_limit")),
        any_pending=select(table.c.id).limit(1),
        unmark=table.delete().where(table.c.id.in_(bindparam("b_ids", expanding=True))),
    )


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table

