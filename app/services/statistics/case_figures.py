"""What one concluded case adds to the figures, from its stored facts.

* **timed**: completed (办结) after acceptance, so it had a time limit.
* **working days used**: from the day after acceptance to the day it concluded, in working days
  of the clock's calendar, less the working days its clock stood still (退回补正, 专家评审…).
* **promised limit** (as registered): the working days from acceptance to its due date, less the
  same suspensions (the due date moved by exactly those).
* **on time**: concluded before the end (17:30) of its due day, the day the suspensions moved.
* **at most one visit** (最多跑一次): completed, never returned for supplement, and the result
  sent by post or online, or handed over on the day the application was made.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.timing.clock import local_date
from app.domain.timing.working_days import WorkingDayCalendar
from app.services.clock.time_limits import END_OF_WORKING_DAY
from app.domain.timing.clock import BUREAU_ZONE

REMOTE_DELIVERY = ("post", "online")


@dataclass(frozen=True)
class ConcludedCase:
    """The facts of a concluded case the figures read."""

    status: str
    result: str | None
    created_at: datetime
    completed_at: datetime
    accepted_on: date | None
    due_date: date | None
    delivery: str
    #: working days of its finished clock suspensions
    suspended_days: int
    #: returns for supplement (退回补正) it had
    returns: int


@dataclass(frozen=True)
class CaseFigures:
    completed: bool
    not_accepted: bool
    result: str | None
    timed: bool
    on_time: bool
    days_used: int
    limit_days: int
    one_visit: bool


def figures_of(case: ConcludedCase, calendar: WorkingDayCalendar) -> CaseFigures:
    completed = case.status == CaseStatus.COMPLETED
    done_on = local_date(case.completed_at)
    timed = completed and case.accepted_on is not None and case.due_date is not None
    used = limit = 0
    on_time = False
    if timed:
        assert case.accepted_on is not None and case.due_date is not None
        used = max(0, calendar.working_days_between(case.accepted_on, done_on) - case.suspended_days)
        limit = max(0, calendar.working_days_between(case.accepted_on, case.due_date) - case.suspended_days)
        due = datetime.combine(case.due_date, END_OF_WORKING_DAY, tzinfo=BUREAU_ZONE)
        on_time = case.completed_at <= due
    one_visit = completed and case.returns == 0 and (
        case.delivery in REMOTE_DELIVERY or done_on == local_date(case.created_at))
    return CaseFigures(completed=completed, not_accepted=case.status == CaseStatus.NOT_ACCEPTED,
                       result=case.result if completed else None, timed=timed, on_time=on_time,
                       days_used=used, limit_days=limit, one_visit=one_visit)


#: which counter of a day's figures a result adds to
RESULT_COUNTERS = {CaseResult.APPROVED.value: "granted", CaseResult.REJECTED.value: "refused",
                   CaseResult.WITHDRAWN.value: "withdrawn", CaseResult.PARTIAL.value: "partial"}
