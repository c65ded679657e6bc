"""Tables of the bureau's performance figures (效能统计) and efficiency supervision (效能监察).

``daily_figures`` and ``daily_durations`` are daily roll-ups of the cases, one row per day,
department and item, and ``monthly_figures``/``monthly_durations`` the sums of their months.
They are never incremented: whenever a case's figures change (registered,
accepted, returned, completed) the transaction of the change marks its day, department and item
in ``figure_refreshes``, and the marked rows are computed again from the cases, clock suspensions
and notices before anyone reads them (``app/services/statistics/rollup.py``); ``oneseal stats
rebuild`` computes any period again.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class FigureCounters:
    """The counters of a roll-up row (a day's, or a month's: the sum of its days)."""

    #: cases registered (follow-up cases the bureau opens itself excluded)
    received: Mapped[int] = mapped_column(Integer, default=0)
    #: cases accepted (the clock started), of which with gaps (容缺受理)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    accepted_with_gaps: Mapped[int] = mapped_column(Integer, default=0)
    #: returns for supplement (退回补正) issued
    returned: Mapped[int] = mapped_column(Integer, default=0)
    #: cases concluded (办结), by result; ``not_accepted`` ended without acceptance
    completed: Mapped[int] = mapped_column(Integer, default=0)
    not_accepted: Mapped[int] = mapped_column(Integer, default=0)
    granted: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    partial: Mapped[int] = mapped_column(Integer, default=0)
    #: concluded cases that had a time limit, of which within it (suspensions not counted)
    timed: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    #: working days used (net of suspensions) and promised limits of the timed ones, summed
    days_used: Mapped[int] = mapped_column(Integer, default=0)
    limit_days: Mapped[int] = mapped_column(Integer, default=0)
    #: concluded cases that needed at most one visit (最多跑一次, see README)
    one_visit: Mapped[int] = mapped_column(Integer, default=0)


class DailyFigure(FigureCounters, Base):
    """The figures of one day, department and item (the day an event happened, Beijing time)."""

    __tablename__ = "daily_figures"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)


class MonthlyFigure(FigureCounters, Base):
    """The sum of a month's ``daily_figures`` of one department and item (``month``: its first
    day): a year is read from twelve of these instead of some 250 days."""

    __tablename__ = "monthly_figures"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)


class DailyDuration(Base):
    """How many timed cases concluded that day, department and item used ``days`` working days
    (for the p90)."""

    __tablename__ = "daily_durations"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cases: Mapped[int] = mapped_column(Integer)


class MonthlyDuration(Base):
    """The sum of a month's ``daily_durations`` of one department and item."""

    __tablename__ = "monthly_durations"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cases: Mapped[int] = mapped_column(Integer)


class FigureRefresh(Base):
    """A day, department and item whose roll-ups a committed change has moved and nobody has
    computed again yet: one row per change, only ever inserted (a change never waits on another
    change's mark), removed by the refresh that read it."""

    __tablename__ = "figure_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(32))


class SupervisionAlert(Base):
    """One 督办 raised by the daily efficiency supervision: a case about to run over, or a
    department whose on-time rate fell below the bureau's threshold. ``key`` makes it once a day."""

    __tablename__ = "supervision_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    #: ``case_due`` | ``department_on_time``
    kind: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    #: the 督办 task given to the department's leader, if any
    task_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(String(500))
    figures: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SupervisionRun(Base):
    """The day the daily supervision last ran, so every worker pass runs it once a day."""

    __tablename__ = "supervision_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ran_at: Mapped[datetime]
    summary: Mapped[dict[str, Any]]
