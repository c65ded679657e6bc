"""Binds the Chinese scenarios to pytest: every subject folder under tests/features/.

``oneseal scenarios run PATH…`` narrows this to the given feature files or folders (passed in
``ONESEAL_SCENARIO_PATHS``), which may lie anywhere: a new scenario written only with sentences
of the step catalogue runs without code changes.
"""
import os
from pathlib import Path

from pytest_bdd import scenarios

from app.scenarios.running.runner import PATHS_ENV

FEATURES = Path(__file__).resolve().parents[1] / "features"
SUBJECTS = sorted(str(d) for d in FEATURES.iterdir() if d.is_dir() and any(d.rglob("*.feature")))

scenarios(*(os.environ[PATHS_ENV].split(os.pathsep) if os.environ.get(PATHS_ENV) else SUBJECTS))
