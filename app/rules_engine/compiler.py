"""Compile a checked ruleset into a durable_rules ruleset definition (plain JSON-like dicts).

Each rule becomes ``{"all": [{"m": <expression>}], "pri": <rank>}``, where the rank is the
rule's position in priority order (1 = evaluated first). Facts are posted as one *event* per
session: an event is consumed by the first action that fires, and durable_rules fires the
matching rule with the lowest ``pri`` first, so exactly one rule fires and it is the first
match by priority. ``host.DurableRuleset`` still checks that, and adds the catch-all rule.
"""
from __future__ import annotations

from typing import Any

from app.rules_engine.spec import Comparison, Condition, RulesetSpec

_OPS = {"!=": "$neq", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}


def compile_expression(condition: Condition) -> dict[str, Any]:
    """One condition as a durable_rules expression on the message ``m``."""
    if isinstance(condition, Comparison):
        if condition.op == "==":
            return {condition.fact: condition.value}
        if isinstance(condition.value, tuple):  # ``in``: the alternatives
            options = [{condition.fact: v} for v in condition.value]
            return options[0] if len(options) == 1 else {"$or": options}
        return {_OPS[condition.op]: {condition.fact: condition.value}}
    items = [compile_expression(item) for item in condition.items]
    if len(items) == 1:
        return items[0]
    return {"$and" if condition.kind == "all" else "$or": items}


def compile_ruleset(spec: RulesetSpec) -> dict[str, dict[str, Any]]:
    """Rule id → durable_rules rule definition (without its ``run`` action)."""
    return {
        rule.id: {"all": [{"m": compile_expression(rule.when)}], "pri": rank}
        for rank, rule in enumerate(spec.rules, start=1)
    }
