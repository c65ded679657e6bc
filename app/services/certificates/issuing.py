"""Issuing under the seal: the licence at 制证 (or on the spot), the signed refusal letter at
不予许可, and delivery at 出件 — what a completed step's ``certificate`` property asks for.

Everything happens in the step's transaction: if rendering or signing fails the step is rolled
back, so no case is marked issued without its signed certificate. (Signing takes some 50 ms; a
background job may later call :func:`issue_licence` with the same arguments.)
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.layout import DocumentContent, render
from app.documents.signing import sign_pdf
from app.domain.licences.certificates import CertificateStatus, DocumentKind, add_years, new_check_code
from app.domain.timing.clock import local_date
from app.domain.cases.kinds import CaseKind
from app.persistence.cases.items import case_item
from app.persistence.tables.certificates import Certificate, LicenceApplication
from app.persistence.models import Case, TaskRecord
from app.services.certificates.content import licence_document, licence_rows, refusal_document
from app.services.certificates.lifecycle import cancel_on_decision
from app.services.certificates.numbering import next_number
from app.services.certificates.seals import record_seal_use
from app.services.certificates.status import change_status, record_delivered, record_issued
from app.services.runtime import Runtime
from app.services.supervision_push.events import PushContext
from app.workflow.task_metadata import HumanTaskSpec

DEFAULT_DELIVERY = "窗口领取"


def after_step(session: Session, runtime: Runtime, actor: str, case: Case, task: TaskRecord,
               spec: HumanTaskSpec, decision: str | None, data: dict[str, Any], opinion: str | None,
               now: datetime) -> list[Certificate]:
    """Do what the completed task's ``certificate`` property says for this decision."""
    action = spec.certificate.get(decision or "") or spec.certificate.get("")
    if action is None:
        return []
    if action == "deliver":
        return deliver_case(session, case, actor, data.get("delivery") or DEFAULT_DELIVERY, now)
    if action == "cancel":
        cancel_on_decision(session, runtime, case, actor, opinion, now)
        return []
    item_code = task.item_code or (case.item_code if case.kind in (CaseKind.ITEM, CaseKind.LICENCE_CHANGE)
                                   else None)
    if item_code is None:
        return []
    if action == "issue":
        issued = issue_licence(session, runtime, actor, case, item_code, data.get("scope"), now)
        return [issued] if issued is not None else []
    return [issue_refusal(session, runtime, actor, case, item_code, opinion or "", now)]


def issue_licence(session: Session, runtime: Runtime, actor: str, case: Case, item_code: str,
                  scope: str | None, now: datetime) -> Certificate | None:
    """The signed licence of ``item_code`` for the case; None when the item issues none."""
    template = runtime.certificate_templates.for_item(item_code)
    if template is None:
        return None
    item = runtime.catalogue.item(item_code)
    application = session.get(LicenceApplication, case.id) if case.kind == CaseKind.LICENCE_CHANGE else None
    old = session.get(Certificate, application.certificate_id) if application is not None else None
    holder = (application.holder if application and application.holder else None) or \
        (old.holder if old is not None else case.applicant_name)
    scope_text = (scope or "").strip() or (application.scope if application and application.scope else "") or \
        (old.scope if old is not None else "") or template.default_scope
    issued_on = local_date(now)
    valid_until = None
    if template.validity_years is not None:
        start = issued_on
        if old is not None and application is not None and application.action == "renewal" and old.valid_until:
            start = max(issued_on, old.valid_until + timedelta(days=1))  # 延续: the new term follows the old
        valid_until = add_years(start, template.validity_years)
        if old is not None and application is not None and application.action == "change":
            valid_until = old.valid_until  # 变更 keeps the term
    rows = licence_rows(template, case, runtime.catalogue, holder=holder, scope=scope_text,
                        department=item.department)
    number = next_number(session, issued_on.year, item_code, DocumentKind.CERTIFICATE)
    check_code = new_check_code()
    content = licence_document(template, number=number, check_code=check_code, holder=holder,
                               item_name=item.name, issued_on=issued_on, valid_until=valid_until, rows=rows,
                               bureau_name=runtime.catalogue.bureau_name, public_url=runtime.settings.public_url)
    certificate = _store(session, runtime, actor, case, content, DocumentKind.CERTIFICATE, item_code,
                         item.name, template.type_name, item.department, scope_text, rows, now,
                         supersedes=old)
    if old is not None:
        change_status(session, old, CertificateStatus.SUPERSEDED, actor=actor, now=now, case_id=case.id,
                      reason=f"{'变更' if application and application.action == 'change' else '延续'}后由 {number} 替换")
    return certificate


def issue_refusal(session: Session, runtime: Runtime, actor: str, case: Case, item_code: str, reason: str,
                  now: datetime) -> Certificate:
    """The signed 不予行政许可决定书 with the decision's reasons."""
    item = runtime.catalogue.item(item_code)
    issued_on = local_date(now)
    number = next_number(session, issued_on.year, item_code, DocumentKind.REFUSAL)
    check_code = new_check_code()
    content = refusal_document(case, number=number, check_code=check_code, holder=case.applicant_name,
                               item_name=item.name, issued_on=issued_on, reason=reason.strip() or "不符合法定条件",
                               bureau_name=runtime.catalogue.bureau_name, public_url=runtime.settings.public_url)
    return _store(session, runtime, actor, case, content, DocumentKind.REFUSAL, item_code, item.name,
                  DocumentKind.REFUSAL.label, item.department, "", [{"label": "不予许可理由", "value": reason}],
                  now, supersedes=None)


def _store(session: Session, runtime: Runtime, actor: str, case: Case, content: DocumentContent,
           kind: DocumentKind, item_code: str, item_name: str, type_name: str, department: str, scope: str,
           rows: list[dict[str, str]], now: datetime, *, supersedes: Certificate | None) -> Certificate:
    seal = runtime.seals.current()
    signed = sign_pdf(render(content), seal, reason=f"{type_name} {content.number}",
                      location=runtime.catalogue.bureau_name, tsa_url=runtime.settings.tsa_url)
    record_seal_use(session, seal, now)
    certificate = Certificate(
        number=content.number, check_code=content.check_code, kind=kind.value, case_id=case.id,
        item_code=item_code, item_name=item_name, type_name=type_name, holder=content.holder,
        department=department, scope=scope, fields=rows, issued_at=now, issued_on=content.issued_on,
        valid_until=content.valid_until, issued_by=actor, status=CertificateStatus.VALID.value, status_since=now,
        supersedes_id=supersedes.id if supersedes is not None else None, seal_fingerprint=seal.info.fingerprint,
        pdf=signed, pdf_sha256=hashlib.sha256(signed).hexdigest())
    session.add(certificate)
    session.flush()
    record_issued(session, certificate, actor, now, PushContext(runtime, case))
    if kind is DocumentKind.CERTIFICATE and case.kind in (CaseKind.BUNDLE, CaseKind.PROJECT):
        row = case_item(session, case.id, item_code)
        if row is not None:
            row.certificate_no = certificate.number
    return certificate


def deliver_case(session: Session, case: Case, actor: str, delivery: str, now: datetime) -> list[Certificate]:
    """出件: every certificate and letter of the case not yet delivered, delivered now."""
    pending = list(session.scalars(select(Certificate).where(Certificate.case_id == case.id,
                                                             Certificate.delivered_at.is_(None))
                                   .order_by(Certificate.id)))
    for certificate in pending:
        certificate.delivered_at, certificate.delivery = now, delivery
        session.flush()
        record_delivered(session, certificate, actor, now, case.id)
    return pending
