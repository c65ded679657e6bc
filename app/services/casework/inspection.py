"""Site-inspection routing (独立/联合/委托核查) decided by the declarative rules."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from app.domain.bureau.catalogue import Catalogue, Item
from app.domain.roles import Role
from app.domain.design.rule_decision import FactValue, RuleDecision
from app.rules_engine import RulesEngine
from app.services.actor import Actor
from app.services.runtime import Runtime

INSPECTION_RULESET = "inspection"
#: case facts an application may give to override what the catalogue says of the item
INSPECTION_FACTS = ("requires_site_inspection", "departments_involved", "parallel_approval",
                    "risk_level", "technical", "bureau_qualified")


def involved_departments(item: Item) -> list[str]:
    """The item's department, its inspection partners and its parallel reviewers, once each."""
    found = [item.department]
    for code in (*(item.inspection.partners if item.inspection else ()),
                 *(item.parallel.departments if item.parallel else ())):
        if code not in found:
            found.append(code)
    return found


def inspection_start_data(catalogue: Catalogue, rules: RulesEngine, item: Item,
                          case_facts: Mapping[str, Any]) -> dict[str, Any]:
    """What the site-inspection subprocess needs, put into a new case's workflow.

    Facts come from the catalogue; an application's ``facts`` may override them (a large
    venue raising ``risk_level``, say). They are checked against the ruleset's schema here,
    so a bad fact is refused at registration, not when the inspection is decided.
    """
    if not item.site_inspection or item.inspection is None:
        return {}
    profile = item.inspection
    involved = involved_departments(item)
    facts: dict[str, Any] = {
        "requires_site_inspection": True, "departments_involved": len(involved),
        "parallel_approval": item.parallel is not None, "risk_level": profile.risk_level,
        "technical": profile.technical, "bureau_qualified": profile.bureau_qualified,
    }
    facts.update({k: v for k, v in case_facts.items() if k in INSPECTION_FACTS})
    lead = catalogue.inspection_department
    joint = [lead] + [code for code in involved if code not in (item.department, lead)]
    return {
        "inspection_facts": rules.check_facts(INSPECTION_RULESET, facts),
        "inspection_lead": lead,
        "qualified_department": profile.qualified_department,
        "joint_departments": joint,
    }


def evaluate_inspection(runtime: Runtime, actor: Actor, facts: Any) -> RuleDecision:
    """Designers and administrators try the ruleset on facts (no case is touched)."""
    actor.require(Role.DESIGNER, Role.ADMIN)
    return runtime.rules.evaluate(INSPECTION_RULESET, facts)


class RuleRef(TypedDict):
    """The rule that fired (``id`` None when none did and the default applied)."""

    id: str | None
    title: str
    basis: str


class DecisionView(TypedDict):
    """A trial decision of the inspection ruleset, as the API answers it."""

    outcome: str
    outcome_title: str
    rule: RuleRef
    facts: dict[str, FactValue]
    extras: dict[str, FactValue]
    ruleset: str
    ruleset_version: str
    explanation: str


def decision_view(decision: RuleDecision) -> DecisionView:
    return {
        "outcome": decision.outcome, "outcome_title": decision.outcome_title,
        "rule": {"id": decision.rule_id, "title": decision.rule_title, "basis": decision.basis},
        "facts": dict(decision.facts), "extras": dict(decision.extras),
        "ruleset": decision.ruleset, "ruleset_version": decision.ruleset_version,
        "explanation": decision.explain(),
    }
