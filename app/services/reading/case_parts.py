"""The parts of a case's detail that stand on their own: the decisions the rules made for it and
how the site inspection went, the materials still owed after 容缺受理, and the cases linked to it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.domain.cases.acceptance import gaps
from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.bureau.catalogue import Subject
from app.domain.cases.kinds import TaskStatus
from app.domain.roles import Role
from app.domain.design.rule_decision import RuleDecisionDict
from app.persistence.cases.rows import get_case
from app.persistence.models import Case, RuleDecisionRecord, TaskRecord
from app.services.runtime import Runtime


class RuleDecisionView(RuleDecisionDict):
    """A decision the rules made for the case, at which element and when, and which rules made
    it as people read it: 规则“现场核查方式” 2026.1 版 (the version string stays beside it)."""

    element_id: str | None
    at: str
    ruleset_label: str


_DECISIONS_OF_CASE = (select(RuleDecisionRecord).where(RuleDecisionRecord.case_id == bindparam("b_case"))
                      .order_by(RuleDecisionRecord.id))


def ruleset_label(ruleset: str, version: str, titles: Mapping[str, str]) -> str:
    """``inspection``, ``2026.1+b5d5d881`` → 规则“现场核查方式” 2026.1 版."""
    return f"规则“{titles.get(ruleset, ruleset)}” {version.split('+', 1)[0]} 版"


def rule_decisions(session: Session, case_id: int, titles: Mapping[str, str]) -> list[RuleDecisionView]:
    """The case's rule decisions, oldest first; ``titles``: ruleset name → its Chinese title."""
    views: list[RuleDecisionView] = []
    for row in session.scalars(_DECISIONS_OF_CASE, {"b_case": case_id}):
        # the column holds what RuleDecision.to_dict() gave when the decision was made
        decision = cast(RuleDecisionDict, row.decision)
        views.append({**decision, "element_id": row.element_id, "at": row.decided_at.isoformat(),
                      "ruleset_label": ruleset_label(decision["ruleset"], decision["ruleset_version"], titles)})
    return views


class InspectionFinding(TypedDict):
    """What one inspecting department found."""

    task: str
    element_id: str
    department: str
    item_code: str | None
    department_name: str
    #: 合格, 限期整改 or 不合格 (as the step's form gave it)
    finding: Any
    opinion: str | None
    by: str | None
    at: str | None
    #: the day of the visit, the colleague who went too (username), the ids of the photos taken
    inspected_on: str | None
    second_inspector: str | None
    photos: list[str]


class InspectionView(TypedDict):
    """How the site inspection was decided (``inspection`` of the case detail) and what it found;
    ``conclusion`` is the last finding."""

    mode: str
    mode_label: str
    rule_id: str | None
    rule_title: str
    explanation: str
    invite_experts: bool
    findings: list[InspectionFinding]
    conclusion: Any


def inspection_view(runtime: Runtime, decisions: Sequence[RuleDecisionDict],
                    tasks: list[TaskRecord]) -> InspectionView | None:
    """How the site inspection was decided and what every inspecting department found."""
    decision = next((d for d in reversed(decisions) if d["ruleset"] == "inspection"), None)
    if decision is None:
        return None
    findings: list[InspectionFinding] = [{
        "task": t.name, "element_id": t.element_id, "department": t.department, "item_code": t.item_code,
        "department_name": runtime.catalogue.department_name(t.department),
        "finding": t.data.get("finding"), "opinion": t.opinion, "by": t.completed_by,
        "at": t.completed_at.isoformat() if t.completed_at else None,
        "inspected_on": t.data.get("inspected_on"), "second_inspector": t.data.get("second_inspector"),
        "photos": [p for p in t.data.get("photos") or [] if isinstance(p, str)],
    } for t in tasks if t.role == Role.INSPECTOR.value and t.status == TaskStatus.COMPLETED]
    return {
        "mode": decision["outcome"], "mode_label": decision["outcome_title"],
        "rule_id": decision["rule_id"], "rule_title": decision["rule_title"],
        "explanation": decision["explanation_zh"], "invite_experts": bool(decision["extras"].get("invite_experts")),
        "findings": findings, "conclusion": findings[-1]["finding"] if findings else None,
    }


class MaterialRef(TypedDict):
    """A material by code and name."""

    code: str
    name: str


class GapsView(TypedDict):
    """容缺受理 (``gaps`` of the case detail): the point the owed materials must arrive by."""

    until: str
    until_label: str
    missing: list[MaterialRef]
    complete: bool


def gaps_view(item: Subject | None, received: list[str]) -> GapsView | None:
    """容缺受理: which secondary materials are still owed, and by when."""
    if item is None or item.gaps_until is None:
        return None
    owed = gaps(item, received)
    return {"until": item.gaps_until.value, "until_label": item.gaps_until.label,
            "missing": [{"code": m.code, "name": m.name} for m in owed], "complete": not owed}


class CaseLink(TypedDict):
    """A linked case: the one a follow-up (撤销) follows, or a follow-up of this one."""

    id: int
    number: str
    kind: str
    item_name: str
    status_label: str
    result_label: str | None


def case_link(case: Case) -> CaseLink:
    return {"id": case.id, "number": case.number, "kind": case.kind, "item_name": case.item_name,
            "status_label": CaseStatus(case.status).label,
            "result_label": CaseResult(case.result).label if case.result else None}


def parent_link(session: Session, parent_case_id: int | None) -> CaseLink | None:
    """The case a follow-up follows, if it is one."""
    return case_link(get_case(session, parent_case_id)) if parent_case_id is not None else None
