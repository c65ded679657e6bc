"""The condition vocabulary, compiled into durable_rules, agrees with a plain Python reading of
the same conditions on every combination of facts (each operator, nesting, first match wins)."""
from __future__ import annotations

import itertools
import operator

import pytest

from app.rules_engine import RulesEngine, load_rules_engine
from app.rules_engine.ruleset_file import load_ruleset_file
from app.rules_engine.spec import Comparison, Condition, RulesetSpec

# Rules are written out of priority order on purpose.
RULES = """
[ruleset]
name = "vocabulary"
title = "条件词汇测试"
version = "0.1"
default_outcome = "o0"
default_basis = "兜底"

[outcomes]
o0 = "默认"
o1 = "一"
o2 = "二"
o3 = "三"
o4 = "四"
o5 = "五"

[facts.n]
type = "int"
min = 0
max = 10
title = "数量"

[facts.level]
type = "enum"
values = ["a", "b", "c"]
title = "级别"

[facts.flag]
type = "bool"
title = "标志"

[facts.tag]
type = "str"
max_length = 10
required = false
default = ""
title = "标签"

[[rules]]
id = "C4"
title = "少且未标记"
priority = 40
outcome = "o4"
basis = "测试"
when = { all = [ { fact = "n", op = "<=", value = 3 }, { fact = "flag", op = "!=", value = true } ] }

[[rules]]
id = "C1"
title = "七或九"
priority = 10
outcome = "o1"
basis = "测试"
when = { any = [ { fact = "n", op = "in", value = [7, 9] } ] }

[[rules]]
id = "C3"
title = "嵌套"
priority = 30
outcome = "o3"
basis = "测试"
when = { any = [
  { all = [ { fact = "n", op = "<", value = 2 }, { fact = "level", op = "in", value = ["b", "c"] } ] },
  { fact = "tag", op = "==", value = "vip" },
] }

[[rules]]
id = "C2"
title = "非 a、多、未标记"
priority = 20
outcome = "o2"
basis = "测试"
when = { all = [
  { fact = "level", op = "!=", value = "a" },
  { fact = "n", op = ">=", value = 5 },
  { fact = "flag", op = "==", value = false },
] }

[[rules]]
id = "C6"
title = "级别 c"
priority = 60
outcome = "o1"
basis = "测试"
when = { all = [ { fact = "level", op = "==", value = "c" } ] }

[[rules]]
id = "C5"
title = "大于八"
priority = 50
outcome = "o5"
basis = "测试"
when = { all = [ { fact = "n", op = ">", value = 8 }, { fact = "tag", op = "in", value = ["", "x"] } ] }
"""

OPS = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
       "<": operator.lt, "<=": operator.le, "in": lambda a, b: a in b}


def holds(condition: Condition, facts: dict) -> bool:
    if isinstance(condition, Comparison):
        return OPS[condition.op](facts[condition.fact], condition.value)
    results = (holds(item, facts) for item in condition.items)
    return all(results) if condition.kind == "all" else any(results)


def reference(spec: RulesetSpec, facts: dict) -> str | None:
    return next((rule.id for rule in spec.rules if holds(rule.when, facts)), None)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[RulesEngine, RulesetSpec]:
    directory = tmp_path_factory.mktemp("vocabulary")
    (directory / "vocabulary.toml").write_text(RULES, encoding="utf-8")
    return load_rules_engine(directory), load_ruleset_file(directory / "vocabulary.toml")


def test_rules_are_kept_in_priority_order(loaded: tuple[RulesEngine, RulesetSpec]) -> None:
    engine, spec = loaded
    assert [r.id for r in spec.rules] == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert [r.id for r in engine.describe("vocabulary").rules] == [r.id for r in spec.rules]


def test_engine_agrees_with_python_on_every_combination(
        loaded: tuple[RulesEngine, RulesetSpec]) -> None:
    engine, spec = loaded
    fired = set()
    for n, level, flag, tag in itertools.product(range(11), "abc", [False, True],
                                                 ["", "vip", "x"]):
        facts = {"n": n, "level": level, "flag": flag, "tag": tag}
        decision = engine.evaluate("vocabulary", facts)
        assert decision.rule_id == reference(spec, facts), facts
        fired.add(decision.rule_id)
    assert fired == {"C1", "C2", "C3", "C4", "C5", "C6", None}


def test_optional_fact_takes_its_default(loaded: tuple[RulesEngine, RulesetSpec]) -> None:
    engine, _ = loaded
    decision = engine.evaluate("vocabulary", {"n": 10, "level": "a", "flag": True})
    assert decision.facts["tag"] == "" and decision.rule_id == "C5"


def test_conditions_render_in_chinese(loaded: tuple[RulesEngine, RulesetSpec]) -> None:
    engine, _ = loaded
    shown = {r.id: r.condition for r in engine.describe("vocabulary").rules}
    assert shown["C1"] == "数量 属于 [7、9]"
    assert shown["C3"] == '（数量 < 2 且 级别 属于 ["b"、"c"]） 或 标签 == "vip"'
    assert shown["C4"] == "数量 <= 3 且 标志 != true"
