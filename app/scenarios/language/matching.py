"""Which step of the vocabulary a sentence is, read the way pytest-bdd reads it (``parse``).

Each step's sentence pattern is compiled once with the ``parse`` library (the parser pytest-bdd
uses for ``parsers.parse``); a sentence matches when the whole of it fits. When several patterns
fit (a sentence ending in a quoted value fits a shorter pattern too), the one with the most
fixed words wins, the most specific. A sentence no step fits gets the nearest sentences of
the catalogue as suggestions.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import parse

from app.scenarios.language.registry import PLACEHOLDER, Step


@dataclass(frozen=True)
class StepMatch:
    step: Step
    #: the values the sentence gives, by name (``{count:d}`` already an int)
    values: dict[str, Any]


@dataclass(frozen=True)
class _Compiled:
    step: Step
    parser: Any
    fixed: int


@lru_cache(maxsize=1)
def _compiled() -> tuple[_Compiled, ...]:
    from app.scenarios.vocabulary import steps

    return tuple(_Compiled(s, parse.compile(s.pattern), len(PLACEHOLDER.sub("", s.pattern))) for s in steps())


def match_step(kind: str, text: str) -> StepMatch | None:
    """The step of ``kind`` that ``text`` is, with its values; None when no step fits."""
    best: tuple[int, StepMatch] | None = None
    for compiled in _compiled():
        if compiled.step.kind != kind:
            continue
        result = compiled.parser.parse(text)
        if result is None:
            continue
        if best is None or compiled.fixed > best[0]:
            best = (compiled.fixed, StepMatch(compiled.step, dict(result.named)))
    return best[1] if best else None


def other_kinds(kind: str, text: str) -> list[str]:
    """The kinds under which ``text`` would be a step (it was written with the wrong keyword)."""
    return sorted({c.step.kind for c in _compiled() if c.step.kind != kind and c.parser.parse(text) is not None})


def suggestions(kind: str, text: str, limit: int = 3) -> list[str]:
    """The catalogue's sentences nearest to ``text`` (placeholders written as 〈名称〉)."""
    sentences = {PLACEHOLDER.sub(lambda m: f"〈{m.group(1)}〉", c.step.pattern): c.step
                 for c in _compiled() if c.step.kind == kind}
    skeleton = text[:300]
    return difflib.get_close_matches(skeleton, list(sentences), n=limit, cutoff=0.35)
