"""Rules a construction project's steps must respect, whatever its diagrams say.

* 阶段受理: the stage's main materials are all there (its secondary ones may be missing: 容缺).
* 阶段批复 / 联合验收意见 (approving): every item of the stage was approved (every acceptance
  department found the works 合格), and nothing is owed that this stage must collect: the
  secondary materials carried from earlier stages — for the last stage, every material.

Refusing (不予受理, 不通过) needs no material. The stage a task belongs to is read from its
``project_stage_from`` path; the answers of the stage's departments from the collection its
multi-instance task hands back (``stage_reviews``, ``acceptance_results``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.errors import InvalidInput
from app.domain.bureau.projects import ProjectType, missing_main, owed_before_conclusion
from app.services.runtime import Runtime
from app.workflow.task_metadata import HumanTaskSpec

#: multi-instance outputs of the stage diagrams: the answers the lead concludes on
ITEM_ANSWERS = "stage_reviews"
ACCEPTANCE_ANSWERS = "acceptance_results"


def stage_number(spec: HumanTaskSpec, data: Mapping[str, Any]) -> int | None:
    """The project stage a task belongs to, from its ``project_stage_from`` path."""
    if spec.project_stage_from is None:
        return None
    name, _, key = spec.project_stage_from.partition(".")
    value = data.get(name)
    if key:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if type(value) is int else None


def check_project_step(runtime: Runtime, project: ProjectType, received: list[str], spec: HumanTaskSpec,
                       decision: str | None, task_data: Mapping[str, Any]) -> None:
    """Raise ``InvalidInput`` (with the reason, in Chinese) if the step may not be taken."""
    number = stage_number(spec, task_data)
    if number is None or spec.multi_instance or decision != "approve":
        return
    stage = project.stage(number)
    if spec.stage == "registered":
        missing = missing_main(stage, received)
        if missing:
            raise InvalidInput("stage_main_materials_missing",
                               f"“{stage.name}”阶段主要材料不齐，不能受理：缺少{'、'.join(m.name for m in missing)}",
                               field="decision", stage=number, missing=[m.code for m in missing])
    if spec.stage != "pending_decision":
        return
    catalogue = runtime.catalogue
    refused = [(a.get("stage_item") or {}).get("item") for a in _answers(task_data, ITEM_ANSWERS)]
    if refused:
        names = "、".join(catalogue.items[c].name if c in catalogue.items else str(c) for c in refused)
        raise InvalidInput("stage_items_not_approved", f"本阶段有事项未获准予（{names}），不能通过阶段批复",
                           field="decision", stage=number, items=refused)
    failed = [a.get("acceptance_department") for a in _answers(task_data, ACCEPTANCE_ANSWERS)]
    if failed:
        names = "、".join(catalogue.department_name(d) for d in failed)
        raise InvalidInput("joint_acceptance_failed", f"联合验收有部门意见为不合格（{names}），"
                           "不能出具验收合格意见", field="decision", stage=number, departments=failed)
    owed = owed_before_conclusion(project, number, received)
    if owed:
        names = "、".join(f"{m.name}（{owner.name}阶段）" for owner, m in owed)
        raise InvalidInput("carried_materials_missing",
                           f"容缺后补的材料尚未补齐，“{stage.name}”阶段不能办结：缺少{names}",
                           field="decision", stage=number, missing=[m.code for _, m in owed])


def _answers(data: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The answers of a stage's departments that were not approvals."""
    answers = data.get(name)
    if not isinstance(answers, list):
        return []
    return [a for a in answers if isinstance(a, dict) and a.get("decision") != "approve"]
