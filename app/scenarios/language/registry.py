"""The step registry: every sentence a scenario may use, each bound to one plain function.

A step is registered with its kind (假如/当/那么), its sentence pattern (``{name}`` and
``{name:d}`` placeholders, read as the ``parse`` library reads them) and its docstring, the
entry an auditor reads in the step catalogue. It is called with keyword arguments only: the
values its sentence gives, the scenario's named values it asks for (:data:`STATE`), and
``datatable`` (the rows under the sentence, a list of lists of strings). It may produce one
named value for the steps after it. Nothing else passes between steps, so pytest can bind the
functions as they are (``tests/steps.py``) and a runner can call them with a dict
(:meth:`Step.call`).
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

GIVEN, WHEN, THEN = "given", "when", "then"
KEYWORDS = {GIVEN: "假如", WHEN: "当", THEN: "那么"}

#: the named values a scenario carries from step to step: name → what it holds
STATE = {
    "services": "the bureau the scenario runs against (ScenarioServices): database, catalogue, rules, "
                "calendar and clock, the JSON API; given by whoever runs the scenario",
    "case_id": "the case the scenario is about; None until a step registers one",
    "answer": "the system's answer to the scenario's last request (a rule decision, a page of the audit "
              "trail, an API response, a completion's result) or its refusal (a OneSealError); None at first",
}
#: the named values a step may produce (``services`` is given, never produced)
PRODUCIBLE = frozenset(STATE) - {"services"}
#: initial values of the producible names, before any step produced them
INITIAL = {"case_id": None, "answer": None}
DATATABLE = "datatable"
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Step:
    """One sentence of the vocabulary and the function that carries it out."""

    kind: str
    pattern: str
    function: Callable[..., Any]
    produces: str | None = None

    @property
    def keyword(self) -> str:
        return KEYWORDS[self.kind]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")

    @property
    def module(self) -> str:
        return self.function.__module__

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def arguments(self) -> tuple[str, ...]:
        """The names the sentence fills in, in order."""
        return tuple(m.group(1) for m in PLACEHOLDER.finditer(self.pattern))

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.function).parameters)

    @property
    def needs(self) -> tuple[str, ...]:
        """The scenario's named values the step reads."""
        return tuple(p for p in self.parameters if p in STATE)

    def call(self, values: Mapping[str, Any]) -> Any:
        """Run the step with ``values`` (the sentence's values, the named values it needs and
        the data table, if it takes one) and return what it produces."""
        return self.function(**{name: values[name] for name in self.parameters})


class Vocabulary:
    """The registered steps, in the order their modules were imported."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, kind: str, pattern: str, produces: str | None = None) -> Callable[[F], F]:
        def register(function: F) -> F:
            step = Step(kind, pattern, function, produces)
            _check(step)
            self.steps.append(step)
            return function
        return register

    def given(self, pattern: str, *, produces: str | None = None) -> Callable[[F], F]:
        return self.add(GIVEN, pattern, produces)

    def when(self, pattern: str, *, produces: str | None = None) -> Callable[[F], F]:
        return self.add(WHEN, pattern, produces)

    def then(self, pattern: str, *, produces: str | None = None) -> Callable[[F], F]:
        return self.add(THEN, pattern, produces)


def _check(step: Step) -> None:
    """A step whose sentence and function disagree is a programming error, found at import."""
    where = f"{step.module}.{step.name}"
    if step.kind not in KEYWORDS:
        raise ValueError(f"{where}: unknown kind {step.kind!r}")
    if not step.doc:
        raise ValueError(f"{where}: the docstring is the step's catalogue entry and may not be empty")
    if step.produces is not None and step.produces not in PRODUCIBLE:
        raise ValueError(f"{where}: produces {step.produces!r}, not one of {sorted(PRODUCIBLE)}")
    parameters, arguments = set(step.parameters), set(step.arguments)
    if not arguments <= parameters:
        raise ValueError(f"{where}: the sentence fills {sorted(arguments - parameters)}, the function does not take them")
    unknown = parameters - arguments - set(STATE) - {DATATABLE}
    if unknown:
        raise ValueError(f"{where}: takes {sorted(unknown)}, which neither the sentence nor the scenario gives")
    clash = arguments & (set(STATE) | {DATATABLE})
    if clash:
        raise ValueError(f"{where}: the sentence may not fill the scenario's own names {sorted(clash)}")


VOCABULARY = Vocabulary()
given = VOCABULARY.given
when = VOCABULARY.when
then = VOCABULARY.then
