"""Site-inspection routing (独立/联合/委托核查) decided by the declarative rules."""
from __future__ import annotations

from typing import Any

from app.domain.roles import Role
from app.domain.rule_decision import RuleDecision
from app.services.actor import Actor
from app.services.runtime import Runtime

INSPECTION_RULESET = "inspection"


def evaluate_inspection(runtime: Runtime, actor: Actor, facts: Any) -> RuleDecision:
    """Designers and administrators try the ruleset on facts (no case is touched)."""
    actor.require(Role.DESIGNER, Role.ADMIN)
    return runtime.rules.evaluate(INSPECTION_RULESET, facts)


def decision_view(decision: RuleDecision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome, "outcome_title": decision.outcome_title,
        "rule": {"id": decision.rule_id, "title": decision.rule_title, "basis": decision.basis},
        "facts": dict(decision.facts), "extras": dict(decision.extras),
        "ruleset": decision.ruleset, "ruleset_version": decision.ruleset_version,
        "explanation": decision.explain(),
    }
