"""The suite's own layout: test modules share helpers through ``tests/support/`` only, never by
importing one another (nor ``tests/conftest.py``), and the scenarios' steps live in the app."""
from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
IMPORT = re.compile(r"^\s*(?:from|import) (tests(?:\.\w+)*)", re.M)


def test_test_modules_import_only_the_support_package():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for module in IMPORT.findall(path.read_text(encoding="utf-8")):
            if not module.startswith("tests.support"):
                offenders.append(f"{path.relative_to(TESTS)}: {module}")
    assert offenders == []


def test_no_step_is_defined_in_the_tests():
    """Steps belong to the app's vocabulary (tests/steps.py only binds them): a step written in a
    test module would run under pytest and be missing from the catalogue and any other runner."""
    for path in TESTS.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^@(given|when|then)\(", text, re.M), f"{path.relative_to(TESTS)} 定义了步骤"
