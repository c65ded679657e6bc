"""Time limits of a case (办理时限) in Chinese working days.

The clock starts at acceptance: the day of acceptance is not counted and a limit of N
working days ends on the N-th working day after it. Immediate items (即办件) are due the
same working day. Deadlines in a year without an official holiday schedule are provisional.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from app.domain.catalogue import Item, ItemKind
from app.domain.clock import BUREAU_ZONE, local_date
from app.domain.working_days import WorkingDayCalendar
from app.persistence.models import Case

END_OF_WORKING_DAY = time(17, 30)


def start_clock(case: Case, item: Item, calendar: WorkingDayCalendar, at: datetime) -> None:
    """Fix the case's deadline from the day it is accepted."""
    accepted_on = local_date(at)
    if item.kind is ItemKind.IMMEDIATE:
        deadline = calendar.deadline_same_day(accepted_on)
    else:
        deadline = calendar.add_working_days(accepted_on, item.promised_limit)
    case.accepted_on = accepted_on
    case.due_date = deadline.date
    case.deadline_provisional = deadline.provisional


def due_moment(case: Case) -> datetime | None:
    """The end of the working day on which the case is due, for task ``due_at``."""
    if case.due_date is None:
        return None
    return datetime.combine(case.due_date, END_OF_WORKING_DAY, tzinfo=BUREAU_ZONE)


def time_limit_view(case: Case, item: Item | None, calendar: WorkingDayCalendar, now: datetime) -> dict[str, Any]:
    """Deadline, working days used and left, for the API and the pages."""
    view: dict[str, Any] = {
        "promised_limit": item.promised_limit if item else None,
        "statutory_limit": item.statutory_limit if item else None,
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "provisional": case.deadline_provisional,
        "working_days_used": None, "working_days_left": None,
    }
    if case.accepted_on is None or case.due_date is None:
        return view
    until: date = local_date(case.completed_at or now)
    used = calendar.working_days_between(case.accepted_on, until)
    left = calendar.working_days_between(until, case.due_date)
    if until > case.due_date:
        left = -calendar.working_days_between(case.due_date, until)
    view.update(working_days_used=used, working_days_left=left)
    return view
