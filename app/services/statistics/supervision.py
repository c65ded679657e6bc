"""The daily efficiency supervision (效能监察): a plain service function any scheduler may call.

:func:`run_daily_supervision` runs once a working day (the first call of the day records the
run in ``supervision_runs``; later calls, from any process, do nothing), in the caller's
transaction:

* every open case with at most ``due_within_days`` working days left and not yet overdue (the
  overdue ones have their 超期督办 already; immediate items, due the day they come, are left out) gets a 效能督办 task for the section chief (分管领导)
  of its department — the same escalation task as 超期督办, once per case, however many days;
* every department whose on-time rate over the last ``look_back_days`` (from the daily
  roll-ups) fell below ``on_time_threshold`` percent, with at least ``minimum_completed``
  timed cases, is recorded as a 督办单 (``supervision_alerts``).

Each alert is an audit event (``efficiency_supervision``) in the same transaction. The policy is
the bureau's ``data/supervision.toml``. ``oneseal worker`` calls :func:`supervision_due` every
pass and runs the job when it is due; ``oneseal stats supervise`` runs it by hand.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.domain.bureau.catalogue import ItemKind
from app.domain.timing.clock import local_date
from app.domain.cases.kinds import CaseKind, TaskKind, TaskStatus
from app.domain.roles import Role
from app.persistence.audit.chain import append_event
from app.persistence.tables.figures import DailyFigure, SupervisionAlert, SupervisionRun
from app.services.statistics.rollup import catch_up
from app.persistence.models import Case, TaskRecord
from app.services.clock.time_limits import working_days_left
from app.services.runtime import Runtime
from app.services.statistics.figures import OPEN_STATUSES, rate

SUPERVISION_ELEMENT = "efficiency_supervision"
SUPERVISION_NAME = "效能督办"
CASE_DUE, DEPARTMENT_ON_TIME = "case_due", "department_on_time"


@dataclass
class SupervisionReport:
    day: date
    ran: bool = False
    cases: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.ran:
            return f"{self.day} 的效能监察已运行过或不是工作日，未重复运行"
        return (f"{self.day} 效能监察：即将超期办件 {len(self.cases)} 件已督办"
                f"{'（' + '、'.join(self.cases) + '）' if self.cases else ''}；"
                f"按时办结率低于督办线的部门 {len(self.departments)} 个"
                f"{'（' + '、'.join(self.departments) + '）' if self.departments else ''}")


def supervision_due(session: Session, runtime: Runtime, now: datetime) -> bool:
    """Whether today's supervision has yet to run (working days only)."""
    today = local_date(now)
    return runtime.calendar.is_workday(today) and session.get(SupervisionRun, today) is None


def run_daily_supervision(session: Session, runtime: Runtime, now: datetime) -> SupervisionReport:
    today = local_date(now)
    report = SupervisionReport(today)
    if not runtime.calendar.is_workday(today) or not _claim_day(session, today, now):
        return report
    report.ran = True
    policy = runtime.supervision
    horizon = runtime.calendar.add_working_days(today, policy.due_within_days).date
    cases = session.scalars(select(Case).where(
        Case.status.in_(OPEN_STATUSES), Case.kind != CaseKind.REVOCATION.value, Case.due_date.is_not(None),
        Case.due_date <= horizon, Case.due_date >= today, Case.deadline_state != "overdue",
        Case.clock_suspended_since.is_(None)).order_by(Case.due_date, Case.id))
    for case in cases:
        item = runtime.catalogue.find(case.item_code)
        if item is not None and item.kind is ItemKind.IMMEDIATE:
            continue  # 即办件 are due the day they are registered: nothing to chase ahead
        if _case_alert(session, runtime, case, today, now):
            report.cases.append(case.number)
    first = today - timedelta(days=policy.look_back_days)
    catch_up(session, runtime.calendar)  # the roll-ups as every committed change left them
    rows = session.execute(select(DailyFigure.department, func.sum(DailyFigure.timed), func.sum(DailyFigure.on_time))
                           .where(DailyFigure.day >= first, DailyFigure.day < today)
                           .group_by(DailyFigure.department).order_by(DailyFigure.department))
    for department, timed, on_time in rows:
        timed, on_time = int(timed or 0), int(on_time or 0)
        share = rate(on_time, timed)
        if timed < max(1, policy.minimum_completed) or share is None or share * 100 >= policy.on_time_threshold:
            continue
        name = runtime.catalogue.department_name(department)
        figures = {"from": first.isoformat(), "to": (today - timedelta(days=1)).isoformat(), "timed": timed,
                   "on_time": on_time, "on_time_rate": share, "threshold": policy.on_time_threshold}
        message = (f"{name}近 {policy.look_back_days} 天按时办结率 {share * 100:.1f}%，"
                   f"低于督办线 {policy.on_time_threshold}%（办结 {timed} 件，按时 {on_time} 件）")
        _alert(session, today, now, DEPARTMENT_ON_TIME, department, None, None, message, figures)
        report.departments.append(name)
    run = session.get(SupervisionRun, today)
    if run is not None:
        run.summary = {"cases": report.cases, "departments": report.departments}
    return report


def _claim_day(session: Session, today: date, now: datetime) -> bool:
    """Record today's run; False when another process recorded it first."""
    values = {"day": today, "ran_at": now, "summary": {}}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result: Any = session.execute(insert(SupervisionRun).values(values).on_conflict_do_nothing())
    return bool(result.rowcount)


def _case_alert(session: Session, runtime: Runtime, case: Case, today: date, now: datetime) -> bool:
    exists = session.scalar(select(func.count()).select_from(TaskRecord).where(
        TaskRecord.case_id == case.id, TaskRecord.element_id == SUPERVISION_ELEMENT))
    if exists:
        return False
    left = working_days_left(case, runtime.calendar, now)
    task = TaskRecord(
        id=str(uuid.uuid4()), case_id=case.id, element_id=SUPERVISION_ELEMENT, name=SUPERVISION_NAME,
        role=Role.LEADER.value, department=case.department, kind=TaskKind.ESCALATION, status=TaskStatus.READY,
        claimed_by=None, created_at=now, due_at=None,
        data={"due_date": case.due_date.isoformat() if case.due_date else None, "working_days_left": left})
    session.add(task)
    message = (f"办件 {case.number}（{case.item_name}）将于 {case.due_date} 到期，剩余 {left} 个工作日，"
               f"请{runtime.catalogue.department_name(case.department)}分管领导督办")
    _alert(session, today, now, CASE_DUE, case.department, case.id, task.id, message,
           {"due_date": case.due_date.isoformat() if case.due_date else None, "working_days_left": left})
    return True


def _alert(session: Session, today: date, now: datetime, kind: str, department: str, case_id: int | None,
           task_id: str | None, message: str, figures: dict[str, Any]) -> None:
    session.add(SupervisionAlert(key=f"{today}:{kind}:{department}:{case_id or '-'}", raised_on=today, kind=kind,
                                 department=department, case_id=case_id, task_id=task_id, message=message,
                                 figures=figures, created_at=now))
    append_event(session, occurred_at=now, actor="system", action="efficiency_supervision", case_id=case_id,
                 element_id=SUPERVISION_ELEMENT,
                 after={"kind": kind, "department": department, "message": message, "task_id": task_id, **figures})


def recent_alerts(session: Session, runtime: Runtime, department: str | None, since: date,
                  limit: int = 50) -> list[dict[str, Any]]:
    """The 督办 raised since ``since`` (of one department, if given), newest first."""
    query = select(SupervisionAlert).where(SupervisionAlert.raised_on >= since)
    if department:
        query = query.where(SupervisionAlert.department == department)
    rows = session.scalars(query.order_by(SupervisionAlert.id.desc()).limit(limit))
    return [{"raised_on": a.raised_on.isoformat(), "kind": a.kind,
             "kind_label": "即将超期" if a.kind == CASE_DUE else "按时办结率低于督办线",
             "department": a.department, "department_name": runtime.catalogue.department_name(a.department),
             "case_id": a.case_id, "message": a.message} for a in rows]
