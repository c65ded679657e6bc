"""Run scenarios outside the developer workflow: pytest driven in-process, reports written.

The scenarios run exactly as in ``make test``: the same step definitions, the real diagrams,
rules, catalogue and calendar, a fresh database per scenario. ``tests/bdd/test_features.py``
binds the feature paths named in :data:`PATHS_ENV` (all of ``tests/features`` when unset), so a
feature file written anywhere runs without code changes as long as its sentences are in the
step catalogue.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.config import ROOT
from app.domain.timing.clock import BUREAU_ZONE
from app.domain.errors import InvalidInput
from app.scenarios.reports.results import RunSummary
from app.services.processes.coverage import CoverageReport

#: feature files or folders for ``tests/bdd/test_features.py`` to bind, joined by os.pathsep
PATHS_ENV = "ONESEAL_SCENARIO_PATHS"
FEATURES_DIR = ROOT / "tests" / "features"
SCENARIO_MODULE = ROOT / "tests" / "bdd" / "test_features.py"
DATABASE_ENV = "ONESEAL_DATABASE_URL"


class ScenarioSetupError(InvalidInput):
    """The scenarios cannot run here (no checkout, no test dependencies, no such path)."""


@dataclass
class RunOutcome:
    exit_code: int
    summary: RunSummary
    coverage: CoverageReport


def _now() -> str:
    return datetime.now(BUREAU_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def check_paths(paths: list[Path]) -> list[Path]:
    """Absolute feature paths; each must be a .feature file or a folder holding some."""
    if not SCENARIO_MODULE.is_file():
        raise ScenarioSetupError("scenarios_need_checkout",
                                 f"需要在代码仓库中运行（找不到 {SCENARIO_MODULE}）")
    checked = []
    for path in paths or [FEATURES_DIR]:
        path = path.resolve()
        if path.is_file() and path.suffix == ".feature":
            checked.append(path)
        elif path.is_dir() and any(path.rglob("*.feature")):
            checked.append(path)
        else:
            raise ScenarioSetupError("scenario_path_invalid",
                                     f"找不到场景文件：{path}（应为 .feature 文件或包含它们的目录）")
    return checked


def run_scenarios(paths: list[Path], output: Path, *, database_url: str | None = None,
                  print_coverage: bool = True) -> RunOutcome:
    """Run the scenarios of ``paths`` and write the reports into ``output``.

    ``database_url`` names a PostgreSQL server on which a throwaway database is created for the
    run; by default each scenario gets its own SQLite file. The exit code is pytest's: 0 when
    every scenario passed, 1 when some failed, other values when the run itself failed.
    """
    from app.scenarios.language.catalogue import load_catalogue
    from app.scenarios.running.recorder import ScenarioRecorder
    from app.scenarios.reports.report import JUNIT_XML, write_run, write_steps

    try:
        import pytest
    except ImportError:  # pragma: no cover - the test extra is installed by `make install`
        raise ScenarioSetupError("scenarios_need_pytest", "缺少测试依赖，请先运行 make install") from None
    checked = check_paths(paths)
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    os.environ[PATHS_ENV] = os.pathsep.join(map(str, checked))
    if database_url:
        os.environ[DATABASE_ENV] = database_url
    else:
        os.environ.pop(DATABASE_ENV, None)  # never the configured (production) database
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    recorder = ScenarioRecorder(print_coverage=print_coverage)
    started = _now()
    exit_code = int(pytest.main(
        [str(SCENARIO_MODULE), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
         f"--junitxml={output / JUNIT_XML}", "-o", "junit_suite_name=OneSeal场景",
         "-o", "junit_logging=no", "--no-header"],
        plugins=[recorder]))
    summary = RunSummary(started_at=started, finished_at=_now(), paths=[str(p) for p in checked],
                         scenarios=recorder.scenarios)
    write_run(output, summary, recorder.coverage)
    write_steps(output, load_catalogue())
    return RunOutcome(exit_code, summary, recorder.coverage)
