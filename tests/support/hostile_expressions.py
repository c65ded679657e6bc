"""Designer texts written to exhaust the CPU or the memory of the service.

Each is a script for a script task (``kind="script"``) or a gateway condition
(``kind="condition"``). Those marked ``at_upload`` are refused when the diagram is uploaded
(the allow-list, or a constant part computed under the budget exceeds a limit); the others
depend on the case's data (``item_code``, e.g. ``"XK-0002"``, 7 characters), so only the
run-time budget can stop them. Every one must be stopped, at upload or at run time, within
the evaluator's budget. Used by ``tests/unit/test_expression_budget.py``,
``tests/api/test_expression_incidents.py`` and ``scripts/bench_expression_guard.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

#: the start data the texts may read (what registering an item gives every process)
CASE_DATA = {"item_code": "XK-0002", "item_kind": "immediate", "site_inspection": False}


@dataclass(frozen=True)
class Hostile:
    name: str
    text: str
    at_upload: bool
    kind: str = "script"


def _chain(operand: str, joiner: str, times: int) -> str:
    return joiner.join([operand] * times)


def _nest(function: str, inner: str, times: int) -> str:
    return f"{function}(" * times + inner + ")" * times


HOSTILE: list[Hostile] = [
    # the three of issue 13
    Hostile("issue_sum_of_lists", "burn = len(sum([[1]*1700]*1700, []))", True),
    Hostile("issue_str_of_nested_lists", "burn = len(str([['x'*99999]*9999]))", True),
    Hostile("issue_format_width", "burn = '%0200000000d' % 1", True),
    # repetition
    Hostile("sum_of_lists_sized_by_data",
            "n = len(item_code) * 243\nstart = [] if n else 0\nburn = len(sum([[1] * n] * n, start))", False),
    Hostile("sum_of_small_lists", "start = [] if item_code else 0\nburn = len(sum([[1] * 10] * 10, start))", False),
    Hostile("sum_of_texts", "burn = len(sum([item_code] * 9999, ''))", True),
    Hostile("text_repeated_by_data", "n = len(item_code) * 100000\nburn = len('x' * n)", False),
    Hostile("nested_repetition", "burn = len([[[0] * 1000] * 1000] * 1000)", True),
    Hostile("repetition_chain", "burn = len('ab' * 60000 * 60000)", True),
    Hostile("doubling_by_assignment", "a = [item_code]\n" + "a = [a, a]\n" * 40 + "burn = len(str(a))", False),
    Hostile("nesting_by_assignment", "a = [item_code]\n" + "a = [a]\n" * 40 + "burn = len(str(a))", False),
    Hostile("text_concatenation_growth", "a = 'x' * 50000 + item_code\nburn = len(a + a + a)", False),
    Hostile("slice_concatenation_growth", "a = [item_code] * 9999\nburn = len(a[:] + a[:])", False),
    # formatting
    Hostile("format_precision", "burn = '%.300000000f' % 1.5", True),
    Hostile("format_star_width", "burn = '%*d' % (300000000, 1)", True),
    Hostile("format_width_from_data", "t = '%0' + str(len(item_code) * 100000000) + 'd'\nburn = t % 1", False),
    Hostile("format_repeated_mapping", "a = 'x' * 99999\nburn = ('%(a)s' * 999) % {'a': a}", True),
    Hostile("format_nested_key_width", "burn = '%(x(y))0200000000d' % {'x(y)': len(item_code)}", True),
    Hostile("str_of_big_nested_list", "a = [[item_code] * 100] * 100\nburn = len(str(a))", False),
    # huge integers
    Hostile("power_tower", "burn = 10 ** 10 ** 10", True),
    Hostile("left_shift", "burn = 1 << len(item_code) * 100000000", True),
    Hostile("integer_growth", "a = 340282366920938463463374607431768211455\nburn = a * a * a * a", True),
    Hostile("round_to_huge_digits", "burn = round(len(item_code), -len(item_code) * 100000000)", False),
    Hostile("integer_from_long_text", "burn = int(item_code[3:] * 14000)", False),
    # work over big but allowed values
    Hostile("sorted_again_and_again",
            "a = [len(item_code)] * 9999\nburn = len(" + _nest("sorted", "a", 60) + ")", False),
    Hostile("max_again_and_again", "a = [len(item_code)] * 9999\nburn = " + _chain("max(a)", " + ", 50), False),
    Hostile("any_again_and_again", "a = [0] * 9999 + [len(item_code) - 7]\nburn = " + _chain("any(a)", " or ", 60),
            False),
    Hostile("compare_huge_structures", "a = [[item_code] * 99] * 150\nburn = " + _chain("a == a[:]", " and ", 35),
            False),
    Hostile("membership_in_big_list",
            "a = [[item_code] * 99] * 180\nb = [item_code] * 98 + ['y']\nburn = " + _chain("b in a", " or ", 60),
            False),
    Hostile("substring_search_worst_case",
            "h = 'a' * 99990 + item_code\nn = 'a' * 99 + 'b'\nburn = " + _chain("n in h", " or ", 60), False),
    Hostile("dict_of_huge_keys",
            "k = 'x' * 99990 + item_code\nburn = len({k: 1, k[1:]: 2, k[2:]: 3, k[3:]: 4})", False),
    # shapes of the text itself
    Hostile("long_or_chain", "burn = " + _chain("item_code", " or ", 500), True),
    Hostile("deep_unary_nesting", "burn = " + "-(" * 150 + "1" + ")" * 150, True),
    Hostile("deep_list_literal", "burn = " + "[" * 150 + "]" * 150, True),
    # a gateway condition
    Hostile("condition_str_of_nested_lists", "len(str([[item_code] * 9999] * 9999)) > 0", False, "condition"),
    Hostile("condition_constant_repetition", "len('x' * 99999 * 99999) > 0", True, "condition"),
]
