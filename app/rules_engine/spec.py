"""The parsed, validated form of one rules file (engine-neutral)."""
from __future__ import annotations

from dataclasses import dataclass

from app.domain.design.rule_decision import FactValue

FACT_TYPES = ("bool", "int", "enum", "str")
TYPE_TITLES = {"bool": "布尔值", "int": "整数", "enum": "枚举", "str": "文本"}
OPS = ("==", "!=", ">", ">=", "<", "<=", "in")
OPS_BY_TYPE = {
    "bool": ("==", "!="),
    "int": OPS,
    "enum": ("==", "!=", "in"),
    "str": ("==", "!=", "in"),
}
# The C engine keeps integers in 64 bits and strings with 16-bit lengths; stay well inside.
INT_LIMIT = 2**53
STR_LIMIT = 1000
# Added by the adapter to every message it posts; fact files may not use these names.
SESSION_MARKER = "oneseal_session"
RESERVED_FACT_NAMES = ("sid", "id", SESSION_MARKER)


@dataclass(frozen=True)
class FactSpec:
    """A declared fact. Optional facts always carry a default, so every decision sees all facts."""

    name: str
    type: str
    title: str
    required: bool = True
    default: FactValue | None = None
    min: int | None = None
    max: int | None = None
    values: tuple[str, ...] = ()
    max_length: int | None = None
    #: Chinese labels of enum values, e.g. (("high", "高"), …); shown in explanations
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def fallback(self) -> FactValue:
        """The default of an optional fact or of an extra (loading refuses either without one)."""
        if self.default is None:
            raise ValueError(f"fact {self.name} has no default")
        return self.default

    def constraint(self) -> str:
        """Short Chinese description of what the fact accepts."""
        if self.type == "bool":
            return "布尔值 true/false"
        if self.type == "enum":
            return "取值 " + "、".join(self.values)
        if self.type == "str":
            return f"文本，最长 {self.max_length} 字"
        bounds = []
        if self.min is not None:
            bounds.append(f"≥ {self.min}")
        if self.max is not None:
            bounds.append(f"≤ {self.max}")
        return "整数" + ("，" + "，".join(bounds) if bounds else "")


@dataclass(frozen=True)
class Comparison:
    """``fact op value``; for ``in`` the value is a tuple of alternatives."""

    fact: str
    op: str
    value: FactValue | tuple[FactValue, ...]


@dataclass(frozen=True)
class Group:
    """``all`` (every item holds) or ``any`` (at least one holds) of conditions."""

    kind: str
    items: tuple[Condition, ...]


Condition = Comparison | Group


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    priority: int
    basis: str
    outcome: str
    when: Condition
    extras: tuple[tuple[str, FactValue], ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class RulesetSpec:
    """One ruleset; ``rules`` are sorted by priority (evaluation order)."""

    name: str
    title: str
    version: str
    content_hash: str
    file: str
    outcomes: tuple[tuple[str, str], ...]
    default_outcome: str
    default_basis: str
    facts: tuple[FactSpec, ...]
    extras: tuple[FactSpec, ...]  # flags a rule may set (e.g. invite_experts), with defaults
    rules: tuple[RuleSpec, ...]

    @property
    def full_version(self) -> str:
        """Header version plus a short hash of the file's bytes: any edit changes it."""
        return f"{self.version}+{self.content_hash[:8]}"

    def outcome_title(self, outcome: str) -> str:
        return dict(self.outcomes).get(outcome, outcome)


def cited_facts(condition: Condition) -> tuple[str, ...]:
    """Fact names a condition refers to, in order of first appearance."""
    seen: dict[str, None] = {}

    def walk(c: Condition) -> None:
        if isinstance(c, Comparison):
            seen.setdefault(c.fact, None)
        else:
            for item in c.items:
                walk(item)

    walk(condition)
    return tuple(seen)


def value_kind(value: object) -> str:
    """Chinese name of a value's JSON/TOML kind, for error messages (never the whole value)."""
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "小数"
    if isinstance(value, str):
        return "字符串"
    if value is None:
        return "空值 null"
    if isinstance(value, (list, tuple)):
        return "列表"
    if isinstance(value, dict):
        return "对象"
    return type(value).__name__


def described(value: object) -> str:
    """A received value as a message names it: its kind, and a short rendering where that says
    more (``字符串 「…」``, ``整数 5``, ``布尔值 true``), never the kind twice (``空值 null``,
    ``列表``, ``超出范围的整数``)."""
    kind, shown = value_kind(value), preview(value)
    if shown == kind or isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT_LIMIT:
        return shown
    return f"{kind} {shown}"


def preview(value: object, limit: int = 20) -> str:
    """A short rendering of a value for messages: strings are cut, never copied whole."""
    if isinstance(value, str):
        return "「" + (value[:limit] + "…" if len(value) > limit else value) + "」"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) > INT_LIMIT:
        return "超出范围的整数"  # repr() of a huge int is slow, or refused by Python
    if isinstance(value, (int, float)):
        return repr(value)[:limit]
    return value_kind(value)
