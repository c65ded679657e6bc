"""Findings pushed back by the supervising departments (监管发现): a licence to change, withdraw,
revoke or cancel (变更/撤回/撤销/注销).

A finding opens a case at the bureau in the same transaction: 变更 and 注销 run the
``licence_change`` process (as if the holder had applied, the finding as the reason), 撤回 and
撤销 the ``supervision_finding`` process (撤销 after the holder is told of the right to a
hearing). When that case ends, the finding is resolved and its answer pushed back to the
department as ``finding.resolved``, with the licence's status then.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.licences.certificates import CertificateStatus, DocumentKind
from app.domain.timing.clock import local_date
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.cases.kinds import CaseKind
from app.domain.roles import Role
from app.domain.licences.supervision_push import FindingAction, FindingState
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.tables.certificates import Certificate, LicenceApplication
from app.persistence.models import Case
from app.persistence.background.push_findings import finding_of_case, open_finding_case
from app.persistence.tables.push import SupervisionFinding
from app.services.actor import Actor
from app.services.certificates.registry import effective_status
from app.services.runtime import Runtime
from app.services.stepping.opening import Opening, open_case
from app.services.supervision_push import events

MAX_REASON = 2000
MAX_EVIDENCE = 20
MAX_EVIDENCE_NAME = 100
MAX_EVIDENCE_TEXT = 1000
MAX_CHANGE_TEXT = 500
FIELDS = {"licence_number", "action", "reason", "evidence", "changes"}
#: what the licence must be for each action: 注销 and 撤销 also reach a lapsed licence
ALLOWED_STATUS = {
    FindingAction.CHANGE: {CertificateStatus.VALID}, FindingAction.WITHDRAW: {CertificateStatus.VALID},
    FindingAction.REVOKE: {CertificateStatus.VALID, CertificateStatus.EXPIRED},
    FindingAction.CANCEL: {CertificateStatus.VALID, CertificateStatus.EXPIRED},
}
#: the process a finding's case runs, and the licence action a licence_change case records
FINDING_PROCESS = "supervision_finding"
_CHANGE_ACTIONS = {FindingAction.CHANGE: "change", FindingAction.CANCEL: "cancellation"}


class FindingReceipt(TypedDict):
    id: str
    case_id: int
    case_number: str


def _text(body: dict[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("field_required" if value in (None, "") else "invalid_field",
                           f"{_FIELD_LABELS.get(name, name)}不能为空，应为文字", field=name)
    if len(value) > limit:
        raise InvalidInput("invalid_field", f"{_FIELD_LABELS.get(name, name)}不能超过 {limit} 个字", field=name)
    return value.strip()


_FIELD_LABELS = {"licence_number": "证照编号", "action": "处理类型", "reason": "理由", "evidence": "证据",
                 "name": "证据名称", "description": "证据说明", "holder": "新的持证人名称", "scope": "新的许可范围"}


def _evidence(value: object) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_EVIDENCE:
        raise InvalidInput("invalid_evidence", f"证据（evidence）应为不超过 {MAX_EVIDENCE} 项的列表", field="evidence")
    found = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) - {"name", "description"}:
            raise InvalidInput("invalid_evidence", f"第 {index + 1} 项证据应为 {{\"name\", \"description\"}}",
                               field="evidence", index=index)
        name = _text(entry, "name", MAX_EVIDENCE_NAME, required=True)
        description = _text(entry, "description", MAX_EVIDENCE_TEXT, required=False) or ""
        found.append({"name": name or "", "description": description})
    return found


def _changes(value: object, action: FindingAction) -> dict[str, str | None]:
    if value is None:
        return {"holder": None, "scope": None}
    if action is not FindingAction.CHANGE:
        raise InvalidInput("changes_not_allowed", "只有变更（change）可以填写变更内容（changes）", field="changes")
    if not isinstance(value, dict) or set(value) - {"holder", "scope"}:
        raise InvalidInput("invalid_changes", "变更内容（changes）应为 {\"holder\", \"scope\"}", field="changes")
    return {name: _text(value, name, MAX_CHANGE_TEXT, required=False) for name in ("holder", "scope")}


def post_finding(session: Session, runtime: Runtime, actor: Actor, body: dict[str, Any]) -> FindingReceipt:
    """Record the finding and open its case; the caller commits."""
    actor.require(Role.SUPERVISOR)
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidInput("unknown_field", f"不认识的字段：{'、'.join(unknown)[:200]}", field=unknown[0][:64])
    number = _text(body, "licence_number", 48, required=True) or ""
    raw_action = body.get("action")
    try:
        action = FindingAction(raw_action) if isinstance(raw_action, str) else None
    except ValueError:
        action = None
    if action is None:
        raise InvalidInput("invalid_finding_action",
                           "处理类型（action）应为 change（变更）、withdraw（撤回）、revoke（撤销）或 cancel（注销）",
                           field="action")
    reason = _text(body, "reason", MAX_REASON, required=True) or ""
    evidence = _evidence(body.get("evidence"))
    changes = _changes(body.get("changes"), action)

    certificate = session.scalar(select(Certificate).where(Certificate.number == number).with_for_update())
    if certificate is None or certificate.kind != DocumentKind.CERTIFICATE.value:
        raise NotFound("licence_not_found", f"证照 {number} 不存在", licence_number=number)
    supervisor = events.supervisor_of(runtime, certificate.item_code, certificate.department)
    if actor.department != supervisor:
        raise Forbidden("licence_not_supervised",
                        f"证照 {number} 由{runtime.catalogue.department_name(supervisor)}监管，"
                        f"{runtime.catalogue.department_name(actor.department)}不能对其提交监管发现",
                        licence_number=number, supervisor=supervisor)
    now = runtime.clock.now()
    status = effective_status(certificate, local_date(now))
    if status not in ALLOWED_STATUS[action]:
        raise Conflict("licence_not_in_force", f"证照 {number} 当前状态为“{status.label}”，不能{action.label}",
                       licence_number=number, status=status.value)
    _ensure_nothing_pending(session, certificate)

    finding = SupervisionFinding(
        id=str(uuid.uuid4()), department=supervisor, licence_number=number, certificate_id=certificate.id,
        action=action.value, reason=reason, evidence=evidence, received_at=now, received_by=actor.username,
        case_id=0, state=FindingState.OPEN.value, resolved_at=None, outcome=None)
    case = _open_case(session, runtime, actor, certificate, finding, changes, now)
    finding.case_id = case.id
    session.add(finding)
    session.flush()
    append_event(session, occurred_at=now, actor=actor.username, action="supervision_finding_received",
                 case_id=case.id, after={"finding_id": finding.id, "department": supervisor, "licence": number,
                                         "action": action.value, "reason": reason, "evidence": evidence})
    return {"id": finding.id, "case_id": case.id, "case_number": case.number}


def _ensure_nothing_pending(session: Session, certificate: Certificate) -> None:
    """One open case about a licence at a time: a finding's, or a holder's 变更/延续/注销."""
    open_finding = open_finding_case(session, certificate.id)
    if open_finding is not None:
        raise Conflict("finding_pending", f"证照 {certificate.number} 已有办理中的监管发现", case_id=open_finding)
    pending = session.scalar(select(LicenceApplication.case_id).join(Case, Case.id == LicenceApplication.case_id)
                             .where(LicenceApplication.certificate_id == certificate.id, Case.completed_at.is_(None)))
    if pending is not None:
        raise Conflict("licence_application_pending", f"证照 {certificate.number} 已有办理中的变更、延续或注销申请",
                       case_id=pending)
    revoking = session.scalar(select(Case.id).where(Case.parent_case_id == certificate.case_id,
                                                    Case.kind == CaseKind.REVOCATION.value,
                                                    Case.completed_at.is_(None)))
    if revoking is not None:  # the bureau's own 撤销 (事后核查 found the commitment untrue) is under way
        raise Conflict("revocation_pending", f"证照 {certificate.number} 所属办件已在撤销程序中，请待其办结",
                       case_id=revoking)


def _open_case(session: Session, runtime: Runtime, actor: Actor, certificate: Certificate,
               finding: SupervisionFinding, changes: dict[str, str | None], now: datetime) -> Case:
    action = FindingAction(finding.action)
    original = get_case(session, certificate.case_id)
    registered = {"certificate": certificate.number, "finding_id": finding.id, "finding_action": action.value,
                  "supervisor": finding.department}
    item_name = f"{certificate.type_name}{action.label}（监管发现）"
    clock_from = runtime.catalogue.find(certificate.item_code)
    if action in _CHANGE_ACTIONS:
        opening = Opening(kind=CaseKind.LICENCE_CHANGE, process_id="licence_change", item_code=certificate.item_code,
                          item_name=item_name, department=certificate.department, applicant_name=certificate.holder,
                          applicant=dict(original.applicant), parent_case_id=original.id, clock_from=clock_from,
                          registered={**registered, "licence_action": _CHANGE_ACTIONS[action]})

        def change_data(case: Case) -> dict[str, Any]:
            session.add(LicenceApplication(case_id=case.id, certificate_id=certificate.id,
                                           action=_CHANGE_ACTIONS[action], holder=changes["holder"],
                                           scope=changes["scope"], reason=f"监管发现：{finding.reason}"[:2000]))
            return {"item_code": certificate.item_code, "licence_action": _CHANGE_ACTIONS[action],
                    "certificate_number": certificate.number, "finding_id": finding.id}
        return open_case(session, runtime, actor.username, opening, change_data, now)
    opening = Opening(kind=CaseKind.REVOCATION, process_id=FINDING_PROCESS, item_code=certificate.item_code,
                      item_name=item_name, department=certificate.department, applicant_name=certificate.holder,
                      applicant=dict(original.applicant), parent_case_id=original.id, clock_from=clock_from,
                      registered=registered)
    data = {"item_code": certificate.item_code, "finding_action": action.value, "finding_id": finding.id,
            "certificate_number": certificate.number, "parent_case": original.number, "reason": finding.reason}
    return open_case(session, runtime, actor.username, opening, lambda _case: data, now)


def after_step(session: Session, runtime: Runtime, actor: str, case: Case, now: datetime) -> None:
    """The case a finding opened has just ended: the finding is resolved and answered."""
    if case.completed_at != now:
        return
    finding = finding_of_case(session, case.id, for_update=True)
    if finding is None or finding.state != FindingState.OPEN.value:
        return
    finding.state = FindingState.RESOLVED.value
    finding.resolved_at = now
    finding.outcome = case.result
    session.flush()
    append_event(session, occurred_at=now, actor=actor, action="supervision_finding_resolved", case_id=case.id,
                 after={"finding_id": finding.id, "result": case.result, "department": finding.department})
    certificate = session.get_one(Certificate, finding.certificate_id)
    events.finding_resolved(session, runtime, finding, certificate, case, now)
