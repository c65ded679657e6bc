"""The declarative parts of a rules file: outcomes, the facts schema and the extras."""
from __future__ import annotations

import re
from typing import Any

from app.domain.errors import DataFileError
from app.rules_engine.conditions import value_problem
from app.rules_engine.spec import (
    FACT_TYPES,
    INT_LIMIT,
    RESERVED_FACT_NAMES,
    STR_LIMIT,
    FactSpec,
)

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_FACTS = 24  # the C engine holds at most 32 properties per message, sid and id included
MAX_ENUM_VALUES = 64
FACT_KEYS = {
    "bool": {"type", "title", "required", "default"},
    "int": {"type", "title", "required", "default", "min", "max"},
    "enum": {"type", "title", "required", "default", "values", "labels"},
    "str": {"type", "title", "required", "default", "max_length"},
}
EXTRA_TYPES = ("bool", "int", "str")
EXTRA_STR_LENGTH = 200


class Checker:
    """Collects the problems of one file and finds line numbers by searching its text."""

    def __init__(self, file: str, source: str) -> None:
        self.file = file
        self.lines = source.splitlines()
        self.problems: list[DataFileError] = []

    def add(self, code: str, message: str, *, entry: str | None = None,
            line: int | None = None) -> None:
        self.problems.append(DataFileError(code, message, file=self.file, line=line, entry=entry))

    def line_of(self, pattern: str, nth: int = 0) -> int | None:
        """1-based line of the ``nth`` line matching ``pattern``, or None."""
        regex = re.compile(pattern)
        for number, line in enumerate(self.lines, start=1):
            if regex.search(line):
                if nth == 0:
                    return number
                nth -= 1
        return None

    def key_line(self, key: str) -> int | None:
        return self.line_of(rf"^\s*{re.escape(key)}\s*=")

    def rule_line(self, index: int, rule_id: str | None, nth: int = 0) -> int | None:
        """The line of the ``nth`` ``id = "<rule_id>"``, else of the ``index``-th ``[[rules]]``."""
        if rule_id:
            found = self.line_of(rf"""^\s*id\s*=\s*["']{re.escape(rule_id)}["']""", nth)
            if found:
                return found
        return self.line_of(r"^\s*\[\[\s*rules\s*\]\]", nth=index)

    def table_line(self, table: str, name: str) -> int | None:
        return (self.line_of(rf"^\s*\[\s*{table}\.{re.escape(name)}\s*\]")
                or self.key_line(name))


def text(check: Checker, table: dict, key: str, entry: str, limit: int) -> str:
    """A required non-empty text value of ``table``."""
    value = table.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        check.add("ruleset_bad_header", f"[{entry}] {key} 应为非空文本（最长 {limit} 字）",
                  entry=entry, line=check.key_line(key))
        return ""
    return value


def parse_outcomes(raw: object, check: Checker) -> dict[str, str]:
    """``[outcomes]``: outcome id → Chinese title."""
    if not isinstance(raw, dict) or not raw:
        check.add("ruleset_bad_outcomes", "缺少 [outcomes] 表（结果编号 = 中文名称）",
                  entry="outcomes")
        return {}
    outcomes: dict[str, str] = {}
    for key, title in raw.items():
        if not NAME_RE.match(key) or not isinstance(title, str) or not title.strip():
            check.add("ruleset_bad_outcomes",
                      f"结果 {key} 无效：编号应为小写英文标识，值应为中文名称",
                      entry=f"outcomes.{key}", line=check.key_line(key))
            continue
        outcomes[key] = title
    return outcomes


def parse_facts(raw: object, check: Checker) -> dict[str, FactSpec]:
    """``[facts.<name>]``: the schema every set of facts is validated against."""
    if not isinstance(raw, dict) or not raw:
        check.add("ruleset_bad_facts", "缺少 [facts] 事实声明", entry="facts")
        return {}
    if len(raw) > MAX_FACTS:
        check.add("ruleset_bad_facts", f"事实不能超过 {MAX_FACTS} 个", entry="facts")
        return {}
    facts: dict[str, FactSpec] = {}
    for name, decl in raw.items():
        fact = _parse_fact(name, decl, check)
        if fact is not None:
            facts[name] = fact
    return facts


def _parse_fact(name: str, decl: object, check: Checker) -> FactSpec | None:
    entry = f"facts.{name}"
    line = check.table_line("facts", name)
    before = len(check.problems)

    def bad(message: str) -> None:
        check.add("ruleset_bad_fact", f"事实 {name}：{message}", entry=entry, line=line)

    if not NAME_RE.match(name) or name in RESERVED_FACT_NAMES:
        bad(f"名称应为小写英文标识，且不能是保留名 {', '.join(RESERVED_FACT_NAMES)}")
    if not isinstance(decl, dict):
        bad("声明应为表，如 [facts.risk_level]")
        return None
    kind = decl.get("type")
    if kind not in FACT_TYPES:
        bad(f"type 应为 {' / '.join(FACT_TYPES)} 之一")
        return None
    for key in sorted(set(decl) - FACT_KEYS[kind]):
        bad(f"{kind} 类型的事实不支持键 {key}（允许：{', '.join(sorted(FACT_KEYS[kind]))}）")
    title = decl.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 50:
        bad("title 应为非空中文名称（最长 50 字）")
        title = ""  # reported: the fact is refused
    required = decl.get("required", True)
    if type(required) is not bool:
        bad("required 应为 true 或 false")
    fields: dict[str, Any] = {}
    if kind == "int":
        for key in ("min", "max"):
            if key in decl and (type(decl[key]) is not int or abs(decl[key]) > INT_LIMIT):
                bad(f"{key} 应为整数")
            fields[key] = decl.get(key)
        if (type(fields["min"]) is int and type(fields["max"]) is int
                and fields["min"] > fields["max"]):
            bad("min 不能大于 max")
    elif kind == "enum":
        values = decl.get("values")
        if (not isinstance(values, list) or not values or len(values) > MAX_ENUM_VALUES
                or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in values)
                or len(set(values)) != len(values)):
            bad(f"values 应为不重复的非空字符串列表（最多 {MAX_ENUM_VALUES} 项）")
        else:
            fields["values"] = tuple(values)
            labels = decl.get("labels", {})
            if (not isinstance(labels, dict) or set(labels) - set(values)
                    or not all(isinstance(v, str) and 0 < len(v.strip()) <= 20 for v in labels.values())):
                bad("labels 应为表，键是 values 中的取值，值是不超过 20 字的中文名称")
            else:
                fields["labels"] = tuple((v, labels[v].strip()) for v in values if v in labels)
    elif kind == "str":
        length = decl.get("max_length")
        if type(length) is not int or not 1 <= length <= STR_LIMIT:
            bad(f"max_length 必填，应为 1 到 {STR_LIMIT} 的整数")
        fields["max_length"] = length
    if len(check.problems) > before:
        return None
    fact = FactSpec(name=name, type=kind, title=title, required=required, **fields)
    if not required:
        if "default" not in decl:
            bad("非必填事实必须给出 default（缺省值）")
            return None
        problem = value_problem(fact, decl["default"])
        if problem or not _in_range(fact, decl["default"]):
            bad(f"default 无效：{problem or '超出 min/max 范围'}")
            return None
        fact = FactSpec(name=name, type=kind, title=title, required=False,
                        default=decl["default"], **fields)
    elif "default" in decl:
        bad("必填事实不能有 default；如需缺省值请设 required = false")
        return None
    return fact


def _in_range(fact: FactSpec, value: object) -> bool:
    if fact.type != "int" or not isinstance(value, int):  # a value of another type is refused before
        return True
    return (fact.min is None or value >= fact.min) and (fact.max is None or value <= fact.max)


def parse_extras(raw: object, check: Checker) -> dict[str, FactSpec]:
    """``[extras.<name>]``: flags a rule may set on its decision; each has a type and default."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.add("ruleset_bad_extras", "[extras] 应为表", entry="extras")
        return {}
    extras: dict[str, FactSpec] = {}
    for name, decl in raw.items():
        entry, line = f"extras.{name}", check.table_line("extras", name)
        if (not NAME_RE.match(name) or not isinstance(decl, dict)
                or set(decl) != {"type", "title", "default"} or decl["type"] not in EXTRA_TYPES
                or not isinstance(decl["title"], str) or not decl["title"].strip()):
            check.add("ruleset_bad_extras",
                      f"附加项 {name} 应声明 type（{' / '.join(EXTRA_TYPES)}）、title 和 default",
                      entry=entry, line=line)
            continue
        spec = FactSpec(name=name, type=decl["type"], title=decl["title"], required=False,
                        max_length=EXTRA_STR_LENGTH if decl["type"] == "str" else None)
        problem = value_problem(spec, decl["default"])
        if problem:
            check.add("ruleset_bad_extras", f"附加项 {name} 的 default 无效：{problem}",
                      entry=entry, line=line)
            continue
        extras[name] = FactSpec(name=spec.name, type=spec.type, title=spec.title,
                                required=False, default=decl["default"],
                                max_length=spec.max_length)
    return extras
