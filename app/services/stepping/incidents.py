"""Incidents of refused steps, recorded after their transaction is rolled back.

A step that exceeds a limit of the diagram (an expression over its budget, a loop without
people) is refused: the edge rolls the step back, so nothing of it is kept, and then calls
:func:`record_refusal` in a transaction of its own so that the failure is not lost with it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.errors import IncidentReport
from app.persistence.background.incidents import record_failure


def record_refusal(session: Session, report: IncidentReport, at: datetime) -> None:
    record_failure(session, report.kind, report.case_id, report.message, at)
