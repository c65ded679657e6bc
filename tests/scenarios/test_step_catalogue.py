"""The shared step vocabulary: every step is catalogued, explained in Chinese, and the feature
files are grouped by subject and written in Chinese Gherkin."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from pytest_bdd.steps import step_function_context_registry

from app.cli import main
from app.scenarios.language.catalogue import load_catalogue

FEATURES = Path(__file__).resolve().parents[1] / "features"
SUBJECTS = {"受理", "审查", "现场核查", "时限", "并联审批", "工程建设项目", "效能", "电子证照", "监管推送", "审计"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _bound_steps() -> set[tuple[str | None, str]]:
    """The steps pytest-bdd runs the scenarios with (bound by tests/steps.py)."""
    return {(c.type, c.parser.name) for c in list(step_function_context_registry.values())
            if c.step_func.__module__.startswith("app.scenarios.vocabulary.")}


def test_every_step_the_scenarios_run_with_is_in_the_catalogue_with_a_chinese_explanation():
    sections = load_catalogue()
    entries = [entry for section in sections for entry in section.entries]
    assert {(e.kind, e.pattern) for e in entries} == _bound_steps()
    assert len(entries) == len({(e.kind, e.pattern) for e in entries}), "同一句子在目录中出现两次"
    for entry in entries:
        assert CJK.search(entry.doc), f"{entry.module}.{entry.function} 缺少中文说明（docstring 即目录条目）"
    for section in sections:
        assert CJK.search(section.title) and section.entries, section.module


def test_the_steps_command_writes_markdown_and_html(tmp_path):
    result = CliRunner().invoke(main, ["scenarios", "steps"])
    assert result.exit_code == 0 and result.output.startswith("# 步骤目录")
    assert "- **假如** 综合窗口收到“〈applicant〉”申请“〈item〉”的全部材料" in result.output
    assert "办理过程记录了〈count：整数〉条“〈action〉”事件" in result.output
    page = tmp_path / "steps.html"
    result = CliRunner().invoke(main, ["scenarios", "steps", "--format", "html", "-o", str(page)])
    assert result.exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<title>步骤目录" in html and "审计链完整" in html and "重新计算整条审计哈希链" in html


def test_features_are_grouped_by_subject_and_written_in_chinese():
    files = sorted(FEATURES.rglob("*.feature"))
    assert files
    for path in files:
        relative = path.relative_to(FEATURES)
        assert len(relative.parts) >= 2 and relative.parts[0] in SUBJECTS, f"{relative} 不在按主题划分的目录中"
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert "# language: zh-CN" in head, f"{relative} 第一行应为 # language: zh-CN"
