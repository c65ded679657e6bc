"""Parallel approval (并联审批): what the diagram is given, what the case shows.

The diagram reviews the item once per department (a multi-instance task) and combines the
answers by the item's mode (会签 / 或签 / 按比例, ``app.domain.cases.parallel``). Every department's
answer and opinion is its own task row, so none overwrites another; the case view lists them
side by side, with the reasons of every department that did not agree.
"""
from __future__ import annotations

from typing import Any, TypedDict

from app.domain.cases import parallel
from app.domain.bureau.catalogue import Catalogue, Item, Subject
from app.domain.cases.kinds import TaskKind, TaskStatus
from app.persistence.models import TaskRecord
from app.workflow.definitions import ProcessDefinition


def parallel_start_data(item: Item) -> dict[str, Any]:
    if item.parallel is None:
        return {}
    return {"review_departments": list(item.parallel.departments),
            "parallel_mode": item.parallel.mode.value, "parallel_ratio": item.parallel.ratio}


class DepartmentRef(TypedDict):
    """A department by code and Chinese name."""

    code: str
    name: str


class ParallelOpinion(TypedDict):
    """One department's answer in a parallel review."""

    department: str
    department_name: str
    decision: str | None
    decision_label: str
    opinion: str | None
    by: str | None
    at: str | None


class ParallelView(TypedDict):
    """A parallel review (``parallel`` of the case detail): its mode, the answers so far and
    what they add up to; ``reasons`` are the opinions of those who did not agree."""

    mode: str
    mode_label: str
    ratio: int | None
    departments: list[DepartmentRef]
    required_approvals: int
    approvals: int
    settled: bool
    outcome: str | None
    opinions: list[ParallelOpinion]
    reasons: list[ParallelOpinion]


def parallel_view(catalogue: Catalogue, item: Subject | None, definition: ProcessDefinition,
                  tasks: list[TaskRecord]) -> ParallelView | None:
    """The answers of a parallel review so far, and what they add up to."""
    if item is None or item.parallel is None:
        return None
    profile = item.parallel
    reviewed = [t for t in tasks if t.status == TaskStatus.COMPLETED and t.kind == TaskKind.WORKFLOW
                and (spec := definition.human_tasks.get(t.element_id)) is not None
                and spec.multi_instance and spec.decisions and t.department in profile.departments]
    reviewed.sort(key=lambda t: (t.completed_at, t.id))  # in the order the answers came
    answers = [{"decision": t.decision} for t in reviewed]
    total = len(profile.departments)
    settled = parallel.settled(answers, profile.mode, profile.ratio, total)
    opinions: list[ParallelOpinion] = [{
        "department": t.department, "department_name": catalogue.department_name(t.department),
        "decision": t.decision,
        "decision_label": definition.human_tasks[t.element_id].decisions.get(t.decision or "", ""),
        "opinion": t.opinion, "by": t.completed_by,
        "at": t.completed_at.isoformat() if t.completed_at else None,
    } for t in reviewed]
    return {
        "mode": profile.mode.value, "mode_label": profile.mode.label, "ratio": profile.ratio,
        "departments": [{"code": d, "name": catalogue.department_name(d)} for d in profile.departments],
        "required_approvals": parallel.required_approvals(profile.mode, total, profile.ratio),
        "approvals": sum(1 for a in answers if a["decision"] == "approve"),
        "settled": settled,
        "outcome": parallel.outcome(answers, profile.mode, profile.ratio, total) if settled else None,
        "opinions": opinions,
        "reasons": [o for o in opinions if o["decision"] == "reject"],
    }
