"""The items of a case that decides several (一件事, 工程建设项目)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.persistence.models import CaseItem


def items_of_case(session: Session, case_id: int) -> list[CaseItem]:
    return list(session.scalars(select(CaseItem).where(CaseItem.case_id == case_id)
                                .order_by(CaseItem.stage.nulls_first(), CaseItem.id)))


def case_item(session: Session, case_id: int, item_code: str) -> CaseItem | None:
    return session.scalar(select(CaseItem).where(CaseItem.case_id == case_id,
                                                 CaseItem.item_code == item_code))
