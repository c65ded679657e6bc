"""The certificate registry (电子证照库) as staff read it: a case's certificates, one
certificate with its history, a search by number, holder, item, status and date, the PDF.

Who may read a certificate: whoever may read its case (the window, administrators, auditors,
the departments that worked it); designers never (the holder is personal data).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypedDict

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, undefer

from app.domain.licences.certificates import CertificateStatus, DocumentKind
from app.domain.timing.clock import BUREAU_ZONE, local_date
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.persistence.access.users import display_names
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.rows import get_case
from app.persistence.tables.certificates import Certificate, CertificateEvent
from app.persistence.models import Case, TaskRecord
from app.services.actor import SYSTEM, Actor
from app.services.certificates.status import ACTION_LABELS
from app.services.runtime import Runtime

MAX_PAGE_SIZE = 100


def effective_status(certificate: Certificate, today: date) -> CertificateStatus:
    """The status as it stands today: a valid licence past its end date has expired, even
    before the worker has recorded it."""
    status = CertificateStatus(certificate.status)
    if status is CertificateStatus.VALID and certificate.valid_until is not None and certificate.valid_until < today:
        return CertificateStatus.EXPIRED
    return status


def status_since(certificate: Certificate, today: date) -> str:
    """When the current status began: the day after the end of validity for a lapsed licence."""
    if effective_status(certificate, today) is CertificateStatus.EXPIRED and certificate.status == "valid" \
            and certificate.valid_until is not None:
        return (certificate.valid_until + timedelta(days=1)).isoformat()
    return certificate.status_since.isoformat()


class CaseCertificate(TypedDict):
    """A certificate as the case lists it."""

    number: str
    kind: str
    kind_label: str
    item_code: str
    type_name: str
    status: str
    status_label: str
    issued_at: str
    valid_until: str | None
    check_code: str
    delivered: bool


def _case_view(c: Certificate, today: date) -> CaseCertificate:
    status = effective_status(c, today)
    return {"number": c.number, "kind": c.kind, "kind_label": DocumentKind(c.kind).label, "item_code": c.item_code,
            "type_name": c.type_name, "status": status.value, "status_label": status.label,
            "issued_at": c.issued_at.isoformat(), "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "check_code": c.check_code, "delivered": c.delivered_at is not None}


_CERTIFICATES_OF_CASE = (select(Certificate).where(Certificate.case_id == bindparam("b_case"))
                         .order_by(Certificate.id))


def certificates_of_case(session: Session, case_id: int, today: date) -> list[CaseCertificate]:
    rows = session.scalars(_CERTIFICATES_OF_CASE, {"b_case": case_id})
    return [_case_view(c, today) for c in rows]


class HistoryRow(TypedDict):
    occurred_at: str
    actor: str
    #: the actor's name as people read it (the user name when the user is gone; 系统 for jobs)
    actor_name: str
    action: str
    action_label: str
    status_before: str | None
    status_after: str
    status_before_label: str | None
    status_after_label: str
    case_id: int | None
    case_number: str | None
    reason: str


class CertificateDetail(CaseCertificate):
    """One certificate for staff: the licence data, its life, and what replaced what."""

    holder: str
    item_name: str
    department: str
    department_name: str
    scope: str
    fields: list[dict[str, str]]
    issued_on: str
    issued_by: str
    issued_by_name: str
    status_since: str
    case_id: int
    case_number: str
    delivered_at: str | None
    delivery: str | None
    seal_fingerprint: str
    pdf_sha256: str
    supersedes: str | None
    superseded_by: str | None
    history: list[HistoryRow]


def load_readable(session: Session, actor: Actor, number: str, *, with_pdf: bool = False) -> Certificate:
    """The certificate if the actor may read its case; 404 for an unknown number."""
    statement = select(Certificate).where(Certificate.number == number)
    if with_pdf:
        statement = statement.options(undefer(Certificate.pdf))
    certificate = session.scalar(statement) if isinstance(number, str) and len(number) <= 48 else None
    if certificate is None:
        raise NotFound("certificate_not_found", "证照不存在", number=str(number)[:48])
    if actor.sees_process_data_only:
        raise Forbidden("personal_data_not_for_role", "流程设计人员不能查看证照（持证人信息属于个人信息）")
    if actor.sees_all_cases or actor.department == certificate.department:
        return certificate
    if any(t.department == actor.department for t in task_queries.tasks_of_case(session, certificate.case_id)):
        return certificate
    raise Forbidden("certificate_not_visible", "无权查看该证照", number=number)


def certificate_detail(session: Session, runtime: Runtime, actor: Actor, number: str) -> CertificateDetail:
    c = load_readable(session, actor, number)
    today = local_date(runtime.clock.now())
    case = get_case(session, c.case_id)
    events = list(session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == c.id)
                                  .order_by(CertificateEvent.id)))
    case_numbers = _case_numbers(session, {e.case_id for e in events if e.case_id is not None})
    names = display_names(session, {c.issued_by, *(e.actor for e in events)})
    older = session.get(Certificate, c.supersedes_id) if c.supersedes_id else None
    newer = session.scalar(select(Certificate.number).where(Certificate.supersedes_id == c.id))
    return {
        **_case_view(c, today), "holder": c.holder, "item_name": c.item_name, "department": c.department,
        "department_name": runtime.catalogue.department_name(c.department), "scope": c.scope,
        "fields": list(c.fields), "issued_on": c.issued_on.isoformat(), "issued_by": c.issued_by,
        "issued_by_name": _name(names, c.issued_by), "status_since": status_since(c, today),
        "case_id": c.case_id, "case_number": case.number,
        "delivered_at": c.delivered_at.isoformat() if c.delivered_at else None, "delivery": c.delivery,
        "seal_fingerprint": c.seal_fingerprint, "pdf_sha256": c.pdf_sha256,
        "supersedes": older.number if older else None, "superseded_by": newer,
        "history": [{"occurred_at": e.occurred_at.isoformat(), "actor": e.actor,
                     "actor_name": _name(names, e.actor), "action": e.action,
                     "action_label": ACTION_LABELS.get(e.action, e.action), "status_before": e.status_before,
                     "status_after": e.status_after, "status_before_label": _status_label(e.status_before),
                     "status_after_label": _status_label(e.status_after) or e.status_after, "case_id": e.case_id,
                     "case_number": case_numbers.get(e.case_id) if e.case_id is not None else None,
                     "reason": e.reason} for e in events],
    }


def _name(names: dict[str, str], username: str) -> str:
    if username == SYSTEM.username:
        return SYSTEM.display_name
    return names.get(username, username)


def _status_label(status: str | None) -> str | None:
    if status is None:
        return None
    try:
        return CertificateStatus(status).label
    except ValueError:  # a status of a later release: shown as stored
        return status


def _case_numbers(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.number for row in session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))}


def certificate_pdf(session: Session, actor: Actor, number: str) -> tuple[str, bytes]:
    c = load_readable(session, actor, number, with_pdf=True)
    return f"{c.number}.pdf", c.pdf


@dataclass(frozen=True)
class RegistrySearch:
    number: str | None = None
    holder: str | None = None
    item: str | None = None
    status: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    page: int = 1
    page_size: int = 20


class RegistryPage(TypedDict):
    items: list[CaseCertificate]
    total: int
    page: int
    page_size: int


def search_registry(session: Session, runtime: Runtime, actor: Actor, query: RegistrySearch) -> RegistryPage:
    """Certificates the actor may read, newest first, by number, holder, item, status and date."""
    if actor.sees_process_data_only:
        raise Forbidden("personal_data_not_for_role", "流程设计人员不能查看证照（持证人信息属于个人信息）")
    if query.status and query.status not in {s.value for s in CertificateStatus}:
        raise InvalidInput("invalid_status", "状态应为：" + "、".join(s.value for s in CertificateStatus),
                           field="status")
    today = local_date(runtime.clock.now())
    statement = select(Certificate)
    if not actor.sees_all_cases:
        worked = select(TaskRecord.case_id).where(
            TaskRecord.department == actor.department)
        statement = statement.where(or_(Certificate.department == actor.department, Certificate.case_id.in_(worked)))
    if query.number:
        statement = statement.where(Certificate.number.contains(query.number.strip(), autoescape=True))
    if query.holder:
        statement = statement.where(Certificate.holder.contains(query.holder.strip(), autoescape=True))
    if query.item:
        term = query.item.strip()
        statement = statement.where(or_(Certificate.item_code == term,
                                        Certificate.item_name.contains(term, autoescape=True),
                                        Certificate.type_name.contains(term, autoescape=True)))
    if query.status == CertificateStatus.EXPIRED.value:
        statement = statement.where(or_(Certificate.status == "expired",
                                        (Certificate.status == "valid") & (Certificate.valid_until < today)))
    elif query.status == CertificateStatus.VALID.value:
        statement = statement.where(Certificate.status == "valid",
                                    or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today))
    elif query.status:
        statement = statement.where(Certificate.status == query.status)
    if query.issued_from:
        statement = statement.where(Certificate.issued_at >= _start_of(query.issued_from))
    if query.issued_to:
        statement = statement.where(Certificate.issued_at < _start_of(query.issued_to + timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
                           .offset((query.page - 1) * query.page_size).limit(query.page_size))
    return {"items": [_case_view(c, today) for c in rows], "total": int(total), "page": query.page,
            "page_size": query.page_size}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUREAU_ZONE)
