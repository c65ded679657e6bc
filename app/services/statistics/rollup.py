"""The daily roll-ups (``daily_figures``, ``daily_durations``): one row per day, department and
item, computed from the stored facts — never incremented, so they cannot drift.

Whenever a change moves a figure (a case registered, accepted, returned for supplement or
concluded), :func:`mark_case` marks the days, department and item that case counts in
(``figure_refreshes``), in the transaction of the change: one statement, where computing the
rows again there cost a registration or an acceptance more than the rest of its step and grew
with the day's cases. :func:`catch_up` computes the marked rows again from the facts; whoever
reads the roll-ups calls it first (the statistics, the day's supervision), and the worker calls
it every few seconds so that reads find little to do. So a reader never sees a figure that a
committed change has moved and the roll-ups do not show.

Two refreshes of the same row take turns: the month's row is locked first (PostgreSQL; SQLite
writers are serialized anyway), and the facts are read after the lock, so the second sees the
first's work. A refresh removes exactly the marks it read, each committed before it read the
facts: a change committed meanwhile has its own mark, left for the next refresh.
:func:`rebuild` computes a whole period again (``oneseal stats rebuild``), e.g. after the
calendar changed.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Date, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from app.domain.timing.clock import BUREAU_ZONE, local_date
from app.domain.cases.kinds import CaseKind
from app.domain.timing.working_days import WorkingDayCalendar
from app.persistence.engine.prepared import send
from app.persistence.tables.figures import (DailyDuration, DailyFigure, FigureRefresh, MonthlyDuration,
                                            MonthlyFigure)
from app.persistence.models import Case
from app.services.statistics.case_figures import RESULT_COUNTERS, ConcludedCase, figures_of
from app.services.statistics.rollup_statements import COUNTERS, FactQueries, fact_queries, marks, row_writes

Key = tuple[date, str, str]
_CHUNK = 5_000
_STREAMED = {"yield_per": _CHUNK}  # long reads (a rebuild) in chunks, per statement


def day_start(day: date) -> datetime:
    """The first moment of a Beijing day, in UTC."""
    return datetime.combine(day, time(), tzinfo=BUREAU_ZONE).astimezone(UTC)


class Tally:
    """Counters per (day, department, item) and working days used per the same key."""

    def __init__(self) -> None:
        self.rows: dict[Key, Counter[str]] = defaultdict(Counter)
        self.durations: dict[Key, Counter[int]] = defaultdict(Counter)


def compute(session: Session, calendar: WorkingDayCalendar, first: date, last: date, *,
            department: str | None = None, item_code: str | None = None) -> Tally:
    """The figures of every day from ``first`` to ``last`` (both included), from the facts."""
    tally = Tally()
    queries = fact_queries(department is not None, item_code is not None, first == last)
    params: dict[str, Any] = {"b_start": day_start(first), "b_end": day_start(last + timedelta(days=1)),
                              "b_first": first, "b_last": last}
    if department is not None:
        params["b_department"] = department
    if item_code is not None:
        params["b_item"] = item_code
    connection = session.connection()
    if queries.day_counts is not None:  # one day, department and item: the counts in one statement
        received, accepted, gaps, returned = connection.execute(queries.day_counts, params).one()
        tally.rows[(first, department, item_code)].update(  # type: ignore[index]
            received=received, accepted=accepted, accepted_with_gaps=int(gaps), returned=returned)
    else:
        _count_received_accepted_returned(connection, queries, params, tally, first, last, department, item_code)
    for dept, item, status, result, created, completed, accepted, due, delivery, days, n in \
            connection.execute(queries.concluded, params, execution_options=_STREAMED if first != last else {}):
        figures = figures_of(ConcludedCase(status, result, created, completed, accepted, due, delivery,
                                           int(days), int(n)), calendar)
        key = (local_date(completed), dept, item)
        row = tally.rows[key]
        row["completed"] += figures.completed
        row["not_accepted"] += figures.not_accepted
        if figures.result in RESULT_COUNTERS:
            row[RESULT_COUNTERS[figures.result]] += 1
        row["one_visit"] += figures.one_visit
        if figures.timed:
            row["timed"] += 1
            row["on_time"] += figures.on_time
            row["days_used"] += figures.days_used
            row["limit_days"] += figures.limit_days
            tally.durations[key][figures.days_used] += 1
    return tally


def _count_received_accepted_returned(connection: Connection, queries: FactQueries, params: dict[str, Any], tally: Tally,
                    first: date, last: date, department: str | None, item_code: str | None) -> None:
    """Received, accepted and returned of a period, into ``tally``, day by day."""
    if first == last:
        for dept, item, count in connection.execute(queries.received, params):
            tally.rows[(first, dept, item)]["received"] += count
    else:
        for dept, item, created in connection.execute(queries.received, params, execution_options=_STREAMED):
            tally.rows[(local_date(created), dept, item)]["received"] += 1
    for dept, item, day, count, gaps in connection.execute(queries.accepted, params):
        if day is None:
            continue
        row = tally.rows[(day, dept, item)]
        row["accepted"] += count
        row["accepted_with_gaps"] += int(gaps or 0)
    for dept, item, issued in connection.execute(queries.returned, params):
        if department not in (None, dept) or item_code not in (None, item):
            continue
        tally.rows[(local_date(issued), dept, item)]["returned"] += 1


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def refresh(session: Session, calendar: WorkingDayCalendar, keys: Iterable[Key]) -> None:
    """Compute the rows of ``keys`` again from the facts, and their months from their days (in
    the caller's transaction). On PostgreSQL the month's row is locked first: every refresh of a
    day of that month, department and item waits for the one before it to commit, then reads its
    work (SQLite's writers take turns anyway)."""
    writes, connection = row_writes(session.get_bind().dialect.name), session.connection()
    for key in sorted(set(keys)):
        day, department, item_code = key
        month = month_of(day)
        if writes.lock_month is not None:
            connection.execute(writes.month_row, {"month": month, "department": department, "item_code": item_code,
                                                  **dict.fromkeys(COUNTERS, 0)})
            connection.execute(writes.lock_month, {"b_month": month, "b_department": department, "b_item": item_code})
        tally = compute(session, calendar, day, day, department=department, item_code=item_code)
        durations_moved = _replace(session, [key], tally)
        _roll_month(session, month, department, item_code, durations=durations_moved)


FigureMark = tuple[str, date | None, datetime | None, str | None]


def figure_mark(case: Case) -> FigureMark:
    """What of a case the figures depend on while it runs; a step that changes none of it (and
    issues no notice) leaves the roll-ups as they are."""
    return (case.department, case.accepted_on, case.completed_at, case.result)


def mark_case(session: Session, case: Case, now: datetime, before: FigureMark | None = None) -> None:
    """Mark the rows a change of ``case`` at ``now`` moved, to be computed again: today's row of
    its department and item; every day it counts in, under both departments, when its
    department changed (a construction project's stage lead)."""
    if case.kind == CaseKind.REVOCATION:
        return
    departments = {case.department}
    days = {local_date(now)}
    if before is not None and before[0] != case.department:
        departments.add(before[0])
        days.add(local_date(case.created_at))
        days.update(d for d in (before[1], case.accepted_on) if d is not None)
        if case.completed_at is not None:
            days.add(local_date(case.completed_at))
    _mark(session, [{"day": day, "department": department, "item_code": case.item_code}
                    for day in sorted(days) for department in sorted(departments)])


def mark_result_changed(session: Session, case: Case) -> None:
    """Mark the row a concluded case's result counts in (the day it was concluded), when its
    result changes afterwards: a revocation (撤销) or withdrawal (撤回) taking its licence back."""
    if case.completed_at is None or case.kind == CaseKind.REVOCATION:
        return
    _mark(session, [{"day": local_date(case.completed_at), "department": case.department,
                     "item_code": case.item_code}])


def _mark(session: Session, rows: list[dict[str, Any]]) -> None:
    if len(rows) == 1:
        send(session.connection(), marks().mark, rows[0])
    else:
        session.connection().execute(marks().mark, rows)


def has_pending(session: Session) -> bool:
    """Whether some change has moved roll-ups not computed again yet."""
    return session.connection().execute(marks().any_pending).first() is not None


def catch_up(session: Session, calendar: WorkingDayCalendar, *, batch: int = 2_000) -> int:
    """Compute every marked row again, the marks ``batch`` at a time (oldest first), and remove
    the marks read; the marks done. Marks committed meanwhile wait for the next call."""
    statements, connection = marks(), session.connection()
    done, after = 0, 0
    while True:
        pending = connection.execute(statements.pending, {"b_after": after, "b_limit": batch}).all()
        if not pending:
            return done
        refresh(session, calendar, {(day, department, item) for _, day, department, item in pending})
        ids = [row[0] for row in pending]
        connection.execute(statements.unmark, {"b_ids": ids})
        done, after = done + len(ids), ids[-1]
        if len(ids) < batch:
            return done


def rebuild(session: Session, calendar: WorkingDayCalendar, first: date, last: date) -> int:
    """Compute every day from ``first`` to ``last`` again, then the months they fall in, from
    their days; return the daily rows written. (Run it while the service is quiet: a change
    committed meanwhile is computed again by its own transaction, but may be overwritten here.)"""
    tally = compute(session, calendar, first, last)
    session.execute(delete(FigureRefresh).where(FigureRefresh.day >= first, FigureRefresh.day <= last))
    session.execute(delete(DailyDuration).where(DailyDuration.day >= first, DailyDuration.day <= last))
    session.execute(delete(DailyFigure).where(DailyFigure.day >= first, DailyFigure.day <= last))
    _insert(session, tally)
    month = month_of(first)
    while month <= last:
        _rebuild_month(session, month)
        month = month_end(month) + timedelta(days=1)
    return len(tally.rows)


def _rebuild_month(session: Session, month: date) -> None:
    end = month_end(month)
    session.execute(delete(MonthlyDuration).where(MonthlyDuration.month == month))
    session.execute(delete(MonthlyFigure).where(MonthlyFigure.month == month))
    session.execute(insert(MonthlyFigure).from_select(
        ["month", "department", "item_code", *COUNTERS],
        select(literal(month, Date()), DailyFigure.department, DailyFigure.item_code,
               *[func.sum(getattr(DailyFigure, name)) for name in COUNTERS])
        .where(DailyFigure.day >= month, DailyFigure.day <= end)
        .group_by(DailyFigure.department, DailyFigure.item_code)))
    session.execute(insert(MonthlyDuration).from_select(
        ["month", "department", "item_code", "days", "cases"],
        select(literal(month, Date()), DailyDuration.department, DailyDuration.item_code, DailyDuration.days,
               func.sum(DailyDuration.cases))
        .where(DailyDuration.day >= month, DailyDuration.day <= end)
        .group_by(DailyDuration.department, DailyDuration.item_code, DailyDuration.days)))


def _roll_month(session: Session, month: date, department: str, item_code: str, *, durations: bool) -> None:
    """The month's row set to the sum of its days; its durations too when ``durations`` (a day's
    durations moved)."""
    writes, connection = row_writes(session.get_bind().dialect.name), session.connection()
    key = {"b_month": month, "b_month_end": month_end(month), "b_department": department, "b_item": item_code}
    connection.execute(writes.month_upsert, key)
    if durations:
        connection.execute(writes.month_durations_delete, key)
        connection.execute(writes.month_durations_insert, key)


def _replace(session: Session, keys: list[Key], tally: Tally) -> bool:
    """The daily rows of ``keys`` made or set to the tally's; whether any day's durations moved."""
    writes, connection = row_writes(session.get_bind().dialect.name), session.connection()
    moved = False
    for day, department, item_code in keys:
        row = tally.rows.get((day, department, item_code), Counter())
        connection.execute(writes.day_upsert, {"day": day, "department": department, "item_code": item_code,
                                               **{name: row[name] for name in COUNTERS}})
        deleted = connection.execute(writes.day_durations_delete,
                                     {"b_day": day, "b_department": department, "b_item": item_code}).rowcount
        durations = tally.durations.get((day, department, item_code), Counter())
        if durations:
            connection.execute(writes.durations_insert, [
                {"day": day, "department": department, "item_code": item_code, "days": d, "cases": n}
                for d, n in durations.items()])
        moved = moved or bool(deleted) or bool(durations)
    return moved


def _insert(session: Session, tally: Tally) -> None:
    rows = [{"day": d, "department": dept, "item_code": item, **{n: c[n] for n in COUNTERS}}
            for (d, dept, item), c in tally.rows.items()]
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(DailyFigure), rows[i:i + _CHUNK])
    durations = [{"day": d, "department": dept, "item_code": item, "days": days, "cases": n}
                 for (d, dept, item), counts in tally.durations.items() for days, n in counts.items()]
    for i in range(0, len(durations), _CHUNK):
        session.execute(insert(DailyDuration), durations[i:i + _CHUNK])
