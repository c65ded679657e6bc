"""Reading and checking scenario text outside pytest: keywords, backgrounds, outlines, tables, and
every problem on its line."""
from __future__ import annotations

import glob

import pytest

from app.scenarios.language.checking import KnownNames, check_text
from app.scenarios.language.gherkin_text import TextRefused, read_feature
from app.scenarios.language.matching import match_step
from app.scenarios.language.registry import GIVEN, THEN, WHEN

OUTLINE = """# language: zh-CN
@冒烟
功能: 大纲与背景
  背景:
    假如今天是“2026-03-02”

  @时限
  场景大纲: 过了若干工作日
    当过了<天数>个工作日
    而且后台任务运行一轮
    但是办件的时限正常

    例子:
      | 天数 |
      | 1    |
      | 3    |
"""


def test_backgrounds_come_first_and_each_example_row_is_a_scenario():
    feature = read_feature(OUTLINE)
    assert feature.ok and feature.name == "大纲与背景" and feature.tags == ("冒烟",)
    assert [s.name for s in feature.scenarios] == ["过了若干工作日", "过了若干工作日"]
    first, second = feature.scenarios
    assert first.tags == ("冒烟", "时限") and first.example == {"天数": "1"} and second.example == {"天数": "3"}
    assert [(s.keyword, s.kind, s.text, s.line) for s in second.steps] == [
        ("假如", GIVEN, "今天是“2026-03-02”", 5), ("当", WHEN, "过了3个工作日", 9),
        ("而且", WHEN, "后台任务运行一轮", 10), ("但是", WHEN, "办件的时限正常", 11)]


def test_a_conjunction_takes_the_kind_before_it_and_a_table_comes_with_its_step():
    text = ("# language: zh-CN\n功能: 表格\n  场景: 事项\n    假如综合窗口收到“甲”申请“食品经营许可”的全部材料\n"
            "    那么办件状态为“审查中”\n    而且办件包含以下事项：\n      | 事项 | 部门 |\n      | 甲 | 乙 |\n")
    steps = read_feature(text).scenarios[0].steps
    assert [s.kind for s in steps] == [GIVEN, THEN, THEN]
    assert steps[2].datatable == [["事项", "部门"], ["甲", "乙"]]


def test_problems_of_form_name_their_line():
    assert read_feature("功能: 缺少语言行\n  场景: x\n    假如今天是“2026-03-02”\n").problems[0].code == "language_missing"
    broken = read_feature("# language: zh-CN\n功能: x\n  场景: y\n    假如今天是“2026-03-02”\n  乱写一行\n")
    assert broken.problems[0].line == 5 and "第 5 行无法识别" in broken.problems[0].message
    assert read_feature("# language: zh-CN\n功能: 空\n").problems[0].code == "no_scenario"
    with pytest.raises(TextRefused):
        read_feature("# language: zh-CN\n" + "x" * 70_000)


def test_the_most_specific_sentence_wins():
    match = match_step(WHEN, "“window”办理“出件”环节，填写certificate_no为“A1”，意见为“同意”")
    assert match is not None and match.step.name == "work_with_field_and_opinion"
    assert match.values == {"username": "window", "step": "出件", "field_name": "certificate_no", "value": "A1",
                            "opinion": "同意"}
    assert match_step(WHEN, "过了3个工作日").values == {"days": 3}
    assert match_step(GIVEN, "过了3个工作日") is None


def test_a_step_that_needs_a_table_without_one_is_a_problem():
    text = "# language: zh-CN\n功能: x\n  场景: y\n    那么办件包含以下事项：\n"
    [problem] = check_text(text, KnownNames()).problems
    assert problem.code == "table_expected" and problem.line == 4


@pytest.mark.parametrize("path", sorted(glob.glob("tests/features/**/*.feature", recursive=True)))
def test_every_shipped_scenario_reads_and_matches_the_vocabulary(path):
    with open(path, encoding="utf-8") as handle:
        result = check_text(handle.read(), KnownNames())  # no names known: only the sentences are checked
    assert result.ok, [p.message for p in result.problems]
    assert all(m is not None for c in result.checked for m in c.matches)
