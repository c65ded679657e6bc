"""The path coverage the scenarios reach on the shipped processes (runs after test_features.py).

Target: every sequence flow and every task of every diagram in processes/ is exercised by some
scenario. Flows and tasks no scenario reaches yet are listed by id in ``KNOWN_GAPS``; the test
fails both when a new gap appears and when a listed gap gets covered (then delete it here).
The figures themselves are printed at the end of every run ("流程路径覆盖率").
"""
from __future__ import annotations

from pathlib import Path

import pytest

from app.scenarios.running.recorder import ScenarioRecorder

PROCESSES = Path(__file__).resolve().parents[2] / "processes"

#: process id → ids of sequence flows and tasks that no scenario exercises yet
KNOWN_GAPS: dict[str, set[str]] = {}


def test_scenarios_cover_every_flow_and_task_of_the_shipped_processes(request):
    recorder = ScenarioRecorder.installed(request.config)
    if not recorder.all_ran():
        pytest.skip("只运行了部分场景（或场景尚未运行），不能据此判断覆盖率")
    shipped = {p.stem for p in PROCESSES.glob("*.bpmn")}
    measured = {entry.process_id: entry for entry in recorder.coverage.by_process()}
    assert shipped <= measured.keys(), f"这些流程没有部署到场景数据库：{sorted(shipped - measured.keys())}"
    gaps = {}
    for process_id in sorted(shipped):
        entry = measured[process_id]
        uncovered = {fid for fid, _ in entry.uncovered_flows()} | {tid for tid, _ in entry.uncovered_tasks()}
        if uncovered:
            gaps[process_id] = uncovered
    assert gaps == KNOWN_GAPS, "\n".join(
        ["场景未覆盖的流转和任务与 KNOWN_GAPS 不一致：", *recorder.coverage.lines()])
