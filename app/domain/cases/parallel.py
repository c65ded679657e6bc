"""Parallel approval (并联审批): how several departments' answers make one.

Modes (the item's data says which):

* ``countersign`` 会签 — every department must approve; one rejection rejects the whole, with
  every rejecting department's reasons collected. All departments answer.
* ``any`` 或签 — one approval suffices; the rest are no longer needed once one approves.
* ``ratio`` 按比例 — at least ``ratio`` percent of the departments must approve; settled as soon
  as that is reached or can no longer be reached.

``reviews`` is the list each department's task hands back: dicts with a ``decision`` of
``approve`` or ``reject``. These functions are pure, so diagrams may call them.
"""
from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from app.domain.errors import InvalidInput


class ParallelMode(StrEnum):
    COUNTERSIGN = "countersign"
    ANY = "any"
    RATIO = "ratio"

    @property
    def label(self) -> str:
        return {"countersign": "会签", "any": "或签", "ratio": "按比例"}[self.value]


def _tally(reviews: Sequence[Any], total: int) -> tuple[int, int, int]:
    if isinstance(total, bool) or not isinstance(total, int) or total < 1:
        raise InvalidInput("parallel_total_invalid", "并联审批的部门数应为正整数")
    if not isinstance(reviews, (list, tuple)):
        raise InvalidInput("parallel_reviews_invalid", "并联审批的意见应为列表")
    decisions = [r.get("decision") for r in reviews if isinstance(r, dict)]
    approvals = decisions.count("approve")
    rejections = decisions.count("reject")
    return approvals, rejections, max(total - approvals - rejections, 0)


def required_approvals(mode: str, total: int, ratio: int | None = None) -> int:
    """How many approvals make the whole approve."""
    mode = ParallelMode(mode)
    if mode is ParallelMode.COUNTERSIGN:
        return total
    if mode is ParallelMode.ANY:
        return 1
    if isinstance(ratio, bool) or not isinstance(ratio, int) or not 1 <= ratio <= 100:
        raise InvalidInput("parallel_ratio_invalid", "按比例并联审批的比例应为 1 至 100 的整数（百分比）")
    return -(-total * ratio // 100)  # ceiling


def settled(reviews: Sequence[Any], mode: str, ratio: int | None, total: int) -> bool:
    """Whether the answers so far already decide the whole (no more answers are needed)."""
    approvals, rejections, pending = _tally(reviews, total)
    if ParallelMode(mode) is ParallelMode.COUNTERSIGN:
        return pending == 0
    need = required_approvals(mode, total, ratio)
    return approvals >= need or approvals + pending < need


def outcome(reviews: Sequence[Any], mode: str, ratio: int | None, total: int) -> str:
    """``approve`` or ``reject`` for the whole, from the answers given."""
    approvals, _, _ = _tally(reviews, total)
    return "approve" if approvals >= required_approvals(mode, total, ratio) else "reject"
