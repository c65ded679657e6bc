"""durable_rules sessions: never accumulate, safe under threads, failures surfaced, no match
explicit. (A session deleted the wrong way crashes the whole test process, so these tests also
guard against segfaults.)"""
from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from app.domain.errors import OneSealError
from app.rules_engine import RuleEngineFailure, RulesEngine, host, load_rules_engine
from app.rules_engine.ruleset_file import load_ruleset_file
from app.rules_engine.spec import SESSION_MARKER

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
KEYS = ("requires_site_inspection", "departments_involved", "parallel_approval", "risk_level",
        "technical", "bureau_qualified")
ALL_FACTS = [dict(zip(KEYS, combo)) for combo in itertools.product(
    [False, True], [1, 2, 9], [False, True], ["low", "medium", "high"], [False, True],
    [False, True])]

MINIMAL = """
[ruleset]
name = "{name}"
title = "测试规则"
version = "1"
default_outcome = "{default}"
default_basis = "未命中时的兜底结果"

[outcomes]
small = "小"
big = "大"

[facts.count]
type = "int"
min = 0
title = "数量"

[facts.note]
type = "str"
max_length = 200
required = false
default = ""
title = "备注"

[[rules]]
id = "BIG"
title = "数量大于五"
priority = 1
outcome = "big"
basis = "测试依据"
when = {{ all = [ {{ fact = "count", op = ">", value = 5 }} ] }}
"""


def expected(f: dict) -> str:
    if not f["requires_site_inspection"]:
        return "R1"
    if f["departments_involved"] > 1 or f["parallel_approval"]:
        return "R2"
    if f["risk_level"] == "high":
        return "R3"
    return "R4" if f["technical"] and not f["bureau_qualified"] else "R5"


@pytest.fixture(scope="module")
def engine() -> RulesEngine:
    return load_rules_engine(RULES_DIR)


@pytest.fixture(scope="module")
def raw() -> host.DurableRuleset:
    return host.register(load_ruleset_file(RULES_DIR / "inspection.toml"))


def minimal_engine(tmp_path: Path, name: str, default: str = "small") -> RulesEngine:
    (tmp_path / f"{name}.toml").write_text(MINIMAL.format(name=name, default=default),
                                           encoding="utf-8")
    return load_rules_engine(tmp_path)


def test_ten_thousand_decisions_in_a_row(engine: RulesEngine, raw: host.DurableRuleset) -> None:
    for i in range(10_000):
        facts = ALL_FACTS[i % len(ALL_FACTS)]
        assert engine.evaluate("inspection", facts).rule_id == expected(facts)
    assert raw.open_sessions == 0 and raw.leaked_sessions == 0


def test_sixteen_threads_at_once(engine: RulesEngine, raw: host.DurableRuleset) -> None:
    barrier = threading.Barrier(16)
    errors: list[object] = []
    counts = [0] * 16

    def work(index: int) -> None:
        try:
            barrier.wait()
            for i in range(400):
                facts = ALL_FACTS[(index * 7 + i) % len(ALL_FACTS)]
                decision = engine.evaluate("inspection", facts)
                if decision.rule_id != expected(facts) or decision.facts != facts:
                    errors.append((facts, decision.rule_id))
                counts[index] += 1
        except BaseException as exc:  # noqa: BLE001 - every failure is a test failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert counts == [400] * 16
    assert raw.open_sessions == 0 and raw.leaked_sessions == 0


def test_engines_can_be_created_repeatedly(engine: RulesEngine) -> None:
    others = [load_rules_engine(RULES_DIR) for _ in range(5)]
    for other in others:
        assert other.evaluate("inspection", ALL_FACTS[0]).rule_id == "R1"
        assert other.version_of("inspection") == engine.version_of("inspection")


def test_no_rule_fires_gives_the_declared_outcome(tmp_path: Path) -> None:
    small = minimal_engine(tmp_path, "nomatch_small")
    decision = small.evaluate("nomatch_small", {"count": 2})
    assert (decision.rule_id, decision.matched, decision.outcome) == (None, False, "small")
    assert decision.basis == "未命中时的兜底结果" and decision.facts == {"count": 2, "note": ""}
    assert decision.explain().startswith("未命中任何规则，采用默认结果：")
    assert small.evaluate("nomatch_small", {"count": 6}).rule_id == "BIG"
    assert small.evaluate("nomatch_small", {"count": 5}).outcome == "small"


def test_string_fact_limits(tmp_path: Path) -> None:
    from app.domain.errors import InvalidInput
    notes = minimal_engine(tmp_path, "notes_rules")
    assert notes.evaluate("notes_rules", {"count": 1, "note": "现场照片已上传"}).facts["note"]
    for bad in ("x" * (10 * 1024 * 1024), "a\x00b"):
        with pytest.raises(InvalidInput) as caught:
            notes.evaluate("notes_rules", {"count": 1, "note": bad})
        assert caught.value.details["field"] == "note"


def test_action_exception_is_raised_not_swallowed(engine: RulesEngine, raw: host.DurableRuleset,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    def explode(self: host.DurableRuleset, rule_id: str, sid: str) -> None:
        raise RuntimeError("action failed on purpose")

    monkeypatch.setattr(host.DurableRuleset, "_on_fire", explode)
    with pytest.raises(RuleEngineFailure) as caught:
        engine.evaluate("inspection", ALL_FACTS[0])
    assert isinstance(caught.value, OneSealError)
    assert caught.value.code == "rule_action_failed" and caught.value.kind == "internal"
    assert "action failed on purpose" in caplog.text  # logged for operators ...
    assert "action failed on purpose" not in str(caught.value.details)  # ... not sent to clients
    monkeypatch.undo()
    assert raw.open_sessions == 0 and raw.leaked_sessions == 0
    assert engine.evaluate("inspection", ALL_FACTS[0]).rule_id == "R1"


def test_unhandled_message_session_is_cleaned_up_safely(tmp_path: Path) -> None:
    """A session in which no action ran must not be deleted as is (the C engine would crash):
    it is laundered first. Forced here on a brand-new ruleset's very first session."""
    fresh = minimal_engine(tmp_path, "launder_rules")
    durable = fresh._get("launder_rules").durable
    real_host = durable._host

    class UnmatchedFirst:
        """Posts the first event without the session marker, so nothing matches."""

        calls = 0

        def post(self, name: str, message: dict) -> object:
            UnmatchedFirst.calls += 1
            if UnmatchedFirst.calls == 1:
                return real_host.post(name, {"sid": message["sid"], "unmatched": 1})
            return real_host.post(name, message)

        def delete_state(self, name: str, sid: str) -> None:
            real_host.delete_state(name, sid)

    durable._host = UnmatchedFirst()
    try:
        decision = fresh.evaluate("launder_rules", {"count": 9})
    finally:
        durable._host = real_host
    assert decision.rule_id is None and decision.outcome == "small"
    assert UnmatchedFirst.calls == 2
    assert durable.open_sessions == 0 and durable.leaked_sessions == 0
    assert fresh.evaluate("launder_rules", {"count": 9}).rule_id == "BIG"


def test_sessions_are_deleted_from_the_engine(raw: host.DurableRuleset,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "_session_ids", itertools.count(900_000_000))
    facts = dict(ALL_FACTS[5])
    assert raw.first_match(facts) == expected(facts)
    assert SESSION_MARKER not in facts and "sid" not in facts
    with pytest.raises(Exception, match="error code"):
        host.process_host().get_state(raw.name, "s900000000")


def test_engine_failure_is_a_oneseal_error(raw: host.DurableRuleset,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, message: dict) -> object:
        raise RuntimeError("Could not assert event, error code: 101")

    monkeypatch.setattr(raw._host, "post", refuse)
    with pytest.raises(RuleEngineFailure) as caught:
        raw.first_match(ALL_FACTS[0])
    assert caught.value.code == "rules_engine_failure"
    monkeypatch.undo()
    assert raw.leaked_sessions == 1  # nothing was created, nothing could be deleted: counted
    raw.leaked_sessions = 0
