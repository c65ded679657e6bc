"""Warnings (预警) and overdue escalation (超期督办) of case deadlines.

A scan (``app/jobs``) asks :func:`cases_to_check` for the open, running cases whose deadline
state is due to move, then runs :func:`check_deadline` for each in its own transaction. A case's
``deadline_state`` only moves forward (正常 → 预警 → 超期), by a compare-and-set on the
locked case row, in the same transaction as its audit event and, when it becomes overdue, the
escalation task for the section chief (分管领导) of the case's department. Two workers racing
on one case therefore warn and escalate once.

* 预警: at most ``threshold`` working days left (default 2); not for immediate items (即办件),
  which are due the day they are registered.
* 超期: the end of the due working day (17:30 Beijing time) has passed.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseStatus
from app.domain.bureau.catalogue import ItemKind
from app.domain.timing.clock import local_date
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.domain.roles import Role
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.engine.changes import rows_changed
from app.persistence.models import Case, TaskRecord
from app.services.clock.time_limits import due_moment, working_days_left
from app.services.runtime import Runtime

NORMAL, WARNING, OVERDUE = "normal", "warning", "overdue"
_RANK = {NORMAL: 0, WARNING: 1, OVERDUE: 2}
ESCALATION_ELEMENT = "deadline_escalation"
ESCALATION_NAME = "超期督办"
_FINAL = [s.value for s in CaseStatus if s.is_final]


def target_state(runtime: Runtime, case: Case, now: datetime, threshold: int) -> str:
    """The state the case's deadline is in at ``now`` (never earlier than its current one)."""
    if case.due_date is None or case.clock_suspended_since is not None:
        return case.deadline_state
    due = due_moment(case)
    if due is not None and now > due:
        return OVERDUE
    item = runtime.catalogue.find(case.item_code)
    if item is not None and item.kind is ItemKind.IMMEDIATE:
        return case.deadline_state
    left = working_days_left(case, runtime.calendar, now)
    state = WARNING if left is not None and left <= threshold else NORMAL
    return state if _RANK[state] > _RANK[case.deadline_state] else case.deadline_state


def cases_to_check(session: Session, runtime: Runtime, now: datetime, threshold: int,
                   limit: int = 500) -> list[int]:
    """Open, running cases whose deadline state is due to move (预警 or 超期) at ``now``.

    Read from the cases due within ``threshold`` working days (or already past due), earliest
    first; a case already warned and not yet overdue is passed over, so a scan finds only work.
    """
    horizon = runtime.calendar.add_working_days(local_date(now), threshold).date
    candidates = session.scalars(
        select(Case).where(Case.deadline_state.in_((NORMAL, WARNING)), Case.due_date <= horizon,
                           Case.clock_suspended_since.is_(None), Case.status.not_in(_FINAL))
        .order_by(Case.due_date, Case.id).execution_options(yield_per=200))
    due: list[int] = []
    for case in candidates:
        if _RANK[target_state(runtime, case, now, threshold)] > _RANK[case.deadline_state]:
            due.append(case.id)
            if len(due) >= limit:
                break
    candidates.close()
    return due


def check_deadline(session: Session, runtime: Runtime, case_id: int, now: datetime,
                   threshold: int) -> str | None:
    """Move one case's deadline state if it is due to; return the new state, or None."""
    case = get_case(session, case_id, for_update=True)
    if CaseStatus(case.status).is_final:
        return None
    current, target = case.deadline_state, target_state(runtime, case, now, threshold)
    if _RANK[target] <= _RANK[current]:
        return None
    moved = rows_changed(session, update(Case).where(Case.id == case.id, Case.deadline_state == current)
                         .values(deadline_state=target).execution_options(synchronize_session=False))
    if moved != 1:
        return None  # another worker got there first
    session.expire(case, ["deadline_state"])
    left = working_days_left(case, runtime.calendar, now)
    detail = {"state": target, "due_date": case.due_date.isoformat() if case.due_date else None,
              "working_days_left": left}
    if target == OVERDUE:
        task = _escalation_task(case, now, left)
        session.add(task)
        detail["escalation_task_id"] = task.id
    append_event(session, occurred_at=now, actor="system",
                 action="deadline_overdue" if target == OVERDUE else "deadline_warning",
                 case_id=case.id, element_id=ESCALATION_ELEMENT if target == OVERDUE else None,
                 before={"state": current}, after=detail)
    return target


def _escalation_task(case: Case, now: datetime, left: int | None) -> TaskRecord:
    return TaskRecord(
        id=str(uuid.uuid4()), case_id=case.id, element_id=ESCALATION_ELEMENT, name=ESCALATION_NAME,
        role=Role.LEADER.value, department=case.department, kind=TaskKind.ESCALATION,
        status=TaskStatus.READY, claimed_by=None, created_at=now, due_at=None,
        data={"due_date": case.due_date.isoformat() if case.due_date else None,
              "working_days_over": -left if left is not None and left < 0 else 0})
