"""Which of a case's optional records exist, asked in one statement.

Most cases have no clock suspension, no supplement notice, no certificate, no follow-up case,
no scanned material and often no rule decision yet; reading each of those tables to find it
empty costs a round through the driver apiece. The case view asks first which of them have rows
(an EXISTS on each table's index by case) and reads only those.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, exists, select
from sqlalchemy.orm import Session

from app.persistence.tables.attachments import Attachment
from app.persistence.tables.certificates import Certificate
from app.persistence.models import Case, ClockSuspension, RuleDecisionRecord, SupplementNotice


@dataclass(frozen=True)
class CaseRecords:
    """Whether the case has rows of each kind."""

    rule_decisions: bool
    suspensions: bool
    notices: bool
    follow_ups: bool
    certificates: bool
    attachments: bool


_CASE: BindParameter[int] = bindparam("b_case")
_PRESENT = select(
    exists().where(RuleDecisionRecord.case_id == _CASE),
    exists().where(ClockSuspension.case_id == _CASE),
    exists().where(SupplementNotice.case_id == _CASE),
    exists().where(Case.parent_case_id == _CASE),
    exists().where(Certificate.case_id == _CASE),
    exists().where(Attachment.case_id == _CASE),
)


def records_of_case(session: Session, case_id: int) -> CaseRecords:
    return CaseRecords(*(bool(flag) for flag in session.connection().execute(_PRESENT, {"b_case": case_id}).one()))
