"""The scenarios' steps for pytest-bdd: every step of ``app/scenarios/vocabulary`` bound as it is.

A step's sentence becomes its parser, what it produces a ``target_fixture`` for the steps after
it, and what it needs comes from the fixtures below: ``services`` (the test's app),
``case_id`` and ``answer`` (None until a step produces them). Loaded for every test through
``pytest_plugins`` in ``tests/conftest.py``; a new step is added to the vocabulary, never here.
"""
from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from app.scenarios.language.registry import GIVEN, INITIAL, THEN, WHEN
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary import steps

BINDERS = {GIVEN: given, WHEN: when, THEN: then}

for _step in steps():
    BINDERS[_step.kind](parsers.parse(_step.pattern), target_fixture=_step.produces)(_step.function)


@pytest.fixture
def services(app: Any) -> ScenarioServices:
    return ScenarioServices(app)


@pytest.fixture
def case_id() -> int | None:
    """The scenario's case: none until a step registers one."""
    return INITIAL["case_id"]


@pytest.fixture
def answer() -> Any:
    """The system's answer to the scenario's last request: none before the first."""
    return INITIAL["answer"]
