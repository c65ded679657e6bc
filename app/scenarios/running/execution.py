"""Running checked scenarios in sandboxes, step by step, without pytest.

Only steps of the catalogue run: each sentence was matched to a registered step by
:mod:`app.scenarios.language.checking`, and the step's plain function is called with the sentence's
values, the scenario's named values (``services``, ``case_id``, ``answer``) and its data table,
exactly as ``tests/steps.py`` has pytest-bdd call it. No text reaches an interpreter.

Each scenario gets a sandbox of its own (:mod:`app.scenarios.running.sandbox`), a time budget and a memory
budget checked between its steps; a scenario over either stops as ``error`` and the rest of its
steps stay ``not_run``. Runs execute in the service's process (see :mod:`app.scenarios.workshop.jobs`), so
the memory budget is the process's resident memory: it stops scenarios before they starve the
service, it cannot tell which run grew. What one scenario can ask for is bounded beforehand by
the text's limits (:mod:`app.scenarios.language.gherkin_text`) and the checked values
(:mod:`app.scenarios.language.checking`). ``on_step`` is told of every step as it starts and ends, so a run can show its
progress.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.scenarios.language.checking import CheckedScenario
from app.scenarios.language.gherkin_text import ScenarioText
from app.scenarios.running.recorder import describe_error
from app.scenarios.language.registry import DATATABLE, INITIAL, THEN
from app.scenarios.running.sandbox import SandboxBase, SandboxFactory
from app.scenarios.running.services import ScenarioServices
from app.services.processes.coverage import CoverageReport, collect

StepListener = Callable[[int, dict[str, Any]], None]


@dataclass
class ScenarioOutcome:
    status: str = "not_run"
    steps: list[dict[str, Any]] = field(default_factory=list)
    #: process id → {"name", "content_hash", "flows", "tasks", "cases"}: where the cases went
    path: dict[str, Any] = field(default_factory=dict)
    coverage: CoverageReport = field(default_factory=CoverageReport)
    message: str | None = None
    seconds: float = 0.0


def resident_mb() -> float | None:
    """The process's resident memory in MB (Linux), None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def initial_steps(scenario: ScenarioText) -> list[dict[str, Any]]:
    return [{"keyword": s.keyword, "text": s.text, "line": s.line, "status": "not_run", "expected": None,
             "actual": None} for s in scenario.steps]


def _path(report: CoverageReport) -> dict[str, Any]:
    return {entry.process_id: {"name": entry.name, "content_hash": entry.content_hash,
                               "flows": sorted(entry.covered_flows), "tasks": sorted(entry.covered_tasks),
                               "cases": entry.cases}
            for entry in report.by_process() if entry.cases}


def run_scenario(factory: SandboxFactory, base: SandboxBase, scenario: ScenarioText, checked: CheckedScenario,
                 *, budget_seconds: float, budget_mb: float | None = None,
                 on_step: StepListener | None = None) -> ScenarioOutcome:
    """Run one checked scenario in a fresh sandbox of ``base``."""
    outcome = ScenarioOutcome(steps=initial_steps(scenario))
    started = time.monotonic()
    notify = on_step or (lambda _index, _step: None)
    if any(m is None for m in checked.matches):
        outcome.status, outcome.message = "error", "场景中有步骤目录里没有的句子，未运行"
        return outcome
    with factory.open(base) as sandbox:
        services = ScenarioServices(sandbox.app)
        values: dict[str, Any] = {"services": services, **INITIAL}
        outcome.status = "passed"
        for index, (line, match) in enumerate(zip(scenario.steps, checked.matches, strict=True)):
            assert match is not None
            record = outcome.steps[index]
            if time.monotonic() - started > budget_seconds:
                outcome.status = "error"
                outcome.message = f"超出时间预算（{budget_seconds:g} 秒），其余步骤未执行"
                break
            memory = resident_mb() if budget_mb is not None else None
            if memory is not None and budget_mb is not None and memory > budget_mb:
                outcome.status = "error"
                outcome.message = f"超出内存预算（{budget_mb:g} MB，当前 {memory:.0f} MB），其余步骤未执行"
                break
            record["status"] = "running"
            notify(index, record)
            arguments = {**values, **match.values}
            if DATATABLE in match.step.parameters:
                arguments[DATATABLE] = line.datatable or []
            try:
                produced = match.step.call(arguments)
            except Exception as err:  # a step's failure, whatever it is, is the scenario's result
                record["status"] = "failed"
                sentence = f"{line.keyword}{line.text}"
                record["expected"] = sentence if line.kind == THEN else f"顺利完成：{sentence}"
                record["actual"] = describe_error(err)
                outcome.status = "failed"
                notify(index, record)
                break
            if match.step.produces is not None:
                values[match.step.produces] = produced
            record["status"] = "passed"
            notify(index, record)
        try:
            report = services.read(lambda session: collect(session, services.runtime))
        except Exception as err:  # the path is a bonus: a scenario's result never depends on it
            report = CoverageReport()
            outcome.message = outcome.message or f"未能读取办件路径：{type(err).__name__}"
        outcome.coverage = report
        outcome.path = _path(report)
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome
