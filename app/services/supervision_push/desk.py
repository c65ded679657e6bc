"""The supervision desk (监管推送工作台): per department, the events pushed and where they stand,
the findings received and where they stand, and the 告知承诺 post-checks due; the lists behind
those figures; and an administrator's redelivery of a failed delivery.

Administrators and the bureau's leaders see every department; a supervision department's staff
see their own department only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult
from app.domain.timing.clock import local_date
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.roles import Role
from app.domain.licences.supervision_push import DeliveryState, EventType, FindingAction, FindingState
from app.persistence.audit.chain import append_event
from app.persistence.models import Case
from app.persistence.tables.push import (
    DeliveryAttempt,
    SupervisionDelivery,
    SupervisionEndpoint,
    SupervisionEvent,
    SupervisionFinding,
)
from app.persistence.background.push_queue import redeliver as queue_redeliver
from app.services.actor import Actor
from app.services.runtime import Runtime

DESK_ROLES = (Role.ADMIN, Role.LEADER, Role.SUPERVISOR)
MAX_PAGE = 100


def scope_of(actor: Actor, department: str | None) -> str | None:
    """The department the actor may look at (None: all)."""
    actor.require(*DESK_ROLES)
    if actor.role is Role.SUPERVISOR:
        if department not in (None, "", actor.department):
            raise Forbidden("department_not_visible", "监管人员只能查看本部门的推送和监管发现")
        return actor.department
    return department or None


class DepartmentFigures(TypedDict):
    department: str
    department_name: str
    endpoint: str | None
    pushed: int
    delivered: int
    pending: int
    failed: int
    findings: int
    findings_open: int
    findings_resolved: int
    findings_overdue: int
    checks_due: int
    checks_overdue: int


def _blank(runtime: Runtime, department: str, endpoint: str | None) -> DepartmentFigures:
    return {"department": department, "department_name": runtime.catalogue.department_name(department),
            "endpoint": endpoint, "pushed": 0, "delivered": 0, "pending": 0, "failed": 0, "findings": 0,
            "findings_open": 0, "findings_resolved": 0, "findings_overdue": 0, "checks_due": 0, "checks_overdue": 0}


def figures(session: Session, runtime: Runtime, actor: Actor, department: str | None = None) -> list[DepartmentFigures]:
    scope = scope_of(actor, department)
    today = local_date(runtime.clock.now())
    endpoints = {row.department: row.url
                 for row in session.execute(select(SupervisionEndpoint.department, SupervisionEndpoint.url))}
    supervisors = {item.supervisor for item in runtime.catalogue.items.values()}
    rows: dict[str, DepartmentFigures] = {}

    def row(code: str) -> DepartmentFigures:
        if code not in rows:
            rows[code] = _blank(runtime, code, endpoints.get(code))
        return rows[code]
    for code in sorted(supervisors | set(endpoints)):
        if scope is None or code == scope:
            row(code)
    deliveries = select(SupervisionDelivery.department, SupervisionDelivery.state, func.count()) \
        .group_by(SupervisionDelivery.department, SupervisionDelivery.state)
    if scope is not None:
        deliveries = deliveries.where(SupervisionDelivery.department == scope)
    for code, state, count in session.execute(deliveries):
        figure = row(code)
        figure["pushed"] += count
        figure[state] += count  # type: ignore[literal-required]  # a DeliveryState value: the figure's key
    overdue_case = case((and_(Case.due_date < today, SupervisionFinding.state == FindingState.OPEN.value), 1),
                        else_=0)
    found = select(SupervisionFinding.department, SupervisionFinding.state, func.sum(overdue_case), func.count()) \
        .join(Case, Case.id == SupervisionFinding.case_id) \
        .group_by(SupervisionFinding.department, SupervisionFinding.state)
    if scope is not None:
        found = found.where(SupervisionFinding.department == scope)
    for code, state, overdue, count in session.execute(found):
        figure = row(code)
        figure["findings"] += count
        figure["findings_open" if state == FindingState.OPEN.value else "findings_resolved"] += count
        figure["findings_overdue"] += int(overdue or 0)
    checks = select(SupervisionDelivery.department, SupervisionEvent.body) \
        .join(SupervisionEvent, SupervisionEvent.id == SupervisionDelivery.event_id) \
        .where(SupervisionEvent.type == EventType.CHECK_DUE.value)
    if scope is not None:
        checks = checks.where(SupervisionDelivery.department == scope)
    for code, body in session.execute(checks):
        due = _check_date(body)
        if due is not None:
            row(code)["checks_overdue" if due < today else "checks_due"] += 1
    return [rows[code] for code in sorted(rows)]


def _check_date(body: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(body["check"]["due_date"])
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class EventQuery:
    department: str | None = None
    state: str | None = None
    type: str | None = None
    licence: str | None = None
    page: int = 1
    page_size: int = 20


class DeliveryView(TypedDict):
    id: int
    event_id: str
    type: str
    type_label: str
    department: str
    department_name: str
    licence_number: str
    case_number: str | None
    occurred_at: str
    state: str
    state_label: str
    attempts: int
    last_error: str | None
    delivered_at: str | None
    next_attempt_at: str | None


def deliveries(session: Session, runtime: Runtime, actor: Actor, query: EventQuery) -> dict[str, Any]:
    scope = scope_of(actor, query.department)
    if query.state is not None and query.state not in {s.value for s in DeliveryState}:
        raise InvalidInput("invalid_state", "state 应为 pending、delivered 或 failed", field="state")
    if query.type is not None and query.type not in {t.value for t in EventType}:
        raise InvalidInput("invalid_event_type", "type 不是已知的事件类型", field="type")
    where = []
    if scope is not None:
        where.append(SupervisionDelivery.department == scope)
    if query.state:
        where.append(SupervisionDelivery.state == query.state)
    if query.type:
        where.append(SupervisionEvent.type == query.type)
    if query.licence:
        where.append(SupervisionEvent.licence_number == query.licence)
    base = select(SupervisionDelivery, SupervisionEvent).join(
        SupervisionEvent, SupervisionEvent.id == SupervisionDelivery.event_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    size = max(1, min(query.page_size, MAX_PAGE))
    found = session.execute(base.order_by(SupervisionDelivery.id.desc())
                            .offset((max(query.page, 1) - 1) * size).limit(size)).all()
    numbers = _case_numbers(session, {e.case_id for _d, e in found if e.case_id is not None})
    views: list[DeliveryView] = []
    for delivery, event in found:
        state = DeliveryState(delivery.state)
        views.append({
            "id": delivery.id, "event_id": event.id, "type": event.type, "type_label": EventType(event.type).label,
            "department": delivery.department, "department_name": runtime.catalogue.department_name(delivery.department),
            "licence_number": event.licence_number, "case_number": numbers.get(event.case_id or 0),
            "occurred_at": event.occurred_at.isoformat(), "state": state.value, "state_label": state.label,
            "attempts": delivery.attempts, "last_error": delivery.last_error,
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "next_attempt_at": delivery.available_at.isoformat() if state is DeliveryState.PENDING else None})
    return {"deliveries": views, "total": total}


def _case_numbers(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.number for row in session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))}


def delivery_detail(session: Session, runtime: Runtime, actor: Actor, delivery_id: int) -> dict[str, Any]:
    delivery = session.get(SupervisionDelivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery_not_found", "推送记录不存在", delivery_id=delivery_id)
    scope = scope_of(actor, None)
    if scope is not None and delivery.department != scope:
        raise NotFound("delivery_not_found", "推送记录不存在", delivery_id=delivery_id)
    event = session.get_one(SupervisionEvent, delivery.event_id)
    attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
                               .order_by(DeliveryAttempt.id))
    state = DeliveryState(delivery.state)
    return {"id": delivery.id, "department": delivery.department, "state": state.value, "state_label": state.label,
            "event": event.body,
            "attempts": [{"number": a.number, "attempted_at": a.attempted_at.isoformat(), "status_code": a.status_code,
                          "error": a.error, "duration_ms": a.duration_ms, "by": a.by} for a in attempts]}


def redeliver(session: Session, runtime: Runtime, actor: Actor, delivery_id: int) -> dict[str, Any]:
    """An administrator sends a failed delivery again (the incident stays open until it succeeds)."""
    actor.require(Role.ADMIN)
    delivery = session.get(SupervisionDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound("delivery_not_found", "推送记录不存在", delivery_id=delivery_id)
    now = runtime.clock.now()
    if not queue_redeliver(session, delivery_id, now):
        raise Conflict("delivery_not_failed", f"推送记录当前状态为“{DeliveryState(delivery.state).label}”，只有投递失败的记录可以重新投递",
                       state=delivery.state)
    append_event(session, occurred_at=now, actor=actor.username, action="supervision_redelivered",
                 after={"delivery_id": delivery_id, "department": delivery.department, "event_id": delivery.event_id})
    return {"id": delivery_id, "state": DeliveryState.PENDING.value, "state_label": DeliveryState.PENDING.label}


class FindingView(TypedDict):
    id: str
    department: str
    department_name: str
    licence_number: str
    action: str
    action_label: str
    reason: str
    evidence: list[Any]
    received_at: str
    received_by: str
    case_id: int
    case_number: str
    due_date: str | None
    overdue: bool
    state: str
    state_label: str
    outcome: str | None
    outcome_label: str | None
    resolved_at: str | None


def finding_view(runtime: Runtime, finding: SupervisionFinding, case: Case, today: date) -> FindingView:
    state = FindingState(finding.state)
    outcome = CaseResult(finding.outcome) if finding.outcome else None
    return {"id": finding.id, "department": finding.department,
            "department_name": runtime.catalogue.department_name(finding.department),
            "licence_number": finding.licence_number, "action": finding.action,
            "action_label": FindingAction(finding.action).label, "reason": finding.reason,
            "evidence": list(finding.evidence or []), "received_at": finding.received_at.isoformat(),
            "received_by": finding.received_by, "case_id": case.id, "case_number": case.number,
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "overdue": state is FindingState.OPEN and case.due_date is not None and case.due_date < today,
            "state": state.value, "state_label": state.label, "outcome": finding.outcome,
            "outcome_label": outcome.label if outcome else None,
            "resolved_at": finding.resolved_at.isoformat() if finding.resolved_at else None}


def findings(session: Session, runtime: Runtime, actor: Actor, *, department: str | None = None,
             state: str | None = None, page: int = 1, page_size: int = 20) -> dict[str, Any]:
    scope = scope_of(actor, department)
    if state is not None and state not in {s.value for s in FindingState}:
        raise InvalidInput("invalid_state", "state 应为 open 或 resolved", field="state")
    where = []
    if scope is not None:
        where.append(SupervisionFinding.department == scope)
    if state:
        where.append(SupervisionFinding.state == state)
    base = select(SupervisionFinding, Case).join(Case, Case.id == SupervisionFinding.case_id).where(*where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    size = max(1, min(page_size, MAX_PAGE))
    today = local_date(runtime.clock.now())
    found = session.execute(base.order_by(SupervisionFinding.received_at.desc(), SupervisionFinding.id)
                            .offset((max(page, 1) - 1) * size).limit(size)).all()
    return {"findings": [finding_view(runtime, f, row_case, today) for f, row_case in found], "total": total}


def finding_of_case_view(session: Session, runtime: Runtime, case: Case, now: datetime) -> FindingView | None:
    """The finding that opened this case, for its case and task pages."""
    finding = session.scalar(select(SupervisionFinding).where(SupervisionFinding.case_id == case.id))
    return finding_view(runtime, finding, case, local_date(now)) if finding is not None else None
