"""Rules decisions asked for by diagrams, recorded with the case that asked.

A diagram calls ``decide("inspection", inspection_facts)`` in a script task. The call goes
through the restricted evaluator to :meth:`DecisionRecorder.decide`, which asks the rules
engine and, while a service is advancing a case (:meth:`DecisionRecorder.recording`), keeps
the full decision and the element that asked, so the service stores it in the same transaction
as the step. The diagram gets back only what it routes on: outcome, rule id and extras.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from app.domain.cases import parallel
from app.domain.errors import Unavailable
from app.domain.design.rule_decision import RuleDecision
from app.rules_engine import RulesEngine
from app.workflow.engine import current_element
from app.workflow.expressions.evaluator import RestrictedEvaluator


@dataclass(frozen=True)
class RecordedDecision:
    decision: RuleDecision
    element_id: str | None
    element_name: str


_recorded: ContextVar[list[RecordedDecision] | None] = ContextVar("recorded_decisions", default=None)


class DecisionRecorder:
    def __init__(self, rules: RulesEngine | None) -> None:
        self._rules = rules

    def decide(self, ruleset: str, facts: Any) -> dict[str, Any]:
        if self._rules is None:
            raise Unavailable("rules_unavailable", "规则引擎未载入，无法作出规则判断")
        decision = self._rules.evaluate(ruleset, facts)
        bucket = _recorded.get()
        if bucket is not None:
            element = current_element.get() or (None, "")
            bucket.append(RecordedDecision(decision, element[0], element[1]))
        return {"outcome": decision.outcome, "rule": decision.rule_id, **decision.extras}

    @contextmanager
    def recording(self) -> Iterator[list[RecordedDecision]]:
        """Collect the decisions made inside the block (one unit of work)."""
        bucket: list[RecordedDecision] = []
        token = _recorded.set(bucket)
        try:
            yield bucket
        finally:
            _recorded.reset(token)


def diagram_functions(recorder: DecisionRecorder) -> dict[str, Callable[..., Any]]:
    """The named functions diagrams may call, besides the evaluator's built-ins."""
    return {
        "decide": recorder.decide,
        "parallel_settled": parallel.settled,
        "parallel_outcome": parallel.outcome,
    }


def build_evaluator(rules: RulesEngine | None) -> tuple[RestrictedEvaluator, DecisionRecorder]:
    recorder = DecisionRecorder(rules)
    return RestrictedEvaluator(diagram_functions(recorder)), recorder
