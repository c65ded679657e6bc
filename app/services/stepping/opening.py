"""Opening a case: the one way every kind of case comes into being.

An item, a 一件事 bundle, a construction project and a follow-up case (a revocation) differ in
what they are about and what their workflow is given; they are opened alike: the case row
with its number and query code, the rows that hang on it, the workflow started on the latest
deployed version of its process, the first tasks projected, and the ``case_registered``
event, all in the caller's transaction.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.domain.cases.status import CaseStatus
from app.domain.timing.clock import local_date
from app.domain.bureau.catalogue import Subject
from app.domain.cases.kinds import CaseKind
from app.persistence.processes import versions as process_versions
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import next_case_number
from app.persistence.models import Case
from app.services.clock.time_limits import start_clock
from app.services.processes.deployed import compile_version
from app.services.runtime import Runtime
from app.services.statistics.rollup import mark_case
from app.services.stepping.advance import advance_case


@dataclass(frozen=True)
class Opening:
    """What a new case is about, and who it is for."""

    kind: CaseKind
    process_id: str
    item_code: str
    item_name: str
    department: str
    applicant_name: str
    applicant: dict[str, Any]
    materials: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    parent_case_id: int | None = None
    #: the clock starts at once (即办件, a case the bureau opens itself) with this item's limit
    clock_from: Subject | None = None
    #: what the ``case_registered`` event says besides number, item, applicant, status, version
    registered: dict[str, Any] = field(default_factory=dict)


#: given the new case (with its id), add the rows that hang on it and return the workflow's data
StartData = Callable[[Case], dict[str, Any]]


def open_case(session: Session, runtime: Runtime, actor: str, opening: Opening, start_data: StartData,
              now: datetime | None = None) -> Case:
    """Create the case and start its workflow; the caller commits."""
    now = now or runtime.clock.now()
    version = process_versions.latest_version(session, opening.process_id)
    definition = compile_version(session, runtime, version)
    # PostgreSQL: the year's counter row, once taken, is held to the commit, and every
    # registration needs it; taken last, registrations take turns over their last few
    # statements instead of the whole step. Until then the case carries a provisional number
    # no other transaction can see. (A SQLite writer holds the database anyway: it takes the
    # number first, with the audit trail's tip in the same statement.)
    number_last = session.get_bind().dialect.name == "postgresql"
    case = Case(
        number=_provisional_number() if number_last else next_case_number(session, local_date(now).year),
        query_code=secrets.token_hex(3).upper(),
        kind=opening.kind.value, item_code=opening.item_code, item_name=opening.item_name,
        department=opening.department, applicant_name=opening.applicant_name,
        applicant=dict(opening.applicant), materials=list(opening.materials), facts=dict(opening.facts),
        parent_case_id=opening.parent_case_id, status=CaseStatus.REGISTERED.value, result=None,
        process_version_id=version.id, created_by=actor, created_at=now, updated_at=now, completed_at=None,
    )
    if opening.clock_from is not None:
        start_clock(case, opening.clock_from, runtime.calendar, now)
    session.add(case)
    session.flush()
    data = start_data(case)
    # a new case has no projected task yet: nothing to read back
    effects = advance_case(session, runtime, case, lambda: runtime.engine.start(definition, data),
                           now=now, actor=actor, ready_before=set())
    if number_last:
        case.number = next_case_number(session, local_date(now).year)  # written with the case's other changes below
    append_event(session, occurred_at=now, actor=actor, action="case_registered", case_id=case.id,
                 after={"number": case.number, "item_code": opening.item_code,
                        "applicant": case.applicant_name, **opening.registered,
                        "status": case.status, "process_version": version.version})
    effects.write(session)
    session.flush()
    mark_case(session, case, now)
    return case


def _provisional_number() -> str:
    """A unique stand-in for a new case's number, replaced before its transaction commits."""
    return "~" + secrets.token_hex(7)
