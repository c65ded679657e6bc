"""The events the bureau pushes to the supervising departments, written in the transaction of the
change each reports (a licence issued, refused, changed, renewed, withdrawn, revoked or
cancelled; a 告知承诺 post-check now due; a finding answered).

Who receives an event: the item's supervising department (监管部门, from the catalogue), and
every department whose endpoint subscribes to the item besides. The supervising department
always gets its delivery, endpoint or not: it waits, pending, until an administrator sets the
endpoint — nothing is lost because a department was not yet connected.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult
from app.domain.licences.certificates import CertificateStatus, DocumentKind
from app.domain.timing.clock import local_date
from app.domain.errors import NotFound
from app.domain.licences.supervision_push import EventType
from app.persistence.tables.certificates import Certificate, LicenceApplication
from app.persistence.engine.commit_hooks import after_commit
from app.persistence.models import Case, TaskRecord
from app.persistence.tables.push import SupervisionEndpoint, SupervisionEvent, SupervisionFinding
from app.persistence.background.push_queue import add_event
from app.services.runtime import Runtime

log = logging.getLogger(__name__)

#: a licence's status after a case moved it → the event that reports the move
STATUS_EVENTS = {CertificateStatus.WITHDRAWN: EventType.WITHDRAWN, CertificateStatus.REVOKED: EventType.REVOKED,
                 CertificateStatus.CANCELLED: EventType.CANCELLED}


@dataclass(frozen=True)
class PushContext:
    """What a change to the registry needs to push its event: the runtime (catalogue, waiters)
    and the case that made the change (and the finding it answers, if any)."""

    runtime: Runtime
    case: Case
    finding_id: str | None = None


def supervisor_of(runtime: Runtime, item_code: str, fallback: str) -> str:
    try:
        return runtime.catalogue.item(item_code).supervisor
    except (KeyError, NotFound):  # an item since removed from the catalogue: its department
        return fallback


def recipients(session: Session, runtime: Runtime, item_code: str, fallback: str) -> list[str]:
    """The supervising department first, then the departments subscribed to the item."""
    found = [supervisor_of(runtime, item_code, fallback)]
    for department, items in session.execute(select(SupervisionEndpoint.department, SupervisionEndpoint.items)):
        if item_code in (items or ()) and department not in found:
            found.append(department)
    return found


def licence_block(certificate: Certificate, today: date) -> dict[str, Any]:
    status = CertificateStatus(certificate.status)
    if status is CertificateStatus.VALID and certificate.valid_until is not None and certificate.valid_until < today:
        status = CertificateStatus.EXPIRED
    return {"number": certificate.number, "kind": certificate.kind, "type": certificate.type_name,
            "item_code": certificate.item_code, "item_name": certificate.item_name, "holder": certificate.holder,
            "scope": certificate.scope, "status": status.value, "status_label": status.label,
            "issued_on": certificate.issued_on.isoformat(),
            "valid_until": certificate.valid_until.isoformat() if certificate.valid_until else None}


def case_block(session: Session, runtime: Runtime, case: Case, now: datetime) -> dict[str, Any]:
    decided_at = session.scalar(select(TaskRecord.completed_at).where(
        TaskRecord.case_id == case.id, TaskRecord.decision.is_not(None), TaskRecord.completed_at.is_not(None))
        .order_by(TaskRecord.completed_at.desc()).limit(1)) or now
    result = CaseResult(case.result) if case.result else None
    return {"number": case.number, "decision": result.value if result else None,
            "decision_label": result.label if result else None, "decided_at": decided_at.isoformat(),
            "department": case.department, "department_name": runtime.catalogue.department_name(case.department)}


def _write(session: Session, runtime: Runtime, type: EventType, certificate: Certificate, case: Case,
           now: datetime, *, departments: list[str] | None = None, extra: dict[str, Any] | None = None,
           finding_id: str | None = None) -> SupervisionEvent:
    body: dict[str, Any] = {"type": type.value, "occurred_at": now.isoformat(),
                            "licence": licence_block(certificate, local_date(now)),
                            "case": case_block(session, runtime, case, now), **(extra or {})}
    event = add_event(session, type=type.value, occurred_at=now, licence_number=certificate.number,
                      item_code=certificate.item_code, case_id=case.id, body=body, finding_id=finding_id,
                      departments=departments or recipients(session, runtime, certificate.item_code,
                                                            certificate.department),
                      order_key=_first_of_line(session, certificate))
    _wake_after_commit(session, runtime)
    return event


def _first_of_line(session: Session, certificate: Certificate) -> str:
    """The number the licence was first issued under: a change or renewal supersedes it with a new
    number, and its events must still wait for those of the old one."""
    number, supersedes = certificate.number, certificate.supersedes_id
    seen: set[int] = set()
    while supersedes is not None and supersedes not in seen:
        seen.add(supersedes)
        row = session.execute(select(Certificate.number, Certificate.supersedes_id)
                              .where(Certificate.id == supersedes)).one_or_none()
        if row is None:
            break
        number, supersedes = row.number, row.supersedes_id
    return number


def _wake_after_commit(session: Session, runtime: Runtime) -> None:
    """Once per transaction: after it commits, tell the runners there is something to deliver."""
    transaction = session.get_transaction()
    if not runtime.push_waiters or session.info.get(_WAKE_KEY) is transaction:
        return
    session.info[_WAKE_KEY] = transaction

    def wake() -> None:
        for waiter in runtime.push_waiters:
            try:
                waiter()
            except Exception:  # the worker's scan finds the deliveries anyway
                log.warning("could not wake the push runner", exc_info=True)
    after_commit(session, wake)


_WAKE_KEY = "oneseal_push_wake"


def after_issued(session: Session, runtime: Runtime, certificate: Certificate, case: Case, now: datetime) -> None:
    """A licence or a refusal letter entered the registry: granted, changed, renewed or refused;
    a 告知承诺 licence also tells the supervisor its post-approval check is due."""
    if certificate.kind == DocumentKind.REFUSAL.value:
        _write(session, runtime, EventType.REFUSED, certificate, case, now)
        return
    kind = EventType.GRANTED
    if certificate.supersedes_id is not None:
        application = session.get(LicenceApplication, case.id)
        kind = EventType.RENEWED if application is not None and application.action == "renewal" else EventType.CHANGED
    extra = {"supersedes": _number_of(session, certificate.supersedes_id)} if certificate.supersedes_id else None
    _write(session, runtime, kind, certificate, case, now, extra=extra)
    if kind is EventType.GRANTED:
        _check_due(session, runtime, certificate, case, now)


def _check_due(session: Session, runtime: Runtime, certificate: Certificate, case: Case, now: datetime) -> None:
    try:
        item = runtime.catalogue.item(certificate.item_code)
    except (KeyError, NotFound):
        return
    if item.commitment is None:
        return
    due = case.due_date or runtime.calendar.add_working_days(local_date(now), item.commitment.verification_limit).date
    _write(session, runtime, EventType.CHECK_DUE, certificate, case, now,
           extra={"check": {"working_days": item.commitment.verification_limit, "due_date": due.isoformat(),
                            "basis": "告知承诺制：当场准予，监管部门在期限内完成事后核查"}})


def _number_of(session: Session, certificate_id: int | None) -> str | None:
    if certificate_id is None:
        return None
    return session.scalar(select(Certificate.number).where(Certificate.id == certificate_id))


def after_status_change(session: Session, runtime: Runtime, certificate: Certificate, target: CertificateStatus,
                        case: Case, now: datetime, finding_id: str | None = None) -> None:
    """A case withdrew, revoked or cancelled a licence (superseding and expiry push nothing:
    the new licence's own event, or the date, says it)."""
    kind = STATUS_EVENTS.get(target)
    if kind is not None:
        _write(session, runtime, kind, certificate, case, now, finding_id=finding_id)


def finding_resolved(session: Session, runtime: Runtime, finding: SupervisionFinding, certificate: Certificate,
                     case: Case, now: datetime) -> None:
    """The answer to a finding, to the department that raised it."""
    result = CaseResult(case.result) if case.result else None
    _write(session, runtime, EventType.FINDING_RESOLVED, certificate, case, now, departments=[finding.department],
           finding_id=finding.id,
           extra={"finding": {"id": finding.id, "action": finding.action, "outcome": finding.outcome,
                              "outcome_label": result.label if result else None,
                              "received_at": finding.received_at.isoformat()}})

