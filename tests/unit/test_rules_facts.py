"""Facts are checked against the schema before they reach durable_rules."""
from __future__ import annotations

import time

import pytest

from app.domain.errors import InvalidInput
from app.rules_engine import RulesEngine, host, load_rules_engine
from app.rules_engine.ruleset_file import load_ruleset_file
from tests.support.rules import CJK, PLAIN_FACTS, RULES_DIR

VALID = PLAIN_FACTS
TEN_MB = "x" * (10 * 1024 * 1024)


@pytest.fixture(scope="module")
def engine() -> RulesEngine:
    return load_rules_engine(RULES_DIR)


def rejected(engine: RulesEngine, facts: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        engine.evaluate("inspection", facts)
    error = caught.value
    assert error.code == "invalid_facts"
    assert CJK.search(error.message), error.message
    assert len(error.message) < 300
    return error


@pytest.mark.parametrize("facts", [None, [1, 2, 3], [VALID], "requires_site_inspection", 42,
                                   True, b"{}"])
def test_facts_must_be_an_object(engine: RulesEngine, facts: object) -> None:
    error = rejected(engine, facts)
    assert error.details["reason"] == "not_object"
    assert "对象" in error.message


@pytest.mark.parametrize("name", list(VALID))
def test_each_missing_field_is_named(engine: RulesEngine, name: str) -> None:
    facts = {k: v for k, v in VALID.items() if k != name}
    error = rejected(engine, facts)
    assert error.details["field"] == name and error.details["reason"] == "missing"
    assert name in error.message and "缺少" in error.message


@pytest.mark.parametrize("name, value", [
    ("departments_involved", "9"),            # durable_rules would compare '9' > 1 as a match
    ("departments_involved", "abc"),
    ("departments_involved", "三个部门"),      # Chinese text in an int field
    ("departments_involved", True),           # bool is not int
    ("departments_involved", 2.0),
    ("departments_involved", None),
    ("departments_involved", [2]),
    ("parallel_approval", "true"),
    ("parallel_approval", "是"),               # Chinese text in a bool field
    ("parallel_approval", 1),
    ("technical", 0),
    ("bureau_qualified", None),
    ("risk_level", 3),
    ("risk_level", {"level": "high"}),
])
def test_wrong_types_are_rejected(engine: RulesEngine, name: str, value: object) -> None:
    error = rejected(engine, {**VALID, name: value})
    assert error.details["field"] == name and error.details["reason"] == "type"
    assert name in error.message


def test_chinese_text_in_int_field_is_quoted_in_message(engine: RulesEngine) -> None:
    error = rejected(engine, {**VALID, "departments_involved": "三个部门"})
    assert "应为整数" in error.message and "「三个部门」" in error.message


@pytest.mark.parametrize(("name", "value", "said"), [
    ("technical", None, "收到空值 null"),
    ("departments_involved", 2 ** 63 - 1, "收到超出范围的整数"),
    ("departments_involved", [1, 2], "收到列表"),
    ("technical", 1, "收到整数 1"),
    ("departments_involved", "三个部门", "收到字符串 「三个部门」"),
])
def test_the_message_names_what_it_received_once(engine: RulesEngine, name: str, value: object, said: str) -> None:
    """Kind and value, the kind never twice (空值 null 空值 null, 整数 超出范围的整数)."""
    message = rejected(engine, {**VALID, name: value}).message
    assert message.endswith(said), message


@pytest.mark.parametrize("value", ["HIGH", "高", "", "high "])
def test_enum_values_are_exact(engine: RulesEngine, value: str) -> None:
    error = rejected(engine, {**VALID, "risk_level": value})
    assert error.details["reason"] == "enum" and "low、medium、high" in error.message


@pytest.mark.parametrize("value", [0, -1, 101, 10**100])
def test_int_bounds(engine: RulesEngine, value: int) -> None:
    error = rejected(engine, {**VALID, "departments_involved": value})
    assert error.details["reason"] == "range"


def test_unknown_fact_is_rejected(engine: RulesEngine) -> None:
    error = rejected(engine, {**VALID, "director_signed": True})
    assert error.details["field"] == "director_signed" and error.details["reason"] == "unknown"
    assert "未知的事实" in error.message


def test_engine_reserved_names_are_unknown_facts(engine: RulesEngine) -> None:
    for name in ("sid", "id", "oneseal_session"):
        assert rejected(engine, {**VALID, name: "x"}).details["reason"] == "unknown"


def test_ten_megabyte_string_is_rejected_cheaply(engine: RulesEngine) -> None:
    started = time.perf_counter()
    for facts in ({**VALID, "risk_level": TEN_MB}, {**VALID, "departments_involved": TEN_MB},
                  {**VALID, TEN_MB: True}):
        error = rejected(engine, facts)
        assert TEN_MB not in str(error.details)
    assert time.perf_counter() - started < 0.5


def test_validation_is_what_stops_string_comparison(engine: RulesEngine) -> None:
    """durable_rules alone routes '9' (and 'abc') as if > 1; the schema refuses them."""
    raw = host.register(load_ruleset_file(RULES_DIR / "inspection.toml"))
    assert raw.first_match({**VALID, "departments_involved": "9"}) == "R2"
    assert raw.first_match({**VALID, "parallel_approval": "true"}) == "R2"
    assert engine.evaluate("inspection", VALID).rule_id == "R5"
    for bad in ({**VALID, "departments_involved": "9"}, {**VALID, "parallel_approval": "true"}):
        rejected(engine, bad)


def test_valid_facts_are_not_modified(engine: RulesEngine) -> None:
    facts = dict(VALID)
    decision = engine.evaluate("inspection", facts)
    assert facts == VALID and decision.facts == VALID and decision.facts is not facts
