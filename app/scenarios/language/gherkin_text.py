"""Reading a scenario's Gherkin text, outside pytest, bounded and with Chinese messages by line.

The text is data: it is parsed by the Gherkin parser (``gherkin-official``, the one pytest-bdd
uses), never evaluated. Before parsing, the text is held to limits (size, lines, line length,
characters); after parsing, to the number of scenarios, steps and table cells, so that no text
however large or strange costs more than a bounded amount of work. A problem is a
:class:`TextProblem` naming its line; :func:`read_feature` returns the scenarios, with the
background's steps in front and each row of an outline's examples as a scenario of its own.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from app.scenarios.language.registry import GIVEN, THEN, WHEN

MAX_CHARS = 64_000
MAX_LINES = 2_000
MAX_LINE_CHARS = 1_000
MAX_SCENARIOS = 60
MAX_STEPS = 120
MAX_TABLE_CELLS = 400
MAX_TAGS = 20
MAX_TAG_CHARS = 60
LANGUAGE_LINE = "# language: zh-CN"

#: keyword types of the Gherkin parser → the step kinds of the vocabulary
_KINDS = {"Context": GIVEN, "Action": WHEN, "Outcome": THEN}
#: characters a scenario never needs and that can hide what a line says
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]")
_TOKENS = {"#EOF": "文件结尾", "#TableRow": "表格行", "#DocStringSeparator": "文本块", "#StepLine": "步骤",
           "#TagLine": "标签", "#ExamplesLine": "例子", "#ScenarioLine": "场景", "#RuleLine": "规则",
           "#Comment": "注释", "#Empty": "空行", "#FeatureLine": "功能", "#BackgroundLine": "背景",
           "#Language": "语言声明", "#Other": "其他文字"}


@dataclass(frozen=True)
class TextProblem:
    line: int
    code: str
    message: str
    column: int = 1
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "code": self.code, "message": self.message,
                "severity": self.severity}


@dataclass(frozen=True)
class StepLine:
    keyword: str
    #: given / when / then (a conjunction takes the kind of the step before it)
    kind: str
    text: str
    line: int
    datatable: list[list[str]] | None = None
    has_docstring: bool = False


@dataclass(frozen=True)
class ScenarioText:
    name: str
    line: int
    tags: tuple[str, ...]
    steps: tuple[StepLine, ...]
    #: the examples row this scenario runs (empty for a plain scenario)
    example: dict[str, str] = field(default_factory=dict)


@dataclass
class FeatureText:
    name: str
    tags: tuple[str, ...]
    scenarios: list[ScenarioText]
    problems: list[TextProblem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


class TextRefused(Exception):
    """The text is beyond the limits: nothing of it was parsed."""

    def __init__(self, problem: TextProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def screen(text: str) -> None:
    """The limits every text is held to before it is parsed; raises :class:`TextRefused`."""
    if len(text) > MAX_CHARS:
        raise TextRefused(TextProblem(1, "scenario_too_large", f"场景文本过长：上限为 {MAX_CHARS} 个字符"))
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        raise TextRefused(TextProblem(MAX_LINES + 1, "scenario_too_many_lines", f"场景文本过长：上限为 {MAX_LINES} 行"))
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise TextRefused(TextProblem(number, "scenario_line_too_long",
                                          f"第 {number} 行过长：每行不超过 {MAX_LINE_CHARS} 个字符"))
        for char in line:
            if char in "\t\r":
                continue
            category = unicodedata.category(char)
            if category in ("Cc", "Cs", "Co", "Cn") or _INVISIBLE.match(char):
                raise TextRefused(TextProblem(number, "scenario_invalid_character",
                                              f"第 {number} 行含有不可见或非法字符（U+{ord(char):04X}），请删除后重试"))


def _parser_problem(error: Any) -> TextProblem:
    location = getattr(error, "location", None) or {}
    line = int(location.get("line") or 1)
    column = int(location.get("column") or 1)
    raw = str(error)
    got = re.search(r"got '(.*)'$", raw)
    expected = re.search(r"expected: ([^,]+(?:, [^,]+)*), got", raw)
    if got is not None:
        wanted = "、".join(dict.fromkeys(_TOKENS.get(t.strip(), t.strip())
                                          for t in (expected.group(1).split(",") if expected else [])))
        text = got.group(1).strip()
        return TextProblem(line, "gherkin_syntax",
                           f"第 {line} 行无法识别：“{text[:60]}”。此处应为：{wanted or '步骤'}。"
                           "步骤以“假如”“当”“那么”“而且”“但是”开头", column)
    if "inconsistent cell count" in raw:
        return TextProblem(line, "gherkin_table", f"第 {line} 行：表格各行的列数不一致", column)
    return TextProblem(line, "gherkin_syntax", f"第 {line} 行格式有误，请对照步骤目录的写法", column)


def _tags(node: dict[str, Any], problems: list[TextProblem]) -> tuple[str, ...]:
    tags = []
    for tag in node.get("tags", []):
        name = str(tag["name"]).lstrip("@")
        line = int(tag["location"]["line"])
        if not name or len(name) > MAX_TAG_CHARS:
            problems.append(TextProblem(line, "tag_invalid", f"第 {line} 行：标签应为 1 至 {MAX_TAG_CHARS} 个字符"))
            continue
        tags.append(name)
    return tuple(tags)


def _table(step: dict[str, Any]) -> list[list[str]] | None:
    table = step.get("dataTable")
    if not table:
        return None
    return [[str(cell["value"]) for cell in row["cells"]] for row in table["rows"]]


def _steps(raw_steps: list[dict[str, Any]], problems: list[TextProblem]) -> list[StepLine]:
    steps: list[StepLine] = []
    previous: str | None = None
    for raw in raw_steps:
        line = int(raw["location"]["line"])
        keyword = str(raw["keyword"]).strip()
        kind = _KINDS.get(raw.get("keywordType", ""))
        if kind is None:  # 而且/并且/同时/但是/*: the kind of the step before
            kind = previous
        if kind is None:
            problems.append(TextProblem(line, "step_kind_missing",
                                        f"第 {line} 行：“{keyword}”之前没有“假如”“当”或“那么”步骤，无法确定其类别"))
            kind = GIVEN
        previous = kind
        steps.append(StepLine(keyword, kind, str(raw["text"]).strip(), line, _table(raw),
                              raw.get("docString") is not None))
    return steps


def _substitute(text: str, row: dict[str, str]) -> str:
    for name, value in row.items():
        text = text.replace(f"<{name}>", value)
    return text


def _expand(scenario: dict[str, Any], background: list[StepLine], feature_tags: tuple[str, ...],
            problems: list[TextProblem]) -> list[ScenarioText]:
    line = int(scenario["location"]["line"])
    name = str(scenario.get("name") or "").strip() or f"（第 {line} 行的场景）"
    tags = feature_tags + _tags(scenario, problems)
    steps = background + _steps(scenario.get("steps", []), problems)
    examples = scenario.get("examples") or []
    if not examples:
        return [ScenarioText(name, line, tags, tuple(steps))]
    expanded = []
    for block in examples:
        header = block.get("tableHeader")
        if header is None:
            problems.append(TextProblem(int(block["location"]["line"]), "examples_empty",
                                        f"第 {block['location']['line']} 行：例子缺少表格"))
            continue
        names = [str(c["value"]) for c in header["cells"]]
        for row in block.get("tableBody", []):
            values = dict(zip(names, (str(c["value"]) for c in row["cells"]), strict=False))
            expanded.append(ScenarioText(
                _substitute(name, values), int(row["location"]["line"]), tags + _tags(block, problems),
                tuple(StepLine(s.keyword, s.kind, _substitute(s.text, values), s.line,
                               [[_substitute(c, values) for c in r] for r in s.datatable] if s.datatable else None,
                               s.has_docstring) for s in steps),
                values))
    return expanded


def _children(feature: dict[str, Any]) -> list[dict[str, Any]]:
    """The feature's children, with those of its rules (规则) in their place."""
    found = []
    for child in feature.get("children", []):
        if "rule" in child:
            found.extend(child["rule"].get("children", []))
        else:
            found.append(child)
    return found


def read_feature(text: str) -> FeatureText:
    """The scenarios of ``text``, or the problems found, each on its line. Raises
    :class:`TextRefused` when the text is beyond the limits."""
    from gherkin.errors import CompositeParserException, ParserException
    from gherkin.parser import Parser

    screen(text)
    problems: list[TextProblem] = []
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if first.replace(" ", "") != LANGUAGE_LINE.replace(" ", ""):
        problems.append(TextProblem(1, "language_missing", f"第一行应为“{LANGUAGE_LINE}”（场景用中文关键字书写）"))
    try:
        document = Parser().parse(text)
    except CompositeParserException as err:
        return FeatureText("", (), [], problems + [_parser_problem(e) for e in err.errors[:20]])
    except ParserException as err:
        return FeatureText("", (), [], problems + [_parser_problem(err)])
    feature: dict[str, Any] = dict(document.get("feature") or {})
    if not feature:
        return FeatureText("", (), [], problems + [TextProblem(1, "feature_missing", "缺少“功能:”一行")])
    feature_tags = _tags(feature, problems)
    if len(feature_tags) > MAX_TAGS:
        problems.append(TextProblem(1, "too_many_tags", f"标签不能超过 {MAX_TAGS} 个"))
    background: list[StepLine] = []
    scenarios: list[ScenarioText] = []
    for child in _children(feature):
        if "background" in child:
            background = _steps(child["background"].get("steps", []), problems)
        elif "scenario" in child:
            scenarios.extend(_expand(child["scenario"], background, feature_tags, problems))
        if len(scenarios) > MAX_SCENARIOS:
            problems.append(TextProblem(int(child.get("scenario", {}).get("location", {}).get("line", 1)),
                                        "too_many_scenarios", f"一个功能最多 {MAX_SCENARIOS} 个场景（含大纲展开的各行）"))
            scenarios = scenarios[:MAX_SCENARIOS]
            break
    for scenario in scenarios:
        if len(scenario.steps) > MAX_STEPS:
            problems.append(TextProblem(scenario.line, "too_many_steps",
                                        f"第 {scenario.line} 行的场景步骤过多：上限为 {MAX_STEPS} 步"))
        cells = sum(len(r) for s in scenario.steps for r in (s.datatable or []))
        if cells > MAX_TABLE_CELLS:
            problems.append(TextProblem(scenario.line, "table_too_large",
                                        f"第 {scenario.line} 行的场景表格过大：上限为 {MAX_TABLE_CELLS} 格"))
    if not scenarios and not any(p.severity == "error" for p in problems):
        problems.append(TextProblem(int(feature["location"]["line"]), "no_scenario", "功能中还没有场景（“场景:”）"))
    return FeatureText(str(feature.get("name") or "").strip(), feature_tags, scenarios, problems)
