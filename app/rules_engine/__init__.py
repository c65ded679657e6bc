"""Routing rules (e.g. site inspection 独立/联合/委托核查) from declarative TOML files.

The only package that imports durable_rules. Public API::

    engine = load_rules_engine(Path("rules"))          # at start-up
    decision = engine.evaluate("inspection", facts)      # -> RuleDecision
    engine.rulesets(); engine.describe("inspection")
    problems = check_rules_dir(Path("rules"))            # for `oneseal rules check`
"""
from app.domain.design.rule_decision import RuleDecision
from app.rules_engine.engine import RulesEngine, check_rules_dir, load_rules_engine
from app.rules_engine.host import RuleEngineFailure

__all__ = ["RuleDecision", "RuleEngineFailure", "RulesEngine", "check_rules_dir",
           "load_rules_engine"]
