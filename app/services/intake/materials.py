"""Materials that reach the window after registration (容缺后补, or before acceptance).

The clerk ticks what the applicant brought; the case's materials grow (never shrink), and the
event says which arrived. The 一次性告知 resubmission goes through its own task instead
(``app.services.casework.supplement``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.domain.cases.acceptance import gaps, material_codes
from app.domain.cases.status import CaseStatus
from app.domain.errors import Conflict, InvalidInput
from app.domain.roles import Role
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.runtime import Runtime


def receive_materials(session: Session, runtime: Runtime, actor: Actor, case_id: int,
                      materials: Any) -> Case:
    actor.require(Role.WINDOW, Role.ADMIN)
    case = get_case(session, case_id, for_update=True)
    if CaseStatus(case.status).is_final:
        raise Conflict("case_closed", "办件已办结，不再收取材料", case_id=case_id)
    item = runtime.catalogue.subject(case.item_code)
    new = [m for m in material_codes(item, materials, required=True) if m not in case.materials]
    if not new:
        raise InvalidInput("materials_already_received", "所勾选的材料此前均已收取", field="materials")
    before = list(case.materials)
    case.materials = [m.code for m in item.materials if m.code in {*before, *new}]
    case.updated_at = runtime.clock.now()
    session.flush()
    append_event(session, occurred_at=case.updated_at, actor=actor.username, action="materials_received",
                 case_id=case.id, before={"materials": before},
                 after={"received": new, "materials": case.materials,
                        **({"gaps": [m.code for m in gaps(item, case.materials)]}
                           if item.gaps_until is not None else {})})
    return case
