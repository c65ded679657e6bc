"""The step catalogue (步骤目录): every sentence a scenario may use, read from the step registry.

Each step of :mod:`app.scenarios.vocabulary` is one entry: its kind (假如/当/那么), its sentence
pattern, and its docstring, which is the explanation an auditor reads; each module is a section,
titled by the first line of its docstring. The catalogue is made on demand from the code
(``oneseal scenarios steps``, and next to every scenario report), so it always matches the
steps the scenarios actually run with.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.scenarios.language.registry import GIVEN, KEYWORDS, PLACEHOLDER, THEN, WHEN, Step

KIND_ORDER = {GIVEN: 0, WHEN: 1, THEN: 2}


@dataclass(frozen=True)
class StepEntry:
    kind: str
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
        return PLACEHOLDER.sub(mark, self.pattern)

    @classmethod
    def of(cls, step: Step) -> StepEntry:
        return cls(step.kind, step.pattern, step.doc, step.module, step.name)


@dataclass(frozen=True)
class StepSection:
    module: str
    title: str
    entries: tuple[StepEntry, ...]


def load_catalogue() -> list[StepSection]:
    """Every step of the vocabulary, a section per subject, givens before whens before thens."""
    from app.scenarios.vocabulary import SUBJECTS, steps

    every = steps()
    sections = []
    for subject in SUBJECTS:
        entries = sorted({StepEntry.of(s) for s in every if s.module == subject.__name__},
                         key=lambda e: (KIND_ORDER[e.kind], e.pattern))
        if entries:
            title = (subject.__doc__ or subject.__name__).strip().splitlines()[0].rstrip("。.")
            sections.append(StepSection(subject.__name__, title, tuple(entries)))
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
