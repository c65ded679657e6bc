"""``RulesEngine``: the rulesets of a ``rules/`` directory, compiled into durable_rules."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import DataFileError, NotFound
from app.domain.design.rule_decision import (
    FactSummary,
    RuleDecision,
    RulesetDescription,
    RulesetSummary,
    RuleSummary,
)
from app.rules_engine import host
from app.rules_engine.conditions import render_condition
from app.rules_engine.facts import validate_facts
from app.rules_engine.ruleset_file import load_ruleset_file, read_ruleset_file
from app.rules_engine.spec import RulesetSpec, RuleSpec, cited_facts

RULES_GLOB = "*.toml"
MAX_FILES = 100


@dataclass(frozen=True)
class _Loaded:
    spec: RulesetSpec
    durable: host.DurableRuleset
    rules: dict[str, RuleSpec]
    cited: dict[str, tuple[str, ...]]
    titles: dict[str, str]
    value_labels: dict[str, dict[str, str]]


class RulesEngine:
    """Evaluates facts against named rulesets; every decision names its rule and version."""

    def __init__(self, specs: Iterable[RulesetSpec]) -> None:
        self._loaded: dict[str, _Loaded] = {}
        for spec in specs:
            if spec.name in self._loaded:
                raise DataFileError("ruleset_duplicate_name",
                                    f"规则集名称 {spec.name} 重复（另见 {self._loaded[spec.name].spec.file}）",
                                    file=spec.file, entry=spec.name)
            self._loaded[spec.name] = _Loaded(
                spec=spec, durable=host.register(spec),
                rules={r.id: r for r in spec.rules},
                cited={r.id: cited_facts(r.when) for r in spec.rules},
                titles={f.name: f.title for f in (*spec.facts, *spec.extras)},
                value_labels={f.name: dict(f.labels) for f in spec.facts if f.labels})

    def check_facts(self, ruleset: str, facts: object) -> dict[str, object]:
        """Validate ``facts`` against the ruleset's schema (``InvalidInput`` if they do not fit)."""
        return dict(validate_facts(self._get(ruleset).spec, facts))

    def evaluate(self, ruleset: str, facts: object) -> RuleDecision:
        """Decide on ``facts``; raises ``InvalidInput`` (bad facts), ``NotFound`` (no such
        ruleset) or ``RuleEngineFailure`` (the engine failed)."""
        loaded = self._get(ruleset)
        spec = loaded.spec
        checked = validate_facts(spec, facts)
        rule_id = loaded.durable.first_match(checked)
        extras = {extra.name: extra.fallback for extra in spec.extras}
        if rule_id is None:
            return RuleDecision(
                outcome=spec.default_outcome, rule_id=None, rule_title="未命中任何规则",
                basis=spec.default_basis, facts=checked, ruleset=spec.name,
                ruleset_version=spec.full_version, extras=extras,
                outcome_title=spec.outcome_title(spec.default_outcome),
                titles=loaded.titles, value_labels=loaded.value_labels)
        rule = loaded.rules[rule_id]
        extras.update(rule.extras)
        return RuleDecision(
            outcome=rule.outcome, rule_id=rule.id, rule_title=rule.title, basis=rule.basis,
            facts=checked, ruleset=spec.name, ruleset_version=spec.full_version, extras=extras,
            outcome_title=spec.outcome_title(rule.outcome), cited_facts=loaded.cited[rule.id],
            titles=loaded.titles, value_labels=loaded.value_labels)

    def rulesets(self) -> list[RulesetSummary]:
        """Names, titles and versions of the loaded rulesets, by name."""
        specs = [self._loaded[name].spec for name in sorted(self._loaded)]
        return [RulesetSummary(name=s.name, title=s.title, version=s.full_version, file=s.file,
                               rule_count=len(s.rules)) for s in specs]

    def describe(self, ruleset: str) -> RulesetDescription:
        """One ruleset for display: its facts and its rules in evaluation order."""
        spec = self._get(ruleset).spec
        facts = {f.name: f for f in spec.facts}
        return RulesetDescription(
            name=spec.name, title=spec.title, version=spec.full_version, file=spec.file,
            outcomes=dict(spec.outcomes), default_outcome=spec.default_outcome,
            default_basis=spec.default_basis,
            facts=tuple(FactSummary(name=f.name, title=f.title, type=f.type, required=f.required,
                                    constraint=f.constraint()) for f in spec.facts),
            rules=tuple(RuleSummary(id=r.id, title=r.title, priority=r.priority, basis=r.basis,
                                    outcome=r.outcome, outcome_title=spec.outcome_title(r.outcome),
                                    condition=render_condition(r.when, facts),
                                    extras=dict(r.extras)) for r in spec.rules))

    def version_of(self, ruleset: str) -> str:
        """The full version (header version + content hash) decisions are recorded with."""
        return self._get(ruleset).spec.full_version

    def _get(self, ruleset: str) -> _Loaded:
        loaded = self._loaded.get(ruleset) if isinstance(ruleset, str) else None
        if loaded is None:
            raise NotFound("unknown_ruleset", f"没有名为 {str(ruleset)[:40]} 的规则集",
                           ruleset=str(ruleset)[:40], known=sorted(self._loaded))
        return loaded


def _rule_files(rules_dir: Path) -> list[Path]:
    if not rules_dir.is_dir():
        raise DataFileError("rules_dir_missing", "规则目录不存在", file=str(rules_dir))
    files = sorted(p for p in rules_dir.glob(RULES_GLOB) if p.is_file())
    if len(files) > MAX_FILES:
        raise DataFileError("rules_dir_too_many", f"规则文件不能超过 {MAX_FILES} 个",
                            file=str(rules_dir))
    return files


def load_rules_engine(rules_dir: Path) -> RulesEngine:
    """Load, check and compile every ``*.toml`` in ``rules_dir``; raise the first problem.

    Call at start-up, before serving: it creates the process's durable_rules host. Safe to call
    more than once (tests, reloads): unchanged files reuse their compiled ruleset.
    """
    return RulesEngine([load_ruleset_file(path) for path in _rule_files(Path(rules_dir))])


def check_rules_dir(rules_dir: Path) -> list[DataFileError]:
    """Every problem of every rules file in ``rules_dir`` (empty list: all good).

    For ``oneseal rules check``; checks only, compiles nothing into the engine.
    """
    try:
        files = _rule_files(Path(rules_dir))
    except DataFileError as exc:
        return [exc]
    if not files:
        return [DataFileError("rules_dir_empty", "规则目录中没有 .toml 规则文件", file=str(rules_dir))]
    problems: list[DataFileError] = []
    names: dict[str, str] = {}
    for path in files:
        spec, found = read_ruleset_file(path)
        problems.extend(found)
        if spec is not None:
            if spec.name in names:
                problems.append(DataFileError(
                    "ruleset_duplicate_name", f"规则集名称 {spec.name} 重复（另见 {names[spec.name]}）",
                    file=spec.file, entry=spec.name))
            names.setdefault(spec.name, spec.file)
    return problems
