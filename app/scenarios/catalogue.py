"""The step catalogue (步骤目录): every sentence a scenario may use, read from the step code.

Each step definition in ``tests/steps/`` is one entry: its kind (假如/当/那么), its sentence
pattern, and its docstring, which is the explanation an auditor reads. The catalogue is made
on demand from the code (``oneseal scenarios steps``, and next to every scenario report), so it
always matches the steps the scenarios actually run with.
"""
from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

STEP_PACKAGE = "tests.steps"
KEYWORDS = {"given": "假如", "when": "当", "then": "那么", None: "任意"}
KIND_ORDER = {"given": 0, "when": 1, "then": 2, None: 3}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
#: section titles for auditors; other modules are titled by the first line of their docstring
SECTION_TITLES = {
    "common": "办件与办理：登记、受理、审查、决定、出件",
    "clock": "时限：日期、工作日、计时暂停与恢复",
    "rules": "规则：按规则文件判断",
    "inspection": "现场核查：核查方式与各部门结论",
}


@dataclass(frozen=True)
class StepEntry:
    kind: str | None
    pattern: str
    doc: str
    module: str
    function: str

    @property
    def keyword(self) -> str:
        return KEYWORDS[self.kind]

    @property
    def sentence(self) -> str:
        """The pattern as a scenario writes it: ``{applicant}`` becomes ``〈applicant〉``."""
        def mark(match: re.Match[str]) -> str:
            return f"〈{match.group(1)}{'：整数' if match.group(2) == 'd' else ''}〉"
        return _PLACEHOLDER.sub(mark, self.pattern)


@dataclass(frozen=True)
class StepSection:
    module: str
    title: str
    entries: tuple[StepEntry, ...]


def _import_step_modules(root: Path) -> list[str]:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    names = sorted(p.stem for p in (root / "tests" / "steps").glob("*.py") if p.stem != "__init__")
    for name in names:
        importlib.import_module(f"{STEP_PACKAGE}.{name}")
    return [f"{STEP_PACKAGE}.{name}" for name in names]


def load_catalogue(root: Path) -> list[StepSection]:
    """Every step defined under ``root/tests/steps``, grouped by module in file order."""
    from pytest_bdd.steps import step_function_context_registry

    modules = _import_step_modules(root)
    entries: dict[str, list[StepEntry]] = {name: [] for name in modules}
    for context in list(step_function_context_registry.values()):
        func = context.step_func
        if func.__module__ not in entries:
            continue
        entries[func.__module__].append(StepEntry(
            kind=context.type, pattern=context.parser.name, doc=(func.__doc__ or "").strip(),
            module=func.__module__, function=func.__name__))
    sections = []
    for name in modules:
        if not entries[name]:
            continue
        title = SECTION_TITLES.get(name.rsplit(".", 1)[-1]) or (
            (sys.modules[name].__doc__ or name).strip().splitlines()[0].rstrip("。."))
        found = sorted(set(entries[name]), key=lambda e: (KIND_ORDER[e.kind], e.pattern))
        sections.append(StepSection(name, title, tuple(found)))
    return sections


INTRO = (
    "场景用以下句子写成。尖括号〈…〉处由场景填写（写在中文引号“”内，带“整数”的直接写数字）；"
    "“而且”“并且”“同时”“但是”沿用上一句的类别。每个功能文件第一行写 `# language: zh-CN`。"
)


def to_markdown(sections: list[StepSection]) -> str:
    lines = ["# 步骤目录", "", INTRO, ""]
    for section in sections:
        lines += [f"## {section.title}", "", f"（`{section.module}`）", ""]
        for entry in section.entries:
            lines += [f"- **{entry.keyword}** {entry.sentence}", f"  {entry.doc or '（缺少说明）'}"]
        lines.append("")
    return "\n".join(lines)
