"""What a decision sets off beyond its own case (审管联动).

* A decision the diagram marks with ``opens_case`` (事后核查 “承诺不实”) opens a follow-up case
  about the same licence — a revocation (撤销) — in the same transaction.
* A follow-up case that ends in 撤销许可 (or 撤回许可) marks its parent's licence revoked (or
  withdrawn), with an event on the parent, so the licence's own record says it no longer stands;
  its certificates in the registry become ``revoked`` (``withdrawn``) in the same transaction —
  only the licence a supervisor's finding named, when a finding opened the case.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.cases.status import CaseResult
from app.domain.licences.certificates import CertificateStatus
from app.domain.errors import InvalidInput
from app.domain.cases.kinds import CaseKind
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.models import Case
from app.persistence.background.push_findings import finding_of_case
from app.services.actor import Actor
from app.services.certificates.lifecycle import revoke_licences
from app.services.runtime import Runtime
from app.services.statistics.rollup import mark_result_changed
from app.services.stepping.opening import Opening, open_case
from app.workflow.task_metadata import HumanTaskSpec


def after_decision(session: Session, runtime: Runtime, actor: Actor, case: Case, spec: HumanTaskSpec,
                   decision: str | None, opinion: str | None, result_before: str | None,
                   now: datetime) -> None:
    if decision and decision in spec.opens_case:
        open_follow_up(session, runtime, actor, case, spec.opens_case[decision], opinion, now)
    taking_back = _TAKE_BACK.get(CaseResult(case.result)) if case.result else None
    if case.parent_case_id is not None and taking_back is not None and result_before != case.result:
        target, action, word = taking_back
        parent = get_case(session, case.parent_case_id, for_update=True)
        before = parent.result
        parent.result = case.result
        parent.updated_at = now
        session.flush()
        mark_result_changed(session, parent)  # its result counted on the day it was concluded
        append_event(session, occurred_at=now, actor=actor.username, action=action,
                     case_id=parent.id, before={"result": before},
                     after={"result": parent.result, "by_case": case.number, "opinion": opinion})
        finding = finding_of_case(session, case.id)
        revoke_licences(session, runtime, parent.id, actor=actor.username, now=now, by_case=case,
                        reason=f"{word}决定（办件 {case.number}）：{opinion or ''}".rstrip("："),
                        only=finding.certificate_id if finding is not None else None, target=target)


#: a follow-up's result that takes a licence back → its status, the parent's event, the word
_TAKE_BACK = {CaseResult.REVOKED: (CertificateStatus.REVOKED, "licence_revoked", "撤销"),
              CaseResult.LICENCE_WITHDRAWN: (CertificateStatus.WITHDRAWN, "licence_withdrawn", "撤回")}


#: the kinds of case a decision may open, with the word their name starts with
FOLLOW_UP_KINDS = {CaseKind.REVOCATION: "撤销"}


def open_follow_up(session: Session, runtime: Runtime, actor: Actor, parent: Case, process_id: str,
                   reason: str | None, now: datetime) -> Case:
    """Open a case that follows up ``parent`` (e.g. a revocation after a failed verification).

    The bureau opens it itself, so it starts accepted: its clock runs from today with the
    item's promised limit. It is about the same item, applicant and department as its parent.
    """
    kind = next((k for k in FOLLOW_UP_KINDS if k.value == process_id), None)
    if kind is None:
        raise InvalidInput("follow_up_unknown", f"流程“{process_id}”不是可由决定开启的后续办件", process=process_id)
    opening = Opening(
        kind=kind, process_id=process_id, item_code=parent.item_code,
        item_name=f"{FOLLOW_UP_KINDS[kind]}{parent.item_name}", department=parent.department,
        applicant_name=parent.applicant_name, applicant=dict(parent.applicant), parent_case_id=parent.id,
        clock_from=runtime.catalogue.subject(parent.item_code),
        registered={"opened_from": parent.number, "reason": reason})
    data = {"item_code": parent.item_code, "parent_case": parent.number, "reason": reason or ""}
    case = open_case(session, runtime, actor.username, opening, lambda _case: data, now)
    append_event(session, occurred_at=now, actor=actor.username, action="follow_up_opened",
                 case_id=parent.id, after={"case_id": case.id, "number": case.number,
                                           "process": process_id, "reason": reason})
    return case
