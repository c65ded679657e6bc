"""The shipped site-inspection ruleset: every rule, every boundary, and the explanations."""
from __future__ import annotations

import itertools
import re

import pytest

from app.domain.design.rule_decision import RuleDecision
from app.rules_engine import RulesEngine, check_rules_dir, load_rules_engine
from tests.support.rules import CJK, PLAIN_FACTS, RULES_DIR

PLAIN = PLAIN_FACTS


def policy(f: dict) -> tuple[str, str]:
    """The policy as written in the brief (first match wins), independent of the engine."""
    if not f["requires_site_inspection"]:
        return "R1", "none"
    if f["departments_involved"] > 1 or f["parallel_approval"]:
        return "R2", "joint"
    if f["risk_level"] == "high":
        return "R3", "joint"
    if f["technical"] and not f["bureau_qualified"]:
        return "R4", "entrusted"
    return "R5", "independent"


@pytest.fixture(scope="module")
def engine() -> RulesEngine:
    return load_rules_engine(RULES_DIR)


def decide(engine: RulesEngine, **changes: object) -> RuleDecision:
    return engine.evaluate("inspection", {**PLAIN, **changes})


def test_shipped_rules_directory_has_no_problems() -> None:
    assert check_rules_dir(RULES_DIR) == []


@pytest.mark.parametrize("changes, rule_id, outcome", [
    # R1: no inspection required wins over everything else
    ({"requires_site_inspection": False}, "R1", "none"),
    ({"requires_site_inspection": False, "departments_involved": 5, "parallel_approval": True,
      "risk_level": "high", "technical": True, "bureau_qualified": False}, "R1", "none"),
    # R2: boundary departments_involved 1 vs 2, and parallel approval alone
    ({"departments_involved": 1}, "R5", "independent"),
    ({"departments_involved": 2}, "R2", "joint"),
    ({"departments_involved": 100}, "R2", "joint"),
    ({"parallel_approval": True}, "R2", "joint"),
    ({"departments_involved": 2, "risk_level": "high", "technical": True,
      "bureau_qualified": False}, "R2", "joint"),
    # R3: boundary risk high vs medium; high wins over technical/unqualified
    ({"risk_level": "high"}, "R3", "joint"),
    ({"risk_level": "medium"}, "R5", "independent"),
    ({"risk_level": "high", "technical": True, "bureau_qualified": False}, "R3", "joint"),
    ({"risk_level": "medium", "technical": True, "bureau_qualified": False}, "R4", "entrusted"),
    # R4: every technical/qualified combination
    ({"technical": True, "bureau_qualified": False}, "R4", "entrusted"),
    ({"technical": True, "bureau_qualified": True}, "R5", "independent"),
    ({"technical": False, "bureau_qualified": False}, "R5", "independent"),
    ({"technical": False, "bureau_qualified": True}, "R5", "independent"),
])
def test_each_rule_and_boundary(engine: RulesEngine, changes: dict, rule_id: str,
                                outcome: str) -> None:
    decision = decide(engine, **changes)
    assert (decision.rule_id, decision.outcome) == (rule_id, outcome)
    assert decision.matched


def test_every_combination_follows_the_policy(engine: RulesEngine) -> None:
    keys = list(PLAIN)
    combos = itertools.product([False, True], [1, 2, 3, 100], [False, True],
                               ["low", "medium", "high"], [False, True], [False, True])
    for combo in combos:
        facts = dict(zip(keys, combo))
        decision = engine.evaluate("inspection", facts)
        assert (decision.rule_id, decision.outcome) == policy(facts), facts


def test_only_high_risk_invites_experts(engine: RulesEngine) -> None:
    assert decide(engine, risk_level="high").extras == {"invite_experts": True}
    for changes in ({}, {"departments_involved": 3}, {"technical": True, "bureau_qualified": False},
                    {"requires_site_inspection": False}):
        assert decide(engine, **changes).extras == {"invite_experts": False}


def test_decision_names_rule_facts_basis_and_version(engine: RulesEngine) -> None:
    decision = decide(engine, departments_involved=3)
    assert decision.rule_title == "多部门或并联审批→联合核查"
    assert decision.outcome_title == "联合核查"
    assert CJK.search(decision.basis)
    assert decision.facts == {**PLAIN, "departments_involved": 3}
    assert decision.ruleset == "inspection"
    assert re.fullmatch(r"2026\.1\+[0-9a-f]{8}", decision.ruleset_version)
    assert decision.ruleset_version == engine.version_of("inspection")
    line = decision.explain()
    assert line.startswith("规则 R2「多部门或并联审批→联合核查」命中：")
    assert "departments_involved=3" in line and "parallel_approval=false" in line
    assert "联合核查 (joint)" in line and decision.ruleset_version in line
    data = decision.to_dict()
    assert data["rule_id"] == "R2" and data["explanation"] == line
    assert data["facts"]["departments_involved"] == 3


def test_explanation_mentions_experts(engine: RulesEngine) -> None:
    assert "invite_experts=true" in decide(engine, risk_level="high").explain()


def test_rulesets_and_describe(engine: RulesEngine) -> None:
    (summary,) = engine.rulesets()
    assert (summary.name, summary.title, summary.rule_count) == ("inspection", "现场核查方式", 5)
    assert summary.version == engine.version_of("inspection")
    described = engine.describe("inspection")
    assert [r.id for r in described.rules] == ["R1", "R2", "R3", "R4", "R5"]
    assert [r.priority for r in described.rules] == sorted(r.priority for r in described.rules)
    assert [r.outcome for r in described.rules] == ["none", "joint", "joint", "entrusted",
                                                   "independent"]
    assert all(CJK.search(r.title) and CJK.search(r.basis) for r in described.rules)
    r2 = described.rules[1]
    assert "涉及部门数 > 1" in r2.condition and "或" in r2.condition
    assert described.outcomes["entrusted"] == "委托核查"
    assert described.default_outcome == "independent"
    assert [f.name for f in described.facts] == list(PLAIN)


def test_unknown_ruleset_is_not_found(engine: RulesEngine) -> None:
    from app.domain.errors import NotFound
    with pytest.raises(NotFound) as caught:
        engine.evaluate("no_such_rules", PLAIN)
    assert caught.value.code == "unknown_ruleset" and CJK.search(caught.value.message)
    with pytest.raises(NotFound):
        engine.describe("no_such_rules")
