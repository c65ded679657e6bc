"""Checking a scenario before it runs: every sentence a step of the catalogue, every value one the
bureau knows. Each problem names its line, in Chinese, as the editor marks it.

The names a scenario may use come from :class:`KnownNames`: the sandbox's users, the catalogue's
items, bundles, materials and departments, the steps (环节) of the deployed diagrams (and of a
draft being tried), the decisions the vocabulary understands. Numbers are bounded, so that no
sentence asks for unbounded work (a hundred thousand working days to pass).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.scenarios.language.gherkin_text import FeatureText, StepLine, TextProblem, TextRefused, read_feature
from app.scenarios.language.matching import StepMatch, match_step, other_kinds, suggestions
from app.scenarios.language.registry import DATATABLE, KEYWORDS

#: the largest number a sentence may give, by the name of its placeholder (others: 1,000)
NUMBER_LIMITS = {"days": 400, "count": 1_000, "number": 100, "event_id": 1_000_000, "used": 5_000,
                 "total": 5_000, "departments": 50}
DEFAULT_NUMBER_LIMIT = 1_000


@dataclass(frozen=True)
class KnownNames:
    """What the bureau knows by name, for checking the values a sentence gives."""

    users: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    bundles: frozenset[str] = frozenset()
    materials: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    steps: frozenset[str] = frozenset()
    decisions: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    project_types: frozenset[str] = frozenset()


@dataclass
class CheckedScenario:
    """A scenario's steps matched to the vocabulary (None where a step did not match)."""

    matches: list[StepMatch | None] = field(default_factory=list)


@dataclass
class CheckResult:
    feature: FeatureText
    problems: list[TextProblem]
    checked: list[CheckedScenario]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def _listed(value: str) -> list[str]:
    return [v.strip().strip("“”") for v in value.split("、") if v.strip()]


def _one_of(what: str, value: str, known: frozenset[str], *, show: int = 8) -> str | None:
    if not known or value in known:
        return None
    close = [k for k in sorted(known) if value in k or k in value][:3]
    hint = f"，是否指：{'、'.join(close)}" if close else (f"（可用：{'、'.join(sorted(known)[:show])}{'…' if len(known) > show else ''}）")
    return f"未知的{what}“{value}”{hint}"


def _date(value: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"日期“{value}”应写作 2026-03-02 这样的公历日期"
    return None


def _time(value: str) -> str | None:
    hour, _, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        return f"时刻“{value}”应写作 17:31 这样的 24 小时制时刻"
    return None


def _value_checks(known: KnownNames) -> dict[str, Callable[[str], str | None]]:
    return {
        "username": lambda v: _one_of("用户", v, known.users),
        "actor": lambda v: _one_of("用户", v, known.users),
        "item": lambda v: _one_of("事项", v, known.items | known.bundles),
        "bundle": lambda v: _one_of("“一件事”", v, known.bundles),
        "material": lambda v: _one_of("材料", v, known.materials),
        "names": lambda v: next(filter(None, (_one_of("材料", n, known.materials) for n in _listed(v))), None),
        "department": lambda v: _one_of("部门", v, known.departments),
        "departments": lambda v: next(filter(None, (_one_of("部门", n, known.departments) for n in _listed(v))), None),
        "step": lambda v: _one_of("环节", v, known.steps),
        "decision": lambda v: _one_of("决定", v, known.decisions),
        "role": lambda v: _one_of("角色", v, known.roles),
        "type_name": lambda v: _one_of("项目类型", v, known.project_types),
        "day": _date,
        "hhmm": _time,
    }


def _check_values(step: StepLine, match: StepMatch, known: KnownNames) -> list[TextProblem]:
    checks = _value_checks(known)
    problems = []
    for name, value in match.values.items():
        if isinstance(value, int):
            limit = NUMBER_LIMITS.get(name, DEFAULT_NUMBER_LIMIT)
            if not 0 <= value <= limit:
                problems.append(TextProblem(step.line, "value_out_of_range",
                                            f"第 {step.line} 行：数字 {value} 超出范围（0 至 {limit}）"))
            continue
        check = checks.get(name)
        message = check(str(value)) if check is not None else None
        if message:
            problems.append(TextProblem(step.line, f"unknown_{name}", f"第 {step.line} 行：{message}"))
    takes_table = DATATABLE in match.step.parameters
    if step.datatable is not None and not takes_table:
        problems.append(TextProblem(step.line, "table_not_expected", f"第 {step.line} 行：此步骤后面不应有表格"))
    if takes_table and step.datatable is None:
        problems.append(TextProblem(step.line, "table_expected", f"第 {step.line} 行：此步骤后面应有一个表格（见步骤目录）"))
    if step.has_docstring:
        problems.append(TextProblem(step.line, "docstring_not_expected", f"第 {step.line} 行：步骤不接受文本块（\"\"\"）"))
    return problems


def _unknown(step: StepLine) -> TextProblem:
    kinds = other_kinds(step.kind, step.text)
    if kinds:
        words = "”或“".join(KEYWORDS[k] for k in kinds)
        return TextProblem(step.line, "step_wrong_keyword",
                           f"第 {step.line} 行：这句是“{words}”步骤，不能写在“{KEYWORDS[step.kind]}”之后")
    near = suggestions(step.kind, step.text)
    hint = f"。相近的句子：{'；'.join(near)}" if near else "。请从步骤目录中选用句子"
    return TextProblem(step.line, "step_unknown", f"第 {step.line} 行：步骤目录中没有这句“{step.text[:80]}”{hint}")


def check_text(text: str, known: KnownNames) -> CheckResult:
    """Parse and check ``text``; every problem on its line (a text beyond the limits: one problem)."""
    try:
        feature = read_feature(text)
    except TextRefused as refused:
        empty = FeatureText("", (), [], [refused.problem])
        return CheckResult(empty, [refused.problem], [])
    problems = list(feature.problems)
    checked = []
    seen: set[int] = set()  # a background's or outline's line is reported once
    for scenario in feature.scenarios:
        matches: list[StepMatch | None] = []
        for step in scenario.steps:
            match = match_step(step.kind, step.text)
            matches.append(match)
            found = [_unknown(step)] if match is None else _check_values(step, match, known)
            for problem in found:
                key = hash((problem.line, problem.message))
                if key not in seen:
                    seen.add(key)
                    problems.append(problem)
        checked.append(CheckedScenario(matches))
    problems.sort(key=lambda p: p.line)
    return CheckResult(feature, problems, checked)
