"""The life of a licence after issue, always through a case.

* 变更 (change of holder name or scope), 延续 (renewal before expiry) and 注销 (cancellation,
  at the holder's request or once the licence has lapsed) are applications the window
  registers about an issued licence; each opens a ``licence_change`` case. Its 制证 issues the
  new certificate, which supersedes the old one in the same transaction (see
  :func:`app.services.certificates.issuing.issue_licence`); an approved 注销 cancels the licence
  at the decision.
* 撤销: a revocation case that ends in 撤销许可 revokes the licences of the case it follows up.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.licences.certificates import CertificateStatus, DocumentKind, LicenceAction
from app.domain.timing.clock import local_date
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.cases.kinds import CaseKind
from app.domain.roles import Role
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.tables.certificates import Certificate, LicenceApplication
from app.persistence.models import Case
from app.persistence.background.push_findings import finding_id, open_finding_case
from app.services.actor import Actor
from app.services.certificates.registry import effective_status
from app.services.certificates.status import change_status
from app.services.runtime import Runtime
from app.services.supervision_push.events import PushContext
from app.services.stepping.opening import Opening, open_case

PROCESS = "licence_change"
MAX_TEXT = 500


def apply_for(session: Session, runtime: Runtime, actor: Actor, number: str, action: object,
              holder: object = None, scope: object = None, reason: object = None) -> Case:
    """Register a 变更 / 延续 / 注销 application about the licence ``number``."""
    actor.require(Role.WINDOW, Role.ADMIN)
    try:
        wanted = LicenceAction(action) if isinstance(action, str) else None
    except ValueError:
        wanted = None
    if wanted is None:
        raise InvalidInput("invalid_licence_action", "申请类型应为 change（变更）、renewal（延续）或 cancellation（注销）",
                           field="action")
    texts = {}
    for name, value in (("holder", holder), ("scope", scope), ("reason", reason)):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise InvalidInput("invalid_field", f"{name} 应为不超过 {MAX_TEXT} 字的文本", field=name)
        texts[name] = value.strip() if isinstance(value, str) and value.strip() else None
    certificate = session.scalar(select(Certificate).where(Certificate.number == number)
                                 .with_for_update()) if isinstance(number, str) else None
    if certificate is None or certificate.kind != DocumentKind.CERTIFICATE.value:
        raise NotFound("certificate_not_found", "证照不存在", number=str(number)[:48])
    status = effective_status(certificate, local_date(runtime.clock.now()))
    if wanted is LicenceAction.CANCELLATION:
        allowed = status in (CertificateStatus.VALID, CertificateStatus.EXPIRED)
    else:
        allowed = status is CertificateStatus.VALID
    if not allowed:
        raise Conflict("licence_not_valid", f"证照 {certificate.number} 当前状态为“{status.label}”，不能申请{wanted.label}",
                       number=certificate.number, status=status.value)
    if wanted is LicenceAction.RENEWAL and certificate.valid_until is None:
        raise Conflict("licence_without_term", f"证照 {certificate.number} 长期有效，无需延续", number=certificate.number)
    if wanted is LicenceAction.CHANGE and not (texts["holder"] or texts["scope"]):
        raise InvalidInput("change_without_content", "变更申请须填写新的持证人名称（holder）或许可范围（scope）",
                           field="holder")
    if runtime.certificate_templates.for_item(certificate.item_code) is None and wanted.issues_new:
        raise Conflict("item_issues_no_certificate", f"事项 {certificate.item_code} 已不再颁发证照，不能{wanted.label}",
                       item_code=certificate.item_code)
    open_finding = open_finding_case(session, certificate.id)
    if open_finding is not None:  # one open case about a licence at a time (the finding's may be 撤销/撤回)
        raise Conflict("finding_pending", f"证照 {certificate.number} 已有办理中的监管发现，不能同时申请{wanted.label}",
                       case_id=open_finding)
    pending = session.scalar(select(LicenceApplication.case_id).join(Case, Case.id == LicenceApplication.case_id)
                             .where(LicenceApplication.certificate_id == certificate.id,
                                    Case.completed_at.is_(None)))
    if pending is not None:
        raise Conflict("licence_application_pending", f"证照 {certificate.number} 已有办理中的变更、延续或注销申请",
                       case_id=pending)
    original = get_case(session, certificate.case_id)
    item = runtime.catalogue.item(certificate.item_code)
    now = runtime.clock.now()
    opening = Opening(
        kind=CaseKind.LICENCE_CHANGE, process_id=PROCESS, item_code=certificate.item_code,
        item_name=f"{certificate.type_name}{wanted.label}", department=certificate.department,
        applicant_name=certificate.holder, applicant=dict(original.applicant), parent_case_id=original.id,
        clock_from=item, registered={"certificate": certificate.number, "licence_action": wanted.value})

    def start_data(case: Case) -> dict[str, Any]:
        session.add(LicenceApplication(case_id=case.id, certificate_id=certificate.id, action=wanted.value,
                                       holder=texts["holder"], scope=texts["scope"], reason=texts["reason"] or ""))
        return {"item_code": certificate.item_code, "licence_action": wanted.value,
                "certificate_number": certificate.number}

    case = open_case(session, runtime, actor.username, opening, start_data, now)
    append_event(session, occurred_at=now, actor=actor.username, action="licence_application_registered",
                 case_id=case.id, after={"certificate": certificate.number, "action": wanted.value,
                                         "holder": texts["holder"], "scope": texts["scope"], "reason": texts["reason"]})
    return case


def cancel_on_decision(session: Session, runtime: Runtime, case: Case, actor: str, opinion: str | None,
                       now: datetime) -> None:
    """An approved 注销 cancels the licence, in the decision's transaction."""
    application = session.get(LicenceApplication, case.id)
    if application is None or application.action != LicenceAction.CANCELLATION.value:
        return
    certificate = session.get(Certificate, application.certificate_id)
    assert certificate is not None
    change_status(session, certificate, CertificateStatus.CANCELLED, actor=actor, now=now, case_id=case.id,
                  reason=f"注销（办件 {case.number}）" + (f"：{application.reason}" if application.reason else ""),
                  push=PushContext(runtime, case, finding_id(session, case.id)))


def revoke_licences(session: Session, runtime: Runtime, case_id: int, *, actor: str, now: datetime,
                    by_case: Case, reason: str, only: int | None = None,
                    target: CertificateStatus = CertificateStatus.REVOKED) -> None:
    """撤销许可 (or 撤回, ``target``): every licence of the case that still stands (or has lapsed)
    is revoked — or only the licence ``only`` (the one a supervisor's finding is about)."""
    statement = select(Certificate).where(
        Certificate.case_id == case_id, Certificate.kind == DocumentKind.CERTIFICATE.value,
        Certificate.status.in_([CertificateStatus.VALID.value, CertificateStatus.EXPIRED.value]))
    if only is not None:
        statement = statement.where(Certificate.id == only)
    push = PushContext(runtime, by_case, finding_id(session, by_case.id))
    for certificate in session.scalars(statement.order_by(Certificate.id)):
        change_status(session, certificate, target, actor=actor, now=now, case_id=by_case.id, reason=reason,
                      push=push)
