"""The condition vocabulary of rule files: parse and check ``when``, and render it in Chinese.

A condition is either a comparison ``{ fact = "departments_involved", op = ">", value = 1 }``
or a group ``{ all = [ ... ] }`` / ``{ any = [ ... ] }`` of conditions (nesting allowed, up to
``MAX_DEPTH`` levels). Operators: ``== != > >= < <= in``; which ones apply depends on the fact's
type (``OPS_BY_TYPE``); ``in`` takes a non-empty list of alternatives.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from app.rules_engine.spec import (
    INT_LIMIT,
    OPS,
    OPS_BY_TYPE,
    TYPE_TITLES,
    Comparison,
    Condition,
    FactSpec,
    Group,
    preview,
    value_kind,
)

MAX_DEPTH = 4
MAX_ITEMS = 32
MAX_ALTERNATIVES = 64

Report = Callable[[str, str], None]
"""Called with (code, Chinese message) for each problem found."""


def value_problem(fact: FactSpec, value: object) -> str | None:
    """Why ``value`` cannot be a value of ``fact`` (Chinese), or None when it can."""
    if fact.type == "bool":
        return None if type(value) is bool else "应为布尔值 true/false"
    if fact.type == "int":
        if type(value) is not int:
            return "应为整数"
        return None if abs(value) <= INT_LIMIT else "整数超出允许范围"
    if type(value) is not str:
        return "应为字符串"
    if fact.type == "enum":
        return None if value in fact.values else "应为 " + "、".join(fact.values) + " 之一"
    if fact.max_length is not None and len(value) > fact.max_length:
        return f"长度不能超过 {fact.max_length} 个字符"
    return None


def parse_condition(raw: object, facts: Mapping[str, FactSpec], report: Report,
                    depth: int = 1) -> Condition | None:
    """Check one condition from a rule file; returns None (after reporting) when it is invalid."""
    if not isinstance(raw, dict):
        report("rule_bad_condition",
               f"条件应为表，如 {{ all = [...] }} 或 {{ fact = ..., op = ..., value = ... }}，"
               f"实际为{value_kind(raw)}")
        return None
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        return _parse_group(raw, facts, report, depth)
    if "fact" in keys or "op" in keys or "value" in keys:
        if keys != {"fact", "op", "value"}:
            extra = sorted(keys - {"fact", "op", "value"})
            missing = sorted({"fact", "op", "value"} - keys)
            detail = f"缺少 {', '.join(missing)}" if missing else f"多余的键 {', '.join(extra)}"
            report("rule_bad_condition", f"比较条件必须恰好有 fact、op、value 三个键（{detail}）")
            return None
        return _parse_comparison(raw, facts, report)
    report("rule_bad_condition",
           f"无法识别的条件键 {', '.join(sorted(map(str, keys))) or '（空）'}；"
           "应为 all、any，或 fact/op/value")
    return None


def _parse_group(raw: dict, facts: Mapping[str, FactSpec], report: Report,
                 depth: int) -> Group | None:
    kind = next(iter(raw))
    items = raw[kind]
    if depth > MAX_DEPTH:
        report("rule_bad_condition", f"条件嵌套超过 {MAX_DEPTH} 层")
        return None
    if not isinstance(items, list) or not items:
        report("rule_bad_condition", f"{kind} 应为非空列表")
        return None
    if len(items) > MAX_ITEMS:
        report("rule_bad_condition", f"{kind} 中的条件不能超过 {MAX_ITEMS} 个")
        return None
    parsed = [parse_condition(item, facts, report, depth + 1) for item in items]
    if any(p is None for p in parsed):
        return None
    return Group(kind, tuple(p for p in parsed if p is not None))


def _parse_comparison(raw: dict, facts: Mapping[str, FactSpec],
                      report: Report) -> Comparison | None:
    name, op, value = raw["fact"], raw["op"], raw["value"]
    if not isinstance(name, str) or name not in facts:
        report("rule_unknown_fact",
               f"引用了未声明的事实 {preview(name)}（已声明：{', '.join(facts)}）")
        return None
    fact = facts[name]
    if op not in OPS:
        report("rule_bad_op", f"未知运算符 {preview(op)}（允许：{' '.join(OPS)}）")
        return None
    allowed = OPS_BY_TYPE[fact.type]
    if op not in allowed:
        report("rule_bad_op",
               f"事实 {name} 是{TYPE_TITLES[fact.type]}，不支持运算符 {op}（允许：{' '.join(allowed)}）")
        return None
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > MAX_ALTERNATIVES:
            report("rule_bad_value",
                   f"事实 {name} 的 in 比较值应为非空列表（最多 {MAX_ALTERNATIVES} 项），"
                   f"实际为{value_kind(value)}")
            return None
        for item in value:
            problem = value_problem(fact, item)
            if problem:
                report("rule_bad_value",
                       f"事实 {name} 的比较值 {preview(item)}（{value_kind(item)}）无效：{problem}")
                return None
        return Comparison(name, op, tuple(value))
    problem = value_problem(fact, value)
    if problem:
        report("rule_bad_value",
               f"事实 {name} 的比较值 {preview(value)}（{value_kind(value)}）无效：{problem}")
        return None
    return Comparison(name, op, value)


def render_condition(condition: Condition, facts: Mapping[str, FactSpec], top: bool = True) -> str:
    """Chinese rendering for display, e.g. ``涉及部门数 > 1 或 并联审批 == true``."""
    if isinstance(condition, Comparison):
        title = facts[condition.fact].title if condition.fact in facts else condition.fact
        if isinstance(condition.value, tuple):  # ``in``: the alternatives
            values = "、".join(json.dumps(v, ensure_ascii=False) for v in condition.value)
            return f"{title} 属于 [{values}]"
        return f"{title} {condition.op} {json.dumps(condition.value, ensure_ascii=False)}"
    joiner = " 且 " if condition.kind == "all" else " 或 "
    text = joiner.join(render_condition(c, facts, top=False) for c in condition.items)
    return text if top or len(condition.items) == 1 else f"（{text}）"
