"""A pytest plugin that records each scenario as an auditor reads it, and the path coverage.

Registered by ``tests/conftest.py`` in every run (``make test`` prints the coverage figures)
and by ``oneseal scenarios run`` (which writes the reports). For each scenario it keeps the
steps in order with their status; for a failed step, what was expected and what happened,
in Chinese. After each scenario it reads every case's saved workflow from that scenario's
database and adds the flows and tasks exercised to the coverage of each deployed process.
"""
from __future__ import annotations

from typing import Any

from app.domain.errors import OneSealError
from app.scenarios.running.expect import ExpectationFailed
from app.scenarios.reports.results import ScenarioResult, StepResult
from app.services.processes.coverage import CoverageReport, collect

PLUGIN_NAME = "oneseal-scenarios"


def describe_error(exc: BaseException) -> str:
    """What happened, in the words an auditor reads."""
    if isinstance(exc, OneSealError):
        return f"系统拒绝：{exc.message}（{exc.code}）"
    if isinstance(exc, ExpectationFailed):
        return str(exc) or "检查不成立"
    if isinstance(exc, AssertionError):
        return _assertion_text(str(exc).strip())
    return f"{type(exc).__name__}：{exc}"


def _assertion_text(text: str) -> str:
    """pytest's ``<message>\nassert <explanation>`` without the Python: the explanation lines,
    after the step's own message when that says something the explanation does not."""
    if text.startswith("assert "):
        head, explanation = "", text[len("assert "):]
    else:
        head, found, explanation = text.partition("\nassert ")
        if not found:
            return text or "检查不成立"
    body = "\n".join(line.strip() for line in explanation.splitlines())
    return body if not head or head in body else f"{head}\n{body}"


def _example_of(item: Any) -> dict[str, str]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params.get("_pytest_bdd_example", {})) if callspec is not None else {}


class ScenarioRecorder:
    """Keeps a :class:`ScenarioResult` per scenario item and a merged :class:`CoverageReport`."""

    def __init__(self, *, print_coverage: bool = True) -> None:
        self.print_coverage = print_coverage
        self.results: dict[str, ScenarioResult] = {}
        self.coverage = CoverageReport()
        self.finished: set[str] = set()
        self._cursor: dict[str, int] = {}

    @classmethod
    def installed(cls, config: Any) -> ScenarioRecorder:
        """The recorder of this pytest run, registering one if the caller did not."""
        for plugin in config.pluginmanager.get_plugins():
            if isinstance(plugin, cls):
                return plugin
        recorder = cls()
        config.pluginmanager.register(recorder, PLUGIN_NAME)
        return recorder

    @property
    def scenarios(self) -> list[ScenarioResult]:
        return list(self.results.values())

    def all_ran(self) -> bool:
        """Every collected scenario has run (so the coverage speaks for the whole suite)."""
        return bool(self.results) and self.finished >= self.results.keys()

    # -- collection: one placeholder per scenario, so a scenario that never starts still shows

    def pytest_collection_finish(self, session: Any) -> None:
        # imported here: the scenario runner creates this plugin before pytest loads pytest-bdd
        from pytest_bdd.scenario import scenario_wrapper_template_registry
        from pytest_bdd.utils import registry_get_safe

        for item in session.items:
            template = registry_get_safe(scenario_wrapper_template_registry, getattr(item, "obj", None))
            if template is None:
                continue
            example = _example_of(item)
            scenario = template.render(example)
            self.results[item.nodeid] = ScenarioResult(
                node_id=item.nodeid, feature=scenario.feature.name,
                feature_file=scenario.feature.rel_filename, name=scenario.name, example=example,
                steps=[StepResult(step.keyword.strip(), step.name) for step in scenario.steps])

    # -- pytest-bdd hooks

    def pytest_bdd_before_scenario(self, request: Any, feature: Any, scenario: Any) -> None:
        node = request.node
        self._cursor[node.nodeid] = 0
        node.user_properties += [("功能", feature.name), ("场景", scenario.name)]

    def pytest_bdd_before_step(self, request: Any, feature: Any, scenario: Any, step: Any,
                               step_func: Any) -> None:
        self._cursor[request.node.nodeid] = self._cursor.get(request.node.nodeid, 0) + 1

    def _step(self, request: Any, offset: int = 0) -> StepResult | None:
        result = self.results.get(request.node.nodeid)
        index = self._cursor.get(request.node.nodeid, 0) - 1 + offset
        if result is None or not 0 <= index < len(result.steps):
            return None
        return result.steps[index]

    def pytest_bdd_after_step(self, request: Any, **_: Any) -> None:
        step = self._step(request)
        if step is not None:
            step.status = "passed"

    def pytest_bdd_step_error(self, request: Any, step: Any, exception: BaseException, **_: Any) -> None:
        recorded = self._step(request)
        if recorded is None:
            return
        recorded.status = "failed"
        sentence = f"{recorded.keyword}{recorded.text}"
        recorded.expected = sentence if step.type == "then" else f"顺利完成：{sentence}"
        recorded.actual = describe_error(exception)

    def pytest_bdd_step_func_lookup_error(self, request: Any, step: Any, **_: Any) -> None:
        recorded = self._step(request, offset=1)
        if recorded is None:
            return
        recorded.status = "undefined"
        recorded.expected = f"步骤目录中有一个步骤能匹配：“{step.name}”"
        recorded.actual = "没有匹配的步骤：请对照步骤目录改写此句，或请开发人员补充步骤"

    def pytest_bdd_after_scenario(self, request: Any, **_: Any) -> None:
        if "services" not in request.fixturenames:
            return
        services = request.getfixturevalue("services")
        self.coverage.merge(services.read(lambda session: collect(session, services.runtime)))

    # -- pytest hooks

    def pytest_runtest_logreport(self, report: Any) -> None:
        result = self.results.get(report.nodeid)
        if result is None:
            return
        if report.when == "call":
            result.seconds = report.duration
            result.status = {"passed": "passed", "failed": "failed"}.get(report.outcome, "skipped")
        elif report.outcome == "failed" and report.when == "setup":
            result.status, result.message = "error", f"场景无法开始：{report.longreprtext[-2000:]}"
        elif report.outcome == "failed" and report.when == "teardown" and result.status == "passed":
            result.status, result.message = "error", f"场景收尾出错：{report.longreprtext[-2000:]}"
        elif report.outcome == "skipped" and report.when == "setup":
            result.status = "skipped"
        if report.when == "teardown":
            self.finished.add(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.print_coverage or not self.coverage.processes or not self.finished:
            return
        terminalreporter.write_sep("-", "流程路径覆盖率（本次运行的场景）")
        for line in self.coverage.lines():
            terminalreporter.write_line(line)
