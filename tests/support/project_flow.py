"""A construction project's flow driven in memory by the workflow engine (no database): the
shipped project diagrams and rules, four stages of eight departments, answers that take every
branch (what the state tests run step by step)."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.rules_engine import load_rules_engine
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ["construction_project", "project_stage", "project_completion", "site_inspection"]


def engine_for(documents: list[Document], process_id: str, rules=None):
    """An engine on ``documents`` (no database), the compiled ``process_id`` and the rule recorder."""
    evaluator, recorder = build_evaluator(rules)
    definition = DefinitionCatalogue(evaluator).compile(documents, process_id)
    return WorkflowEngine(evaluator, lambda: datetime(2026, 3, 2, 1, 30, tzinfo=UTC)), definition, recorder


def project_engine():
    """The construction project's engine and definition, with the shipped rules."""
    documents = [Document(f"{n}.bpmn", (ROOT / "processes" / f"{n}.bpmn").read_bytes()) for n in PROJECT]
    return engine_for(documents, "construction_project", load_rules_engine(ROOT / "rules"))


def stage(number: int, survey: bool) -> dict:
    departments = [f"department_{i}" for i in range(8)]
    one = {"number": number, "lead": "department_0",
           "items": [{"item": f"XK-{number}{i:03d}", "department": d} for i, d in enumerate(departments)]}
    facts = {"requires_site_inspection": True, "departments_involved": 8, "parallel_approval": True,
             "risk_level": "medium", "technical": False, "bureau_qualified": True}
    one["survey"] = {"facts": facts, "lead": "site_survey", "departments": ["site_survey", *departments]} \
        if survey else None
    return one


START = {"project_stages": [stage(1, True), stage(2, False), stage(3, True),
                            {"number": 4, "lead": "department_0", "item": "XK-4000",
                             "acceptance": [f"department_{i}" for i in range(8)]}]}


def answer(task) -> dict:
    """What a department answers at ``task``: a finding, a decision, a scope where asked."""
    if task.spec.field_spec("finding"):
        return {"finding": "合格"}
    data = {"decision": "approve"} if task.spec.decisions else {}
    if task.spec.field_spec("scope"):
        data["scope"] = f"范围-{task.item_code or task.element_id}"
    return data
