"""What a decision sets off beyond its own case (审管联动).

* A decision the diagram marks with ``opens_case`` (事后核查 “承诺不实”) opens a follow-up case
  about the same licence — a revocation (撤销) — in the same transaction.
* A follow-up case that ends in 撤销许可 marks its parent's licence revoked, with an event on
  the parent, so the licence's own record says it no longer stands.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.case_status import CaseResult
from app.persistence.audit import append_event
from app.persistence.cases import get_case
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.intake import open_follow_up
from app.services.runtime import Runtime
from app.workflow.task_metadata import HumanTaskSpec


def after_decision(session: Session, runtime: Runtime, actor: Actor, case: Case, spec: HumanTaskSpec,
                   decision: str | None, opinion: str | None, result_before: str | None,
                   now: datetime) -> None:
    if decision and decision in spec.opens_case:
        open_follow_up(session, runtime, actor, case, spec.opens_case[decision], opinion, now)
    if case.parent_case_id is not None and case.result == CaseResult.REVOKED and result_before != case.result:
        parent = get_case(session, case.parent_case_id, for_update=True)
        before = parent.result
        parent.result = CaseResult.REVOKED.value
        parent.updated_at = now
        session.flush()
        append_event(session, occurred_at=now, actor=actor.username, action="licence_revoked",
                     case_id=parent.id, before={"result": before},
                     after={"result": parent.result, "by_case": case.number, "opinion": opinion})
