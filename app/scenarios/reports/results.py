"""What a scenario run produced: each scenario, its steps, and what failed, in Chinese."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCENARIO_STATUS = {"passed": "通过", "failed": "失败", "error": "出错", "skipped": "跳过",
                   "not_run": "未运行", "running": "运行中"}
STEP_STATUS = {"passed": "通过", "failed": "失败", "undefined": "未定义", "not_run": "未执行",
               "running": "运行中"}


@dataclass
class StepResult:
    keyword: str
    text: str
    status: str = "not_run"
    #: for a failed step: what the scenario expected and what happened instead
    expected: str | None = None
    actual: str | None = None

    @property
    def status_label(self) -> str:
        return STEP_STATUS[self.status]


@dataclass
class ScenarioResult:
    node_id: str
    feature: str
    feature_file: str
    name: str
    #: the row of an outline's examples this run used (empty for a plain scenario)
    example: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    status: str = "not_run"
    #: why the scenario could not run at all (a setup error), in Chinese
    message: str | None = None
    seconds: float = 0.0

    @property
    def status_label(self) -> str:
        return SCENARIO_STATUS[self.status]


@dataclass
class RunSummary:
    """A whole run: when, on which feature paths, and each scenario."""

    started_at: str
    finished_at: str
    paths: list[str]
    scenarios: list[ScenarioResult]

    def count(self, status: str) -> int:
        return sum(1 for s in self.scenarios if s.status == status)

    @property
    def ok(self) -> bool:
        return bool(self.scenarios) and all(s.status in ("passed", "skipped") for s in self.scenarios)

    def by_feature(self) -> list[tuple[str, str, list[ScenarioResult]]]:
        """(feature file, feature name, its scenarios) in the order they ran."""
        groups: dict[str, tuple[str, list[ScenarioResult]]] = {}
        for scenario in self.scenarios:
            groups.setdefault(scenario.feature_file, (scenario.feature, []))[1].append(scenario)
        return [(path, name, items) for path, (name, items) in groups.items()]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        scenarios = [ScenarioResult(**{**s, "steps": [StepResult(**step) for step in s["steps"]]})
                     for s in data["scenarios"]]
        return cls(started_at=data["started_at"], finished_at=data["finished_at"],
                   paths=list(data["paths"]), scenarios=scenarios)
