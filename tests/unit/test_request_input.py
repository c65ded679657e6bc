"""The edge's JSON reading: nesting counted on the text, before any parser recurses."""
from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput
from app.web.edge.request_input import MAX_JSON_DEPTH, json_depth, parse_json


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ('"[[["', 0), ("[]", 1), ("[1, [2], {}]", 2), ('{"a": [{"b": "]]]}"}]}', 3),
    ('["\\"[", ["\\\\"]]', 2), ('["\\\\\\"]"]', 1), ("[[], [[]], []]", 3), ("{" * 5 + "}" * 5, 5),
])
def test_depth_is_read_from_the_brackets_outside_strings(text, depth):
    assert json_depth(text.encode()) == depth


@pytest.mark.parametrize("text", ["[[]", "][", "[}}", '["]', "[" * 1_000_000])
def test_brackets_that_do_not_pair_up_are_not_json(text):
    assert json_depth(text.encode()) is None
    with pytest.raises(InvalidInput) as refused:
        parse_json(text.encode())
    assert refused.value.code == "invalid_json"


def test_a_megabyte_of_brackets_stops_just_past_the_limit():
    assert json_depth(b"[" * 1_000_000 + b"]" * 1_000_000) == MAX_JSON_DEPTH + 1
    assert json_depth(b'["' + b"[" * 1_000_000 + b'"]') == 1
    assert json_depth(b"[]" * 500_000) == 1


def test_the_limit_itself_is_allowed():
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(at_limit.encode()) is not None
    with pytest.raises(InvalidInput) as refused:
        parse_json(("[" + at_limit + "]").encode())
    assert refused.value.code == "json_too_deep"


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "-Infinity", "1e400", "9223372036854775808",
                                  "-9223372036854775809", "1" * 5000])
def test_numbers_a_database_or_json_column_cannot_hold_are_refused(text):
    with pytest.raises(InvalidInput) as refused:
        parse_json(text.encode())
    assert refused.value.code in ("json_number_out_of_range", "invalid_json")


def test_the_largest_64_bit_numbers_and_ordinary_floats_pass():
    assert parse_json(b"[9223372036854775807, -9223372036854775808, 1.5e300]") == [
        2**63 - 1, -(2**63), 1.5e300]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16", "utf-32"])
def test_only_utf8_is_read_so_escaped_quotes_cannot_hide_brackets(encoding):
    # valid JSON nested 2,000 deep; read byte by byte as if UTF-8, the quotes fall out of step
    # (\" is no longer one byte pair) and the nesting would count as 1
    deep = "[" * 2000 + "]" * 2000
    for text in ('["\\"", "]", ' + deep + "]", '["\\"", ' + deep + ', "]"]'):
        with pytest.raises(InvalidInput) as refused:
            parse_json(text.encode(encoding))
        assert refused.value.code == "invalid_json"
