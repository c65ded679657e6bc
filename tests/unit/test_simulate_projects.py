"""``scripts/simulate_projects.py`` runs: one project of each type end to end, figures printed.

Only the figures' presence and the projects' outcome are checked here; the targets themselves
(state size, step time) are read from the script's output, never asserted by a timed test.
"""
from __future__ import annotations

import gc
import re
import runpy
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "simulate_projects.py"


def test_the_simulation_runs_every_project_to_its_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--projects", "1", "--no-naive", "--db-dir", str(tmp_path)])
    try:
        runpy.run_path(str(SCRIPT), run_name="__main__")  # asserts that every project ends 准予许可
    finally:
        gc.unfreeze()  # the script freezes what its set-up built, as the service does
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"projects=2 max_state_kb=\d+ max_step_ms=\d+", lines[-1]), lines[-1]
    assert sum(line.startswith("  ") and "limit" in line and "used" in line for line in lines) == 2 * (4 + 1)
    assert sum(line.strip().startswith("stage ") for line in lines) == 4
