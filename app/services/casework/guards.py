"""Rules a step must respect whatever the diagram says (checked before the engine moves).

* 变更 / 延续 / 注销 of an issued licence: none of the item's rules below (its own process).
* 受理: every material must be there; with 容缺受理 the main ones (``app.domain.cases.acceptance``).
* 容缺: the case cannot pass the item's point (决定 / 制证) until its gaps are filled.
* 告知承诺: approved on the spot only with the applicant's signed commitment.
* 决定: a site inspection that found the premises 不合格 cannot end in 准予, nor can a
  parallel review that did not pass (会签 with a rejection, 或签 with none approving…).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.cases.acceptance import acceptance_blockers, gap_blocks
from app.domain.errors import InvalidInput
from app.domain.cases.kinds import CaseKind
from app.domain.cases.parallel import ParallelMode
from app.domain.bureau.projects import ProjectType
from app.persistence.models import Case
from app.services.casework.project_rules import check_project_step
from app.services.runtime import Runtime
from app.workflow.task_metadata import HumanTaskSpec

FAILED_FINDING = "不合格"


def check_step(runtime: Runtime, case: Case, spec: HumanTaskSpec, decision: str | None,
               task_data: Mapping[str, Any], submitted: Mapping[str, Any]) -> None:
    """Raise ``InvalidInput`` (with the reason, in Chinese) if the step may not be taken."""
    if case.kind == CaseKind.LICENCE_CHANGE:
        return  # 变更 / 延续 / 注销: an application about a licence, not the item's new application
    item = runtime.catalogue.subject(case.item_code)
    if item.commitment is not None and spec.stage == "registered" and decision == "approve" \
            and submitted.get("commitment_signed") is not True:
        raise InvalidInput("commitment_not_signed", "申请人尚未签署告知承诺书，不能按告知承诺制当场准予",
                           field="commitment_signed")
    if isinstance(item, ProjectType):  # 工程建设项目: materials go stage by stage
        check_project_step(runtime, item, case.materials, spec, decision, task_data)
    elif spec.stage == "registered" and decision == "approve":
        reason, missing = acceptance_blockers(item, case.materials)
        if missing:
            names = "、".join(m.name for m in missing)
            code = "main_materials_missing" if missing[0].main else "materials_missing"
            raise InvalidInput(code, f"{reason}：缺少{names}", field="decision",
                               missing=[m.code for m in missing])
    blocking = gap_blocks(item, case.materials, spec.stage, decision)
    if blocking and item.gaps_until is not None:
        names = "、".join(m.name for m in blocking)
        raise InvalidInput("gap_materials_missing",
                           f"容缺受理的材料尚未补齐：缺少{names}，须在{item.gaps_until.label}补齐",
                           field="decision", missing=[m.code for m in blocking])
    if spec.stage == "pending_decision" and decision == "approve" \
            and task_data.get("finding") == FAILED_FINDING:
        raise InvalidInput("inspection_failed", "现场核查结论为“不合格”，不能作出准予决定",
                           field="decision", finding=FAILED_FINDING)
    if spec.stage == "pending_decision" and decision == "approve" \
            and task_data.get("parallel_decision") == "reject":
        refused = [r.get("review_department") for r in task_data.get("reviews", [])
                   if isinstance(r, dict) and r.get("decision") == "reject"]
        names = "、".join(runtime.catalogue.department_name(d) for d in refused if d)
        mode = ParallelMode(task_data.get("parallel_mode", "countersign")).label
        raise InvalidInput("parallel_review_failed",
                           f"并联审查未通过（{mode}；{names or '同意的部门不足'}不同意），不能作出准予决定",
                           field="decision", refused=refused)
