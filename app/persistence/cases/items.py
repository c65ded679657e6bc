"""The items of a case that decides several (一件事, 工程建设项目)."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.persistence.models import CaseItem


_ITEMS_OF_CASE = (select(CaseItem).where(CaseItem.case_id == bindparam("b_case"))
                  .order_by(CaseItem.stage.nulls_first(), CaseItem.id))


def items_of_case(session: Session, case_id: int) -> list[CaseItem]:
    return list(session.scalars(_ITEMS_OF_CASE, {"b_case": case_id}))


def case_item(session: Session, case_id: int, item_code: str) -> CaseItem | None:
    return session.scalar(select(CaseItem).where(CaseItem.case_id == case_id,
                                                 CaseItem.item_code == item_code))
