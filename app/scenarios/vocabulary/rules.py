"""规则：按规则文件判断
Steps that evaluate the shipped routing rules (现场核查方式) on given facts."""
from __future__ import annotations

import json

from app.domain.errors import InvalidInput, OneSealError
from app.domain.design.rule_decision import RuleDecision
from app.scenarios.running.expect import expect, expect_answer, expect_equal
from app.scenarios.language.registry import then, when
from app.scenarios.running.services import ScenarioServices

YES_NO = {"是": True, "否": False}
RISK = {"低": "low", "中": "medium", "高": "high"}
OUTCOMES = {"无需核查": "none", "独立核查": "independent", "联合核查": "joint", "委托核查": "entrusted"}
INSPECTION = "inspection"
A_DECISION = "一项规则判断"


@when("按现场核查规则判断：需要核查“{required}”，涉及部门{departments:d}个，并联审批“{parallel}”，"
      "风险“{risk}”，专业技术“{technical}”，本局具备资质“{qualified}”", produces="answer")
def evaluate_inspection(services: ScenarioServices, required: str, departments: int, parallel: str, risk: str,
                        technical: str, qualified: str) -> RuleDecision:
    """用六项事实求值现场核查规则（是/否；风险为 低/中/高）。"""
    facts = {"requires_site_inspection": YES_NO[required], "departments_involved": departments,
             "parallel_approval": YES_NO[parallel], "risk_level": RISK[risk],
             "technical": YES_NO[technical], "bureau_qualified": YES_NO[qualified]}
    return services.runtime.rules.evaluate(INSPECTION, facts)


@when("按现场核查规则判断事实“{facts_json}”", produces="answer")
def evaluate_raw(services: ScenarioServices, facts_json: str) -> RuleDecision | OneSealError:
    """用一段 JSON 事实求值现场核查规则（用于检验错误输入）。"""
    try:
        facts = json.loads(facts_json)
    except ValueError:
        return InvalidInput("facts_not_json", "事实不是合法的 JSON")
    try:
        return services.runtime.rules.evaluate(INSPECTION, facts)
    except OneSealError as err:
        return err


@then("核查方式为“{outcome}”，命中规则“{rule_id}”")
def outcome_is(answer: object, outcome: str, rule_id: str) -> None:
    """规则求值的结果（无需核查/独立核查/联合核查/委托核查）和命中的规则编号。"""
    decision = expect_answer(answer, RuleDecision, A_DECISION)
    expect(outcome in OUTCOMES, f"预期核查方式为{'、'.join(OUTCOMES)}之一，实际为“{outcome}”")
    expect_equal((decision.outcome, decision.rule_id), (OUTCOMES[outcome], rule_id), decision.explain())
    expect(decision.ruleset_version and rule_id in decision.explain(),
           f"预期判断说明中写明规则“{rule_id}”和规则文件版本，实际：{decision.explain()}")


@then("规则要求邀请专家")
def experts_invited(answer: object) -> None:
    """命中的规则要求邀请专家参加联合核查。"""
    decision = expect_answer(answer, RuleDecision, A_DECISION)
    expect_equal(decision.extras.get("invite_experts"), True, decision.explain())
