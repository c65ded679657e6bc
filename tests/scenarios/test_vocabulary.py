"""The step vocabulary lives in the application: its steps take named values and produce one,
so they run from a plain dict as well as under pytest-bdd, and the application never needs the
tests (nor pytest) to list or run them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import parse
import pytest

from app.scenarios.running.expect import ExpectationFailed
from app.scenarios.language.registry import INITIAL, Vocabulary
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary import steps

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"假如": "given", "当": "when", "那么": "then"}


def run_sentence(keyword: str, sentence: str, values: dict[str, Any]) -> None:
    """Find the one step of the sentence, call it with the scenario's values, keep what it produces."""
    matches = [(s, found) for s in steps() if s.kind == KINDS[keyword]
               for found in [parse.compile(s.pattern).parse(sentence)] if found is not None]
    assert len(matches) == 1, f"{sentence}: {[s.pattern for s, _ in matches]}"
    step, found = matches[0]
    result = step.call({**values, **found.named})
    if step.produces:
        values[step.produces] = result


def test_a_scenario_runs_from_a_dict_of_named_values_without_pytest_bdd(app):
    values: dict[str, Any] = {"services": ScenarioServices(app), **INITIAL}
    run_sentence("假如", "综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料", values)
    assert isinstance(values["case_id"], int)
    run_sentence("当", "“reviewer_market”在“受理”环节作出“受理”决定，意见为“越权”", values)
    run_sentence("那么", "系统拒绝办理，提示“不属于您的角色或部门”", values)
    run_sentence("当", "“window”在“受理”环节作出“受理”决定，意见为“材料齐全”", values)
    assert values["answer"] is None
    run_sentence("那么", "办件状态为“审查中”", values)
    run_sentence("那么", "当前待办环节为“审查”，由“审查股室”办理", values)
    with pytest.raises(ExpectationFailed) as failed:
        run_sentence("那么", "办件状态为“待受理”", values)
    assert str(failed.value) == "实际与预期不符\n实际：'审查中'\n预期：'待受理'"


def test_the_application_lists_its_steps_without_importing_the_tests_or_pytest():
    code = ("import sys\n"
            "from app.scenarios.language.catalogue import load_catalogue\n"
            "sections = load_catalogue()\n"
            "assert sum(len(s.entries) for s in sections) > 80\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tests', 'pytest', '_pytest', 'pytest_bdd'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_module_of_the_application_imports_the_tests():
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "app").rglob("*.py")
                 if any(line.startswith(("from tests", "import tests"))
                        for line in path.read_text(encoding="utf-8").splitlines())]
    assert offenders == []


def _noop(services: Any) -> None:
    """什么也不做。"""


def _wants_a_desk(services: Any, desk: Any) -> None:
    """要一个场景不提供的值。"""


def _fills_the_answer(services: Any, answer: Any) -> None:
    """句子填写场景自己的值。"""


@pytest.mark.parametrize(("pattern", "produces", "function", "complaint"), [
    ("办件{number}", None, _noop, "the function does not take them"),
    ("无事", "desk", _noop, "produces 'desk'"),
    ("无事", None, _wants_a_desk, "neither the sentence nor the scenario gives"),
    ("“{answer}”", None, _fills_the_answer, "may not fill the scenario's own names"),
    ("无事", None, lambda services: None, "docstring"),
])
def test_a_step_whose_sentence_and_function_disagree_is_refused_when_registered(
        pattern, produces, function, complaint):
    with pytest.raises(ValueError, match=complaint):
        Vocabulary().when(pattern, produces=produces)(function)
