"""The functions and the ``%`` formatting a designer may use, each sized and charged before it runs.

Every guarded built-in takes the evaluation's :class:`~app.workflow.expressions.limits.Budget`
first. ``sum`` adds numbers only (adding lists or texts is quadratic: write ``a + b``);
``str`` and ``%`` know the size of what they would print before printing it; ``round`` takes
at most :data:`MAX_ROUND_DIGITS` digits; ``sorted``, ``min``, ``max``, ``any`` and ``all``
pay for what they go through.
"""
from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from app.workflow.expressions.limits import (
    MAX_COLLECTION_LEN,
    MAX_STR_LEN,
    MAX_VALUE_SIZE,
    Budget,
    ExpressionError,
    LimitExceeded,
    too_large,
    too_long_text,
    too_many_items,
)

MAX_FORMAT_WIDTH = 100
MAX_ROUND_DIGITS = 64
#: what one conversion may print beyond its argument and width (``%f`` of 1e308: 309 digits)
_CONVERSION_SLACK = 330
_NUMBERS = (int, float)  # bool is an int
_DIGITS = "0123456789"


def _failed(budget: Budget, message: str) -> ExpressionError:
    return ExpressionError("expression_failed", message, budget.source)


def _length(budget: Budget, value: Any) -> int:
    budget.charge(1)
    return len(value)


def _iterated(budget: Budget, values: tuple[Any, ...]) -> None:
    """Charge for going through ``values`` (or the one iterable among them), comparing as it goes."""
    subject: Any = values[0] if len(values) == 1 else values
    if isinstance(subject, (str, list, tuple, dict)):
        budget.charge(len(subject) + 1)
    budget.charge_through(subject, share=4)


def _min(budget: Budget, *values: Any, **options: Any) -> Any:
    _no_key(budget, options)
    _iterated(budget, values)
    return min(*values, **options)


def _max(budget: Budget, *values: Any, **options: Any) -> Any:
    _no_key(budget, options)
    _iterated(budget, values)
    return max(*values, **options)


def _any(budget: Budget, values: Any) -> bool:
    _iterated(budget, (values,))
    return any(values)


def _all(budget: Budget, values: Any) -> bool:
    _iterated(budget, (values,))
    return all(values)


def _no_key(budget: Budget, options: Mapping[str, Any]) -> None:
    if "key" in options:
        raise _failed(budget, "不支持按函数（key）比较")


def _sorted(budget: Budget, values: Any, *, reverse: bool = False) -> list[Any]:
    if not isinstance(values, (str, list, tuple, dict)):
        raise _failed(budget, "sorted 只能排序列表、元组、字典或文本")
    count = len(values)
    if count > MAX_COLLECTION_LEN:  # the characters of a long text, one item each
        raise too_many_items(budget.source, count)
    budget.charge(count * (max(count, 2).bit_length()) + 1)
    budget.charge_through(values, share=4)
    result = sorted(values, reverse=reverse)
    if isinstance(values, (list, tuple)):  # the same elements: the same measure
        budget.remember(result, budget.measure(values))
    return result


def _numbers_only(budget: Budget) -> LimitExceeded:
    # adding up lists or texts copies the total once per element: quadratic work
    return LimitExceeded("sum_numbers_only", None, "sum 只能对数字求和（连接文本或列表请用 +）", budget.source)


def _sum(budget: Budget, values: Any, start: Any = 0) -> Any:
    # from a number, adding a text or a list fails at once: nothing is ever concatenated
    if not isinstance(start, _NUMBERS):
        raise _numbers_only(budget)
    if not isinstance(values, (list, tuple)):
        raise _failed(budget, "sum 只能对列表或元组求和")
    budget.charge(len(values) + 1)
    return sum(values, start)


def _str(budget: Budget, *value: Any) -> str:
    if len(value) != 1 or isinstance(value[0], str):
        return str(*value)  # "", the text itself, or a TypeError (no bytes to decode here)
    size = budget.printed_size(value[0])
    if size > MAX_STR_LEN:
        raise too_long_text(budget.source, size)
    budget.charge_through(value[0])
    return str(value[0])


def _round(budget: Budget, value: Any, digits: Any = None) -> Any:
    _check_digits(budget, digits)
    return round(value, digits)


def _check_digits(budget: Budget, digits: Any) -> None:
    if isinstance(digits, int) and abs(digits) > MAX_ROUND_DIGITS:  # round(7, -10**9) computes 10**(10**9)
        raise LimitExceeded("max_round_digits", MAX_ROUND_DIGITS,
                            f"round 的位数超过上限 {MAX_ROUND_DIGITS}", budget.source)


def check_known_arguments(budget: Budget, name: str, args: list[Any], kwargs: dict[str, Any],
                          unknown: Any) -> None:
    """What can be refused of a call while some of its arguments are not known (at upload)."""
    if name == "sum":
        start = args[1] if len(args) > 1 else kwargs.get("start", 0)
        if start is not unknown and not isinstance(start, _NUMBERS):
            raise _numbers_only(budget)
    elif name == "round" and len(args) > 1 and args[1] is not unknown:
        _check_digits(budget, args[1])


def _int(budget: Budget, *args: Any) -> int:
    if args and isinstance(args[0], str):
        budget.charge_size(len(args[0]))
    return int(*args)


def _float(budget: Budget, *args: Any) -> float:
    if args and isinstance(args[0], str):
        budget.charge_size(len(args[0]))
    result = float(*args)
    if not math.isfinite(result):
        raise _failed(budget, "数值无效（无穷大或非数）")
    return result


def _plain(function: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(budget: Budget, *args: Any, **kwargs: Any) -> Any:
        budget.charge(1)
        return function(*args, **kwargs)
    return guarded


#: The functions a designer may call by name, guarded: each takes the budget first.
BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _length,
    "min": _min,
    "max": _max,
    "abs": _plain(abs),
    "round": _round,
    "int": _int,
    "float": _float,
    "str": _str,
    "bool": _plain(bool),
    "sum": _sum,
    "any": _any,
    "all": _all,
    "sorted": _sorted,
}


# ---------------------------------------------------------------------- % formatting

def _conversions(template: str) -> Iterator[tuple[str | None, str, str, str]]:
    """(mapping key, width, precision, conversion) of each ``%`` conversion, read as CPython reads them."""
    end, at = len(template), template.find("%")
    while at != -1:
        i = at + 1
        key = None
        if i < end and template[i] == "(":
            depth, start = 1, i + 1
            i += 1
            while i < end and depth:
                depth += {"(": 1, ")": -1}.get(template[i], 0)
                i += 1
            key = template[start:i - 1]
        while i < end and template[i] in "-+ #0":
            i += 1
        width_start = i
        while i < end and (template[i] in _DIGITS or (template[i] == "*" and i == width_start)):
            i += 1
        width = template[width_start:i]
        precision = ""
        if i < end and template[i] == ".":
            i += 1
            precision_start = i
            while i < end and (template[i] in _DIGITS or (template[i] == "*" and i == precision_start)):
                i += 1
            precision = template[precision_start:i]
        if i < end and template[i] in "hlL":
            i += 1
        conversion = template[i] if i < end else ""
        if not (conversion == "%" and i == at + 1):
            yield key, width, precision, conversion
        at = template.find("%", i + 1)


def _spec_width(budget: Budget, digits: str) -> int:
    if "*" in digits:
        raise LimitExceeded("max_format_width", MAX_FORMAT_WIDTH,
                            f"格式化不允许用 * 指定宽度或精度（上限 {MAX_FORMAT_WIDTH}）", budget.source)
    if len(digits) > 3 or (digits and int(digits) > MAX_FORMAT_WIDTH):
        raise LimitExceeded("max_format_width", MAX_FORMAT_WIDTH,
                            f"格式化的宽度或精度超过上限 {MAX_FORMAT_WIDTH}", budget.source)
    return int(digits) if digits else 0


def check_template(budget: Budget, template: str) -> list[tuple[str | None, str, int]]:
    """(key, conversion, what it may add besides its argument) for each conversion of a ``%``
    template; refuses ``*`` and widths or precisions beyond :data:`MAX_FORMAT_WIDTH`."""
    budget.charge_size(len(template))
    return [(key, conversion, _spec_width(budget, width) + _spec_width(budget, precision) + _CONVERSION_SLACK)
            for key, width, precision, conversion in _conversions(template)]


def format_percent(budget: Budget, template: str, args: Any) -> str:
    """``template % args`` once the length of the result is known to be within the limits."""
    conversions = check_template(budget, template)
    positional = list(args) if isinstance(args, tuple) else [args]
    estimate = len(template)
    for index, (key, conversion, extra) in enumerate(conversions):
        if isinstance(args, dict):
            value = args.get(key) if key is not None else args
        else:
            value = positional[index] if index < len(positional) else None
        printed = len(value) if conversion == "s" and isinstance(value, str) else budget.printed_size(value)
        estimate += extra + printed
        if estimate > MAX_STR_LEN:
            raise too_long_text(budget.source, estimate)
    budget.charge_through(args)
    return template % args


# ---------------------------------------------------------------------- operators

_SEQUENCES = (str, list, tuple)
_BIN_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE_OPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
#: the operator node types the interpreter knows (the allow-list takes them from here)
OPERATORS: tuple[type, ...] = (*_BIN_OPS, *_COMPARE_OPS)


def _repeat(budget: Budget, sequence: Any, times: int) -> Any:
    """``sequence * times``, sized before it is built."""
    count = len(sequence) * max(times, 0)
    if isinstance(sequence, str):
        if count > MAX_STR_LEN:
            raise too_long_text(budget.source, count)
        budget.charge_size(count)
        return sequence * times
    if count > MAX_COLLECTION_LEN:
        raise too_many_items(budget.source, count)
    part_size, depth, part_work = budget.measure(sequence)
    size = 2 + (part_size - 2) * max(times, 0)
    if size > MAX_VALUE_SIZE:
        raise too_large(budget.source, size)
    budget.charge(count + 1)
    result = sequence * times
    budget.remember(result, (size, depth, 12 + (part_work - 12) * max(times, 0)))
    return result


def _concatenate(budget: Budget, left: Any, right: Any) -> Any:
    """``left + right`` of two texts, lists or tuples, sized before it is built."""
    count = len(left) + len(right)
    if isinstance(left, str):
        if count > MAX_STR_LEN:
            raise too_long_text(budget.source, count)
        budget.charge_size(count)
        return left + right
    if count > MAX_COLLECTION_LEN:
        raise too_many_items(budget.source, count)
    first, second = budget.measure(left), budget.measure(right)
    size = first[0] + second[0] - 2
    if size > MAX_VALUE_SIZE:
        raise too_large(budget.source, size)
    budget.charge(count + 1)
    result = left + right
    budget.remember(result, (size, max(first[1], second[1]), first[2] + second[2] - 12))
    return result


def binary(budget: Budget, op: type, left: Any, right: Any) -> Any:
    """``left <op> right``; whatever could grow beyond a limit is sized first."""
    if op is ast.Mod and isinstance(left, str):
        return format_percent(budget, left, right)
    if op is ast.Mult:
        if isinstance(left, _SEQUENCES) and isinstance(right, int):
            return _repeat(budget, left, right)
        if isinstance(right, _SEQUENCES) and isinstance(left, int):
            return _repeat(budget, right, left)
    if op is ast.Add and isinstance(left, _SEQUENCES) and type(left) is type(right):
        return _concatenate(budget, left, right)
    budget.charge(1)  # numbers: both within MAX_INT_BITS, so the result is cheap and checked after
    return _BIN_OPS[op](left, right)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 64)


def compare(budget: Budget, op: type, left: Any, right: Any) -> bool:
    """``left <op> right``, charged for the parts of both sides it may go through."""
    if op in (ast.In, ast.NotIn) and isinstance(left, str) and isinstance(right, str):
        # a substring search: in the worst case each position of ``right`` against a prefix of ``left``
        budget.charge(len(right) * min(len(left), 100) // 64 + 1)
    elif _is_scalar(left) and _is_scalar(right):
        budget.charge(1)
    else:
        budget.charge_through(left, right, share=4)
        if isinstance(right, (list, tuple, dict)):
            budget.charge(len(right))
    return bool(_COMPARE_OPS[op](left, right))
