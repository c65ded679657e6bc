"""The one-time notice at the window (一次性告知书): everything that is missing, told at once.

When the main materials of an application are incomplete the window cannot accept it; the
clerk gives the applicant one notice listing every missing material (for a one-thing bundle,
with the items that need each). The notice is recorded in
the audit trail (no case is opened), and its number is the event's id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.domain.cases.acceptance import missing_materials
from app.domain.bureau.catalogue import Material, Subject
from app.domain.timing.clock import local_date
from app.domain.errors import InvalidInput
from app.domain.roles import Role
from app.persistence.audit.chain import append_event_now
from app.services.actor import Actor
from app.services.runtime import Runtime

MAX_NAME = 200


@dataclass(frozen=True)
class IntakeNotice:
    number: str
    #: the item, or the one-thing bundle (一件事), applied for
    item: Subject
    applicant_name: str
    missing: list[Material]
    received: list[Material]
    issued_at: datetime
    issued_by: str

    @property
    def main_missing(self) -> bool:
        return any(m.main for m in self.missing)


def issue_intake_notice(session: Session, runtime: Runtime, actor: Actor, *, item_code: str,
                        applicant_name: str, received: list[str]) -> IntakeNotice:
    actor.require(Role.WINDOW, Role.ADMIN)
    item = runtime.catalogue.subject(item_code)
    name = (applicant_name or "").strip()
    if not name:
        raise InvalidInput("applicant_name_required", "请填写申请人名称", field="applicant.name")
    if len(name) > MAX_NAME:
        raise InvalidInput("invalid_applicant", f"申请人名称不能超过 {MAX_NAME} 字", field="applicant.name")
    unknown = [code for code in received if item.material(code) is None]
    if unknown:
        raise InvalidInput("unknown_material", f"材料“{unknown[0]}”不属于事项“{item.name}”",
                           field="materials", material=str(unknown[0])[:64])
    missing = missing_materials(item, received)
    if not missing:
        raise InvalidInput("nothing_missing", "材料齐全，无需出具一次性告知书，可直接受理", field="materials")
    now = runtime.clock.now()
    event = append_event_now(session, occurred_at=now, actor=actor.username, action="intake_notice_issued",
                         after={"item_code": item.code, "applicant": name,
                                "missing": [m.code for m in missing], "received": sorted(set(received))})
    return IntakeNotice(number=f"告〔{local_date(now).year}〕{event.id}号", item=item, applicant_name=name,
                        missing=missing, received=[m for m in item.materials if m.code in set(received)],
                        issued_at=now, issued_by=actor.display_name or actor.username)
