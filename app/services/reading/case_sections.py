"""The aspects a case may have beyond a single item's plain flow, as sections of the case and
task pages: the items of a bundle (each with its result and certificate), a construction
project's stages (each with its clock, items and materials), the parallel review, the site inspection, the materials still owed after 容缺受理, and the cases
linked to this one. A section shows only when the case has that aspect.

On a task page the sections the step's actor needs come first, after a short brief of what
bears on the step: on 决定, whether the parallel review passed, what the inspection concluded
and which owed materials would stop an approval (the same rules ``app.services.casework.guards``
enforces, so the page warns before the service refuses).
"""
from __future__ import annotations

from dataclasses import dataclass

from app.domain.cases.acceptance import gap_blocks
from app.domain.bureau.catalogue import Catalogue, GapPoint
from app.persistence.models import TaskRecord
from app.services.casework.guards import FAILED_FINDING
from app.services.casework.parallel_review import ParallelView
from app.services.reading.case_parts import InspectionView
from app.services.reading.case_views import CaseDetail, CaseItemView
from app.services.reading.project_views import ProjectView

#: every section, in the order the case page shows them
SECTIONS = ("finding", "links", "project", "items", "parallel", "inspection", "gaps")

#: the sections a step's actor needs first, by the step's stage; the rest follow in page order
FOCUS_BY_STAGE: dict[str, tuple[str, ...]] = {
    "registered": ("finding", "gaps"),
    "in_review": ("finding", "parallel", "gaps"),
    "inspecting": ("inspection",),
    "pending_decision": ("finding", "parallel", "inspection", "gaps"),
    "certifying": ("gaps", "items"),
    "ready_to_issue": ("items", "gaps"),
    "verifying": ("links", "items"),
}

FINDING_TONES = {"合格": "ok", "限期整改": "warn", FAILED_FINDING: "bad"}


@dataclass(frozen=True)
class Note:
    """One line of a task's brief. ``tone``: ok, warn, bad or info; ``blocks``: the step cannot
    end in approval (or the certificate cannot be made) while this stands."""

    tone: str
    text: str
    blocks: bool = False


def present_sections(detail: CaseDetail) -> list[str]:
    """The sections this case has, in page order."""
    gaps = detail.get("gaps")
    shown = {
        "finding": bool(detail.get("finding")),
        "links": bool(detail.get("parent_case") or detail.get("follow_up_cases")),
        "project": bool(detail.get("project")),
        "items": bool(detail.get("items")) and not detail.get("project"),  # a project lists them by stage
        "parallel": bool(detail.get("parallel")),
        "inspection": bool(detail.get("inspection")),
        "gaps": gaps is not None and not gaps["complete"],
    }
    return [name for name in SECTIONS if shown[name]]


def task_sections(detail: CaseDetail, task: TaskRecord, stage: str | None) -> tuple[list[str], list[str]]:
    """(the sections the task's actor needs first, the others), both limited to what the case has."""
    present = present_sections(detail)
    wanted = list(FOCUS_BY_STAGE.get(stage or "", ()))
    if task.item_code:
        wanted.insert(0, "items")
    if task.project_stage is not None:
        wanted.insert(0, "project")
    if detail.get("parent_case"):
        wanted.insert(0, "links")  # a follow-up (撤销): the case it follows up first
    if detail.get("finding"):
        wanted.insert(0, "finding")  # …after what the supervisor found, when a finding opened it
    focus = [name for name in dict.fromkeys(wanted) if name in present]
    return focus, [name for name in present if name not in focus]


def _parallel_note(parallel: ParallelView, deciding: bool) -> Note:
    mode = parallel["mode_label"]
    total, required = len(parallel["departments"]), parallel["required_approvals"]
    if not parallel["settled"]:
        return Note("warn", f"并联审查（{mode}）进行中：{total} 个部门已答复 {len(parallel['opinions'])} 个，"
                            f"需 {required} 个同意")
    if parallel["outcome"] == "approve":
        return Note("ok", f"并联审查（{mode}）已通过：{parallel['approvals']} 个部门同意（需 {required} 个）")
    refused = "、".join(r["department_name"] for r in parallel["reasons"]) or "同意的部门不足"
    return Note("bad", f"并联审查（{mode}）未通过：{refused}不同意" + ("，不能作出准予决定" if deciding else ""),
                blocks=deciding)


def _inspection_note(inspection: InspectionView, deciding: bool) -> Note:
    mode, conclusion = inspection["mode_label"], inspection["conclusion"]
    if not conclusion:
        return Note("warn", f"现场核查（{mode}）尚无结论")
    failed = conclusion == FAILED_FINDING
    return Note(FINDING_TONES.get(conclusion, "info"),
                f"现场核查（{mode}）结论：{conclusion}" + ("，不能作出准予决定" if failed and deciding else ""),
                blocks=failed and deciding)


def _gaps_note(detail: CaseDetail, catalogue: Catalogue, stage: str | None) -> Note | None:
    gaps = detail.get("gaps")
    if not gaps or gaps["complete"]:
        return None
    code = detail["item_code"]
    subject = catalogue.items.get(code) or catalogue.bundles.get(code)
    received = [m["code"] for m in detail.get("materials", []) if m["received"]]
    blocking = gap_blocks(subject, received, stage, "approve") if subject is not None else []
    names = "、".join(m["name"] for m in gaps["missing"])
    if blocking:
        stopped = "作出准予决定" if gaps["until"] == GapPoint.DECISION.value else "制证"
        return Note("bad", f"容缺材料尚未补齐：{names}，须在{gaps['until_label']}补齐，补齐前不能{stopped}",
                    blocks=True)
    return Note("warn", f"容缺后补：尚缺{names}，须在{gaps['until_label']}补齐")


def _items_note(items: list[CaseItemView]) -> Note:
    decided = [i for i in items if i["result"]]
    approved = sum(1 for i in decided if i["result"] == "approved")
    if len(decided) < len(items):
        return Note("warn", f"所含 {len(items)} 个事项中已决定 {len(decided)} 个")
    return Note("ok" if approved == len(items) else "warn",
                f"所含 {len(items)} 个事项均已决定：准予 {approved} 项、不予 {len(items) - approved} 项，请一并出件")


def _project_stage_note(project: ProjectView | None, number: int | None) -> Note | None:
    stage = next((s for s in (project["stages"] if project else []) if s["number"] == number), None)
    if stage is None:
        return None
    text = f"本环节属于第 {number} 阶段“{stage['name']}”（牵头：{stage['lead_name']}，时限 {stage['limit']} 个工作日"
    left = stage.get("working_days_left")
    if left is not None:
        text += f"，剩 {left} 个工作日" if left >= 0 else f"，已超期 {-left} 个工作日"
    tone = "bad" if stage.get("overdue") else "info"
    return Note(tone, text + "）")


def task_brief(detail: CaseDetail, task: TaskRecord, stage: str | None, catalogue: Catalogue) -> list[Note]:
    """What bears on this step, most specific first; empty when nothing does."""
    notes: list[Note] = []
    parent = detail.get("parent_case")
    if parent:
        notes.append(Note("info", f"本件为办件 {parent['number']}（{parent['item_name']}）的后续办件，"
                                  f"原办件{parent['result_label'] or parent['status_label']}"))
    if stage == "verifying":
        limit = detail.get("time_limit")
        due = limit["due_date"] if limit else None
        notes.append(Note("info", "告知承诺：本件已当场准予" + (f"，须在 {due} 前完成事后核查" if due else "")
                                  + "；认定承诺不实的，将立案启动撤销程序"))
    stage_note = _project_stage_note(detail.get("project"), task.project_stage)
    if stage_note is not None:
        notes.append(stage_note)
    items = detail.get("items") or []
    mine = next((i for i in items if i["code"] == task.item_code), None)
    if mine is not None:
        notes.append(Note("info", f"本环节办理的事项：{mine['name']}（{mine['department_name']}）"))
    deciding = stage == "pending_decision"
    parallel = detail.get("parallel")
    if parallel and stage in ("in_review", "pending_decision"):
        notes.append(_parallel_note(parallel, deciding))
    # a bundle's inspections are not told apart by item yet: no conclusion is claimed for one item
    inspection = detail.get("inspection")
    if inspection and deciding and not task.item_code:
        notes.append(_inspection_note(inspection, deciding))
    gaps = _gaps_note(detail, catalogue, stage)
    if gaps is not None:
        notes.append(gaps)
    if items and stage == "ready_to_issue":
        notes.append(_items_note(items))
    return notes
