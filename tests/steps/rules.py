"""Steps for the routing rules (现场核查方式): evaluate the shipped rules on given facts."""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then, when

from app.domain.errors import OneSealError

YES_NO = {"是": True, "否": False}
RISK = {"低": "low", "中": "medium", "高": "high"}
OUTCOMES = {"无需核查": "none", "独立核查": "independent", "联合核查": "joint", "委托核查": "entrusted"}


@when(parsers.parse("按现场核查规则判断：需要核查“{required}”，涉及部门{departments:d}个，并联审批“{parallel}”，"
                    "风险“{risk}”，专业技术“{technical}”，本局具备资质“{qualified}”"))
def evaluate_inspection(desk: Any, required: str, departments: int, parallel: str, risk: str,
                        technical: str, qualified: str) -> None:
    """用六项事实求值现场核查规则（是/否；风险为 低/中/高）。"""
    facts = {"requires_site_inspection": YES_NO[required], "departments_involved": departments,
             "parallel_approval": YES_NO[parallel], "risk_level": RISK[risk],
             "technical": YES_NO[technical], "bureau_qualified": YES_NO[qualified]}
    desk.seen["decision"] = desk.ext.runtime.rules.evaluate("inspection", facts)


@when(parsers.parse("按现场核查规则判断事实“{facts_json}”"))
def evaluate_raw(desk: Any, facts_json: str) -> None:
    """用一段 JSON 事实求值现场核查规则（用于检验错误输入）。"""
    import json

    desk.error = None
    try:
        desk.seen["decision"] = desk.ext.runtime.rules.evaluate("inspection", json.loads(facts_json))
    except OneSealError as err:
        desk.error = err


@then(parsers.parse("核查方式为“{outcome}”，命中规则“{rule_id}”"))
def outcome_is(desk: Any, outcome: str, rule_id: str) -> None:
    """规则求值的结果（无需核查/独立核查/联合核查/委托核查）和命中的规则编号。"""
    decision = desk.seen["decision"]
    assert (decision.outcome, decision.rule_id) == (OUTCOMES[outcome], rule_id), decision.explain()
    assert decision.ruleset_version and rule_id in decision.explain()


@then("规则要求邀请专家")
def experts_invited(desk: Any) -> None:
    """命中的规则要求邀请专家参加联合核查。"""
    assert desk.seen["decision"].extras.get("invite_experts") is True
