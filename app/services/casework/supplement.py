"""Return for supplement (退回补正) with the one-time notice (一次性告知).

A reviewer who returns a case lists, in one notice, every material that is missing or must be
corrected, each with the reason. The case waits at the window (the clock stopped, see the
diagram's ``suspends_clock``) until the applicant resubmits; the resubmission must bring
everything the notice listed at once, or it is refused with what is still missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.domain.cases.acceptance import material_codes
from app.domain.bureau.catalogue import Subject
from app.domain.errors import InvalidInput
from app.persistence.models import Case, SupplementNotice
from app.workflow.task_metadata import HumanTaskSpec

RETURN_DECISION = "return"
MAX_REASON = 200


class NoticeItem(TypedDict):
    """One material a notice asks for, with the reason (as stored and shown)."""

    material: str
    name: str
    reason: str


def check_notice(item: Subject, notice: Any) -> list[NoticeItem]:
    """Validate a notice against the item's materials; return its items with material names."""
    if not isinstance(notice, list) or not notice:
        raise InvalidInput("notice_required", "退回补正须出具一次性告知：列明需补正的全部材料及理由",
                           field="notice")
    items: list[NoticeItem] = []
    for index, entry in enumerate(notice):
        if not isinstance(entry, dict) or set(entry) - {"material", "reason"}:
            raise InvalidInput("notice_invalid", "告知事项应为 {material, reason}", field=f"notice[{index}]")
        code, reason = entry.get("material"), entry.get("reason")
        material = item.material(code) if isinstance(code, str) else None
        if material is None:
            raise InvalidInput("notice_unknown_material", f"材料“{str(code)[:40]}”不属于事项“{item.name}”",
                               field=f"notice[{index}].material")
        if any(i["material"] == code for i in items):
            raise InvalidInput("notice_duplicate_material", f"材料“{material.name}”重复列出",
                               field=f"notice[{index}].material")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
            raise InvalidInput("notice_reason_required",
                               f"请写明“{material.name}”需补正的理由（不超过 {MAX_REASON} 字）",
                               field=f"notice[{index}].reason")
        items.append({"material": material.code, "name": material.name, "reason": reason.strip()})
    return items


def open_notice(session: Session, case_id: int) -> SupplementNotice | None:
    return session.scalar(select(SupplementNotice).where(
        SupplementNotice.case_id == case_id, SupplementNotice.resolved_at.is_(None))
        .order_by(SupplementNotice.id.desc()).limit(1))


def issue_notice(session: Session, case: Case, task_id: str, items: list[NoticeItem],
                 issued_by: str, at: datetime) -> SupplementNotice:
    notice = SupplementNotice(case_id=case.id, task_id=task_id, issued_by=issued_by, issued_at=at,
                              items=items, resolved_at=None)
    session.add(notice)
    return notice


def check_resubmission(item: Subject, notice: SupplementNotice | None, materials: Any) -> list[str]:
    """The materials brought back; all of the notice's must be among them (一次补齐)."""
    materials = material_codes(item, materials)
    if notice is not None:
        missing = [i for i in notice.items if i["material"] not in materials]
        if missing:
            names = "、".join(i["name"] for i in missing)
            raise InvalidInput("supplement_incomplete",
                               f"补正材料不全，一次性告知所列材料须一次补齐：还缺{names}",
                               field="materials", missing=[i["material"] for i in missing])
    return materials


@dataclass(frozen=True)
class SupplementStep:
    """What a completion does about supplements: the notice a return issues, or what a
    resubmission brings back (and the notice it answers)."""

    notice_items: list[NoticeItem] | None = None
    resubmitted: list[str] | None = None
    answered: SupplementNotice | None = None

    def apply(self, session: Session, case: Case, item: Subject, task_id: str, actor: str, now: datetime) -> None:
        if self.resubmitted is not None:
            case.materials = [m.code for m in item.materials if m.code in {*case.materials, *self.resubmitted}]
            if self.answered is not None:
                self.answered.resolved_at = now
        if self.notice_items is not None:
            issue_notice(session, case, task_id, self.notice_items, actor, now)


def supplement_step(session: Session, item: Subject, case: Case, spec: HumanTaskSpec, decision: str | None,
                    notice: Any, materials: Any) -> SupplementStep:
    """Check the notice a return carries, or the materials a resubmission brings; nothing else
    may carry either."""
    notice_items = None
    if decision == RETURN_DECISION:
        notice_items = check_notice(item, notice)
    elif notice is not None:
        raise InvalidInput("notice_not_expected", "只有退回补正时才出具一次性告知", field="notice")
    if spec.suspends_clock == "supplement":
        answered = open_notice(session, case.id)
        brought = check_resubmission(item, answered, materials if materials is not None else [])
        return SupplementStep(notice_items, brought, answered)
    if materials is not None:
        raise InvalidInput("materials_not_expected", "此环节不收取补正材料", field="materials")
    return SupplementStep(notice_items)


class NoticeView(TypedDict):
    """A one-time notice (``notices`` of the case detail); ``resolved_at`` once answered."""

    id: int
    at: str
    by: str
    items: list[NoticeItem]
    resolved_at: str | None


_NOTICES_OF_CASE = (select(SupplementNotice).where(SupplementNotice.case_id == bindparam("b_case"))
                    .order_by(SupplementNotice.id))


def notices_view(session: Session, case_id: int) -> list[NoticeView]:
    rows = session.scalars(_NOTICES_OF_CASE, {"b_case": case_id})
    return [{"id": n.id, "at": n.issued_at.isoformat(), "by": n.issued_by, "items": n.items,
             "resolved_at": n.resolved_at.isoformat() if n.resolved_at else None} for n in rows]
