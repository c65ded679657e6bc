"""Read one TOML rules file and check it completely; every problem names the file, entry and line.

Layout (see ``rules/inspection.toml``): ``[ruleset]`` header (name, title, version,
default_outcome, default_basis), ``[outcomes]`` (id → Chinese title), ``[facts.<name>]``
(the facts schema), optional ``[extras.<name>]`` (flags a rule may set), and ``[[rules]]``
(id, title, priority, basis, outcome, when, optional extras).
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.domain.errors import DataFileError
from app.rules_engine.conditions import parse_condition, value_problem
from app.rules_engine.schema_file import (
    NAME_RE,
    Checker,
    parse_extras,
    parse_facts,
    parse_outcomes,
    text,
)
from app.rules_engine.spec import RulesetSpec, RuleSpec

MAX_FILE_BYTES = 256 * 1024
MAX_RULES = 200
RULE_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
TOP_KEYS = {"ruleset", "outcomes", "facts", "extras", "rules"}
HEADER_KEYS = {"name", "title", "version", "default_outcome", "default_basis", "description"}
RULE_KEYS = {"id", "title", "priority", "basis", "outcome", "when", "extras"}
MAX_PRIORITY = 1_000_000


def load_ruleset_file(path: Path) -> RulesetSpec:
    """Parse and check ``path``; raise the first problem as ``DataFileError``."""
    spec, problems = read_ruleset_file(path)
    if problems or spec is None:
        first = problems[0]
        if len(problems) > 1:
            first.details["more_problems"] = len(problems) - 1
        raise first
    return spec


def read_ruleset_file(path: Path) -> tuple[RulesetSpec | None, list[DataFileError]]:
    """Parse and check ``path``; return the spec (None if invalid) and every problem found."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [DataFileError("rules_file_too_large",
                                        f"规则文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节）",
                                        file=name)]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [DataFileError("rules_file_unreadable", f"无法读取规则文件：{exc.strerror}",
                                    file=name)]
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [DataFileError("rules_file_encoding", "规则文件必须是 UTF-8 编码", file=name)]
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        return None, [DataFileError("rules_file_syntax", f"TOML 语法错误：{exc}", file=name,
                                    line=int(found.group(1)) if found else None)]
    check = Checker(name, source)
    spec = _parse(data, check, hashlib.sha256(raw).hexdigest())
    return (None if check.problems else spec), check.problems


def _parse(data: dict[str, Any], check: Checker, digest: str) -> RulesetSpec | None:
    for key in sorted(set(data) - TOP_KEYS):
        check.add("ruleset_unknown_key",
                  f"未知的顶层键 {key}（允许：{', '.join(sorted(TOP_KEYS))}）",
                  entry=key, line=check.line_of(rf"^\s*\[*\s*{re.escape(key)}\b"))
    header = data.get("ruleset")
    if not isinstance(header, dict):
        check.add("ruleset_bad_header", "缺少 [ruleset] 表头（name、title、version 等）",
                  entry="ruleset")
        return None
    for key in sorted(set(header) - HEADER_KEYS):
        check.add("ruleset_bad_header", f"[ruleset] 中有未知的键 {key}", entry="ruleset",
                  line=check.key_line(key))
    name = header.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        check.add("ruleset_bad_header",
                  "[ruleset] name 应为小写英文标识（如 inspection），字母开头，最长 32 字符",
                  entry="ruleset", line=check.key_line("name"))
        name = ""  # reported: the ruleset is refused (as ``text`` does for a bad text)
    version = header.get("version")
    if not isinstance(version, str) or not VERSION_RE.match(version):
        check.add("ruleset_bad_header", "[ruleset] version 应为版本字符串（如 \"2026.1\"）",
                  entry="ruleset", line=check.key_line("version"))
        version = ""
    title = text(check, header, "title", "ruleset", 100)
    default_basis = text(check, header, "default_basis", "ruleset", 500)
    outcomes = parse_outcomes(data.get("outcomes"), check)
    default = header.get("default_outcome")
    if outcomes and (not isinstance(default, str) or default not in outcomes):
        check.add("ruleset_bad_header",
                  f"[ruleset] default_outcome 应为已声明的结果之一：{', '.join(outcomes)}",
                  entry="ruleset", line=check.key_line("default_outcome"))
    if not isinstance(default, str):
        default = ""  # reported above, or with the outcomes when there are none
    facts = parse_facts(data.get("facts"), check)
    extras = parse_extras(data.get("extras"), check)
    rules = _parse_rules(data.get("rules"), check, facts, outcomes, extras)
    if check.problems:
        return None
    return RulesetSpec(
        name=name, title=title, version=version, content_hash=digest, file=check.file,
        outcomes=tuple(outcomes.items()), default_outcome=default, default_basis=default_basis,
        facts=tuple(facts.values()), extras=tuple(extras.values()),
        rules=tuple(sorted(rules, key=lambda r: r.priority)))


def _parse_rules(raw: object, check: Checker, facts: dict, outcomes: dict,
                 extras: dict) -> list[RuleSpec]:
    if not isinstance(raw, list) or not raw:
        check.add("ruleset_no_rules", "规则文件中没有 [[rules]] 规则", entry="rules")
        return []
    if len(raw) > MAX_RULES:
        check.add("ruleset_too_many_rules", f"规则不能超过 {MAX_RULES} 条", entry="rules")
        return []
    rules: list[RuleSpec] = []
    seen_ids: dict[str, int | None] = {}
    seen_priorities: dict[int, str] = {}
    occurrences: Counter[str] = Counter()
    for index, item in enumerate(raw):
        rule_id = item.get("id") if isinstance(item, dict) else None
        label = rule_id if isinstance(rule_id, str) and RULE_ID_RE.match(rule_id) else None
        line = check.rule_line(index, label, occurrences[label] if label else 0)
        if label:
            occurrences[label] += 1
        entry = label or f"rules[{index + 1}]"
        before = len(check.problems)

        def report(code: str, message: str, _entry: str = entry, _line: int | None = line) -> None:
            check.add(code, f"规则 {_entry}：{message}", entry=_entry, line=_line)

        if not isinstance(item, dict):
            report("rule_bad_entry", "每条规则应为 [[rules]] 表")
            continue
        for key in sorted(set(item) - RULE_KEYS):
            report("rule_unknown_key", f"未知的键 {key}（允许：{', '.join(sorted(RULE_KEYS))}）")
        if label is None:
            report("rule_bad_id", "id 缺失或无效（应为字母开头的编号，如 R1）")
        elif label in seen_ids:
            report("rule_duplicate_id", f"规则编号 {label} 重复（第 {seen_ids[label]} 行已使用）")
        else:
            seen_ids[label] = line
        priority = item.get("priority")
        if type(priority) is not int or not 0 <= priority <= MAX_PRIORITY:
            report("rule_bad_priority", f"priority 应为 0 到 {MAX_PRIORITY} 的整数（数字小者先判断）")
            priority = 0  # reported: the rule is left out (as for every value below)
        elif priority in seen_priorities:
            report("rule_duplicate_priority",
                   f"优先级 {priority} 与规则 {seen_priorities[priority]} 重复；先后顺序必须明确")
        else:
            seen_priorities[priority] = entry
        outcome = item.get("outcome")
        if not isinstance(outcome, str) or outcome not in outcomes:
            report("rule_unknown_outcome",
                   f"结果 {outcome!r} 不在允许的结果中（{', '.join(outcomes)}）")
            outcome = ""
        title = item.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 100:
            report("rule_bad_title", "title 应为非空中文标题（最长 100 字）")
            title = ""
        basis = item.get("basis")
        if not isinstance(basis, str) or not basis.strip() or len(basis) > 500:
            report("rule_bad_basis", "basis（法律或政策依据）应为非空文本（最长 500 字）")
            basis = ""
        if "when" not in item:
            report("rule_no_condition", "缺少条件 when")
            when = None
        else:
            when = parse_condition(item["when"], facts, report)
        rule_extras = _rule_extras(item.get("extras", {}), extras, report)
        if len(check.problems) == before and when is not None and label is not None:
            rules.append(RuleSpec(id=label, title=title, priority=priority, basis=basis,
                                  outcome=outcome, when=when, extras=rule_extras, line=line))
    return rules


def _rule_extras(raw: object, declared: dict,
                 report: Callable[[str, str], None]) -> tuple[tuple[str, Any], ...]:
    if not isinstance(raw, dict):
        report("rule_bad_extras", "extras 应为表，如 { invite_experts = true }")
        return ()
    values = []
    for key, value in raw.items():
        if key not in declared:
            report("rule_unknown_extra",
                   f"extras 中的 {key} 未在 [extras] 中声明（已声明：{', '.join(declared) or '无'}）")
            continue
        problem = value_problem(declared[key], value)
        if problem:
            report("rule_bad_extra", f"extras.{key} 的值无效：{problem}")
            continue
        values.append((key, value))
    return tuple(values)
