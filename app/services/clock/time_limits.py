"""Time limits of a case (办理时限) in Chinese working days.

The clock starts at acceptance: the day of acceptance is not counted and a limit of N
working days ends on the N-th working day after it. Immediate items (即办件) are due the
same working day. Deadlines in a year without an official holiday schedule are provisional.

Periods the law excludes (退回补正, 专家评审, 听证, 整改) stop the clock: a suspension starts
when such a task opens and ends when it is done; the deadline then moves by the working days
of the suspension, counted like the limit itself (the day it starts is not counted, the day it
ends is), so a same-day suspension moves nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import TypedDict

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.domain.cases.acceptance import gaps
from app.domain.bureau.catalogue import ItemKind, Subject
from app.domain.timing.clock import BUREAU_ZONE, local_date
from app.domain.timing.working_days import WorkingDayCalendar
from app.persistence.models import Case, ClockSuspension

DEADLINE_STATE_LABELS = {"normal": "正常", "warning": "预警", "overdue": "超期"}

SUSPENSION_LABELS = {
    "supplement": "退回补正",
    "expert_review": "专家评审",
    "hearing": "听证",
    "rectification": "限期整改",
}

END_OF_WORKING_DAY = time(17, 30)


def start_clock(case: Case, item: Subject, calendar: WorkingDayCalendar, at: datetime) -> None:
    """Fix the case's deadline from the day it is accepted.

    A commitment-based item (告知承诺) is approved on the spot; the case stays open until its
    post-approval verification, which is what its deadline measures.
    """
    accepted_on = local_date(at)
    if item.kind is ItemKind.IMMEDIATE:
        deadline = calendar.deadline_same_day(accepted_on)
    elif item.commitment is not None:
        deadline = calendar.add_working_days(accepted_on, item.commitment.verification_limit)
    else:
        deadline = calendar.add_working_days(accepted_on, item.promised_limit)
    case.accepted_on = accepted_on
    case.accepted_with_gaps = bool(gaps(item, case.materials))
    case.due_date = deadline.date
    case.deadline_provisional = deadline.provisional


def due_moment(case: Case) -> datetime | None:
    """The end of the working day on which the case is due, for task ``due_at``."""
    if case.due_date is None:
        return None
    return datetime.combine(case.due_date, END_OF_WORKING_DAY, tzinfo=BUREAU_ZONE)


def working_days_left(case: Case, calendar: WorkingDayCalendar, now: datetime) -> int | None:
    """Working days from the clock's "today" to the deadline; negative once it has passed.

    The clock's today is the day it stopped while a suspension is open, the day the case
    ended once it has, and the bureau's calendar date otherwise.
    """
    if case.due_date is None:
        return None
    until = _clock_day(case, now)
    if until > case.due_date:
        return -calendar.working_days_between(case.due_date, until)
    return calendar.working_days_between(until, case.due_date)


def _clock_day(case: Case, now: datetime) -> date:
    return local_date(case.completed_at or case.clock_suspended_since or now)


class TimeLimitView(TypedDict):
    """A case's clock (``time_limit`` of the case detail); the figures are None before acceptance."""

    promised_limit: int | None
    statutory_limit: int | None
    accepted_on: str | None
    due_date: str | None
    provisional: bool
    working_days_used: int | None
    working_days_left: int | None
    #: normal, warning or overdue, with its Chinese label
    state: str
    state_label: str
    suspended: bool
    suspended_since: str | None


def time_limit_view(case: Case, item: Subject | None, calendar: WorkingDayCalendar, now: datetime,
                    suspended_days: int = 0) -> TimeLimitView:
    """Deadline, working days used and left, for the API and the pages.

    ``suspended_days`` are the working days of the case's finished suspensions: they are not
    counted as used (the deadline already moved by them).
    """
    view: TimeLimitView = {
        "promised_limit": item.promised_limit if item else None,
        "statutory_limit": item.statutory_limit if item else None,
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "provisional": case.deadline_provisional,
        "working_days_used": None, "working_days_left": None,
        "state": case.deadline_state,
        "state_label": DEADLINE_STATE_LABELS.get(case.deadline_state, case.deadline_state),
        "suspended": case.clock_suspended_since is not None,
        "suspended_since": case.clock_suspended_since.isoformat() if case.clock_suspended_since else None,
    }
    if case.accepted_on is None or case.due_date is None:
        return view
    elapsed = calendar.working_days_between(case.accepted_on, _clock_day(case, now))
    view["working_days_used"] = max(0, elapsed - suspended_days)
    view["working_days_left"] = working_days_left(case, calendar, now)
    return view


def open_suspension(session: Session, case_id: int) -> ClockSuspension | None:
    return session.scalar(select(ClockSuspension).where(
        ClockSuspension.case_id == case_id, ClockSuspension.ended_at.is_(None)))


#: records an audit event (keyword arguments of ``append_event``) after the step's own event
Record = Callable[..., None]


def suspend_clock(session: Session, case: Case, record: Record, *, reason: str,
                  task_id: str | None, at: datetime, actor: str,
                  element_id: str | None = None) -> ClockSuspension:
    """Stop the case's clock (idempotent: an open suspension is returned as is)."""
    current = open_suspension(session, case.id)
    if current is not None:
        return current
    suspension = ClockSuspension(case_id=case.id, reason=reason, task_id=task_id, started_at=at,
                                 ended_at=None, days_added=None)
    session.add(suspension)
    case.clock_suspended_since = at
    record(occurred_at=at, actor=actor, action="clock_suspended", case_id=case.id, element_id=element_id,
           after={"reason": reason, "reason_label": SUSPENSION_LABELS.get(reason, reason),
                  "due_date": case.due_date.isoformat() if case.due_date else None})
    return suspension


def resume_clock(session: Session, case: Case, calendar: WorkingDayCalendar, record: Record, *,
                 at: datetime, actor: str, element_id: str | None = None) -> ClockSuspension | None:
    """Restart the clock and move the deadline by the working days it stood still."""
    suspension = open_suspension(session, case.id)
    if suspension is None:
        return None
    before = case.due_date
    days = calendar.working_days_between(local_date(suspension.started_at), local_date(at))
    if case.due_date is not None and days:
        moved = calendar.add_working_days(case.due_date, days)
        case.due_date = moved.date
        case.deadline_provisional = case.deadline_provisional or moved.provisional
    suspension.ended_at = at
    suspension.days_added = days
    case.clock_suspended_since = None
    if days and case.deadline_state == "warning":
        case.deadline_state = "normal"  # the deadline moved; the next check warns again if due
    record(occurred_at=at, actor=actor, action="clock_resumed", case_id=case.id, element_id=element_id,
           before={"due_date": before.isoformat() if before else None},
           after={"reason": suspension.reason,
                  "reason_label": SUSPENSION_LABELS.get(suspension.reason, suspension.reason),
                  "working_days_suspended": days,
                  "due_date": case.due_date.isoformat() if case.due_date else None})
    return suspension


class SuspensionView(TypedDict):
    """One stop of a case's clock (``suspensions`` of the case detail)."""

    reason: str
    reason_label: str
    started_at: str
    #: None while the clock still stands; then the working days the deadline moved by
    ended_at: str | None
    working_days: int | None


_SUSPENSIONS_OF_CASE = (select(ClockSuspension).where(ClockSuspension.case_id == bindparam("b_case"))
                        .order_by(ClockSuspension.id))


def suspensions_view(session: Session, case_id: int) -> list[SuspensionView]:
    rows = session.scalars(_SUSPENSIONS_OF_CASE, {"b_case": case_id})
    return [{"reason": r.reason, "reason_label": SUSPENSION_LABELS.get(r.reason, r.reason),
             "started_at": r.started_at.isoformat(),
             "ended_at": r.ended_at.isoformat() if r.ended_at else None,
             "working_days": r.days_added} for r in rows]
