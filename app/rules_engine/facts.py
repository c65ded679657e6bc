"""Validate facts against a ruleset's schema before they reach the engine.

The C engine compares ``"9" > 10`` as a match, crashes on a list, and accepts any key; so
nothing reaches it that this module has not checked: an object, only declared names, every
required fact present, exact types (``true`` is not an integer, ``"9"`` is not an integer),
enum values, integer bounds and string lengths. Work is bounded: a 10 MB string is rejected by
its length, and messages quote at most a few characters of a value.
"""
from __future__ import annotations

from collections.abc import Mapping

from app.domain.errors import InvalidInput
from app.domain.design.rule_decision import FactValue
from app.rules_engine.spec import INT_LIMIT, FactSpec, RulesetSpec, described, preview, value_kind

CODE = "invalid_facts"


def _fail(spec: RulesetSpec, message: str, field: str | None, reason: str,
          **details: object) -> InvalidInput:
    return InvalidInput(CODE, message, ruleset=spec.name, field=field, reason=reason, **details)


def validate_facts(spec: RulesetSpec, raw: object) -> dict[str, FactValue]:
    """Return the facts in schema order with defaults filled in, or raise ``InvalidInput``."""
    if not isinstance(raw, Mapping):
        raise _fail(spec, f"规则集「{spec.title}」的事实必须是对象（键值对），收到的是{value_kind(raw)}",
                    None, "not_object", got=value_kind(raw))
    declared = {fact.name: fact for fact in spec.facts}
    for key in raw:  # stops at the first unknown name, however many keys were sent
        if not isinstance(key, str) or key not in declared:
            field = key[:64] if isinstance(key, str) else None  # never echo a huge key
            raise _fail(spec, f"未知的事实 {preview(key)}：规则集「{spec.title}」只接受 "
                        f"{', '.join(declared)}", field, "unknown", allowed=list(declared))
    facts: dict[str, FactValue] = {}
    for fact in spec.facts:
        if fact.name not in raw:
            if fact.required:
                raise _fail(spec, f"缺少必填事实「{fact.title}」({fact.name})", fact.name,
                            "missing")
            facts[fact.name] = fact.fallback
            continue
        facts[fact.name] = check_value(spec, fact, raw[fact.name])
    return facts


def check_value(spec: RulesetSpec, fact: FactSpec, value: object) -> FactValue:
    """One fact value, checked for exact type and bounds."""
    label = f"事实「{fact.title}」({fact.name})"
    got = f"收到{described(value)}"
    if fact.type == "bool":
        if type(value) is not bool:
            raise _fail(spec, f"{label} 应为布尔值 true/false，{got}", fact.name, "type",
                        expected="bool", got=value_kind(value))
        return value
    if fact.type == "int":
        if type(value) is not int:
            raise _fail(spec, f"{label} 应为整数，{got}", fact.name, "type",
                        expected="int", got=value_kind(value))
        low = fact.min if fact.min is not None else -INT_LIMIT
        high = fact.max if fact.max is not None else INT_LIMIT
        if value < low:
            raise _fail(spec, f"{label} 不能小于 {low}，{got}", fact.name, "range", min=low)
        if value > high:
            raise _fail(spec, f"{label} 不能大于 {high}，{got}", fact.name, "range", max=high)
        return value
    if type(value) is not str:
        raise _fail(spec, f"{label} 应为字符串，{got}", fact.name, "type",
                    expected="str", got=value_kind(value))
    if fact.type == "enum":
        # Compare lengths first, so an oversized string is never hashed or scanned.
        if len(value) > max(map(len, fact.values)) or value not in fact.values:
            raise _fail(spec, f"{label} 只能取 {'、'.join(fact.values)}，{got}", fact.name,
                        "enum", allowed=list(fact.values))
        return value
    limit = fact.max_length or 0
    if len(value) > limit:
        raise _fail(spec, f"{label} 超过最大长度 {limit} 个字符（收到 {len(value)} 个字符）",
                    fact.name, "too_long", max_length=limit, length=len(value))
    if "\x00" in value:
        raise _fail(spec, f"{label} 含有不允许的控制字符 NUL", fact.name, "control_char")
    return value
