"""Decisions of the routing rules, and read-only views of the rulesets (no engine imports).

A ``RuleDecision`` is what a service stores in a case's history: which ruleset version decided,
which rule fired (or that none did), on which facts, and with which outcome.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

FactValue = bool | int | str


class RuleDecisionDict(TypedDict):
    """A decision as JSON: what a case's history and its rule decisions keep, and the API shows."""

    ruleset: str
    ruleset_version: str
    outcome: str
    outcome_title: str
    rule_id: str | None
    rule_title: str
    basis: str
    facts: dict[str, FactValue]
    cited_facts: list[str]
    extras: dict[str, FactValue]
    explanation: str
    explanation_zh: str


def _show(value: FactValue) -> str:
    """Render a fact value the way the rule files write it: ``true``, ``3``, ``"high"``."""
    return json.dumps(value, ensure_ascii=False)


def _show_zh(value: FactValue, labels: Mapping[str, str]) -> str:
    """Render a fact value for people: 是/否, an enum's Chinese label, a number."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return labels.get(value, value)
    return str(value)


@dataclass(frozen=True)
class RuleDecision:
    """The result of evaluating one ruleset on one set of validated facts.

    ``rule_id`` is ``None`` when no rule matched; ``outcome`` is then the ruleset's declared
    default. ``cited_facts`` are the facts the fired rule's conditions refer to.
    """

    outcome: str
    rule_id: str | None
    rule_title: str
    basis: str
    facts: Mapping[str, FactValue]
    ruleset: str
    ruleset_version: str
    extras: Mapping[str, FactValue] = field(default_factory=dict)
    outcome_title: str = ""
    cited_facts: tuple[str, ...] = ()
    #: Chinese titles of facts and extras, and labels of enum values, for explanations
    titles: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        """True when a rule fired, False when the default outcome was used."""
        return self.rule_id is not None

    def explain(self) -> str:
        """One Chinese line for the case history, e.g.

        ``规则 R2「多部门或并联审批→联合核查」命中：departments_involved=3, parallel_approval=false
        → 联合核查 (joint)［inspection 2026.1+3f2a9c1d］``
        """
        names = self.cited_facts or tuple(self.facts)
        shown = ", ".join(f"{n}={_show(self.facts[n])}" for n in names if n in self.facts)
        result = f"{self.outcome_title} ({self.outcome})" if self.outcome_title else self.outcome
        flags = [f"{k}={_show(v)}" for k, v in self.extras.items() if v is not False]
        if flags:
            result += "，" + ", ".join(flags)
        where = f"［{self.ruleset} {self.ruleset_version}］"
        if self.rule_id is None:
            return f"未命中任何规则，采用默认结果：{shown} → {result}{where}"
        return f"规则 {self.rule_id}「{self.rule_title}」命中：{shown} → {result}{where}"

    def explain_zh(self) -> str:
        """The explanation for the case history, in Chinese only: titles and labels of the facts.

        ``依据规则 R2「多部门或并联审批→联合核查」：事项需要现场核查为“是”，涉及部门数为“3”
        → 联合核查``
        """
        names = self.cited_facts or tuple(self.facts)
        shown = "，".join(
            f"{self.titles.get(n, n)}为“{_show_zh(self.facts[n], self.value_labels.get(n, {}))}”"
            for n in names if n in self.facts)
        result = self.outcome_title or self.outcome
        flags = [self.titles.get(k, k) if v is True else f"{self.titles.get(k, k)}：{_show_zh(v, {})}"
                 for k, v in self.extras.items() if v is not False]
        if flags:
            result += "（" + "；".join(flags) + "）"
        if self.rule_id is None:
            return f"未命中任何规则，按兜底规定：{shown} → {result}"
        return f"依据规则 {self.rule_id}「{self.rule_title}」：{shown} → {result}"

    def to_dict(self) -> RuleDecisionDict:
        """Plain JSON-ready form for the audit trail and the API."""
        return {
            "ruleset": self.ruleset,
            "ruleset_version": self.ruleset_version,
            "outcome": self.outcome,
            "outcome_title": self.outcome_title,
            "rule_id": self.rule_id,
            "rule_title": self.rule_title,
            "basis": self.basis,
            "facts": dict(self.facts),
            "cited_facts": list(self.cited_facts),
            "extras": dict(self.extras),
            "explanation": self.explain(),
            "explanation_zh": self.explain_zh(),
        }


@dataclass(frozen=True)
class RulesetSummary:
    """One loaded ruleset, for lists (``oneseal rules list``, the modeler)."""

    name: str
    title: str
    version: str
    file: str
    rule_count: int


@dataclass(frozen=True)
class FactSummary:
    """One declared fact: ``constraint`` is a short Chinese rendering (e.g. ``整数，≥ 1``)."""

    name: str
    title: str
    type: str
    required: bool
    constraint: str


@dataclass(frozen=True)
class RuleSummary:
    """One rule for display; ``condition`` is the Chinese rendering of ``when``."""

    id: str
    title: str
    priority: int
    basis: str
    outcome: str
    outcome_title: str
    condition: str
    extras: Mapping[str, FactValue]


@dataclass(frozen=True)
class RulesetDescription:
    """A ruleset in full, rules in evaluation order (lowest priority number first)."""

    name: str
    title: str
    version: str
    file: str
    outcomes: Mapping[str, str]
    default_outcome: str
    default_basis: str
    facts: tuple[FactSummary, ...]
    rules: tuple[RuleSummary, ...]
