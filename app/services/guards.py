"""Rules a step must respect whatever the diagram says (checked before the engine moves).

* 受理: the main materials must all be there (容缺受理 allows only secondary gaps).
* 决定: a site inspection that found the premises 不合格 cannot end in 准予.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.acceptance import missing_main_materials
from app.domain.errors import InvalidInput
from app.persistence.models import Case
from app.services.runtime import Runtime
from app.workflow.task_metadata import HumanTaskSpec

FAILED_FINDING = "不合格"


def check_step(runtime: Runtime, case: Case, spec: HumanTaskSpec, decision: str | None,
               task_data: Mapping[str, Any]) -> None:
    """Raise ``InvalidInput`` (with the reason, in Chinese) if the step may not be taken."""
    if spec.stage == "registered" and decision == "approve":
        item = runtime.catalogue.item(case.item_code)
        missing = missing_main_materials(item, case.materials)
        if missing:
            names = "、".join(m.name for m in missing)
            raise InvalidInput("main_materials_missing", f"主要材料不齐，不能受理：缺少{names}",
                               field="decision", missing=[m.code for m in missing])
    if spec.stage == "pending_decision" and decision == "approve" \
            and task_data.get("finding") == FAILED_FINDING:
        raise InvalidInput("inspection_failed", "现场核查结论为“不合格”，不能作出准予决定",
                           field="decision", finding=FAILED_FINDING)
