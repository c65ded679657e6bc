"""The budget of one evaluation: work is counted before it is done, sizes before values are built.

Every value an expression produces is measured by its *printed size* (the characters of its
``repr`` before escapes, a shared part counted every time it appears: what ``str()``, a
comparison or the saved JSON would go through) and its depth, and must stay within the
limits below; what escaping may add is counted too before anything is printed. Every
operation charges its work to a :class:`Budget` before doing it; a step of a workflow shares
one budget among all its evaluations (:func:`step_budget`). Exceeding any of them raises
:class:`LimitExceeded`, naming the limit. A wall-clock deadline is checked between
operations too, never by a signal, as a last line of defence.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain
from typing import Any

from app.domain.errors import InvalidInput

MAX_STR_LEN = 100_000
MAX_COLLECTION_LEN = 10_000
MAX_INT_BITS = 128
#: the printed size of any value (a text of MAX_STR_LEN characters fits twice)
MAX_VALUE_SIZE = 200_000
MAX_VALUE_DEPTH = 32
#: units of work of one evaluation: a unit is an element touched, 16 characters copied or
#: compared, 2 characters printed; at most some 25 ns each, so about 10 ms an evaluation
MAX_COST = 400_000
#: units of work of all the evaluations of one workflow step (a diagram that loops included)
MAX_STEP_COST = 4 * MAX_COST
#: what every evaluation costs the step before it starts (bounds a loop of trivial ones)
EVALUATION_COST = 200
#: the last line of defence, checked between operations
MAX_SECONDS = 1.0
_CLOCK_EVERY = 4_096  # units between two readings of the clock
_clock = time.monotonic


class ExpressionError(InvalidInput):
    """An expression is outside the allow-list or failed to evaluate."""

    def __init__(self, code: str, message: str, expression: str, **details: Any) -> None:
        super().__init__(code, message, expression=expression[:200], **details)
        self.expression = expression


class LimitExceeded(ExpressionError):
    """An evaluation would exceed one of its limits; nothing beyond the limit was built."""

    def __init__(self, limit: str, bound: int | float | None, message: str, source: str,
                 line: int | None = None) -> None:
        super().__init__("expression_limit_exceeded", f"表达式超出计算限额：{message}", source,
                         limit=limit, bound=bound, line=line)
        self.limit = limit
        self.bound = bound


def too_long_text(source: str, length: int | None = None) -> LimitExceeded:
    what = f"文本将达 {length:,} 个字符，" if length is not None else "文本"
    return LimitExceeded("max_str_len", MAX_STR_LEN, f"{what}超过上限 {MAX_STR_LEN:,} 个字符", source)


def too_many_items(source: str, count: int | None = None) -> LimitExceeded:
    what = f"将达 {count:,} 项，" if count is not None else ""
    return LimitExceeded("max_collection_len", MAX_COLLECTION_LEN,
                         f"列表、元组或字典{what}超过上限 {MAX_COLLECTION_LEN:,} 项", source)


def too_large(source: str, size: int | None = None) -> LimitExceeded:
    what = f"将达约 {size:,} 个字符，" if size is not None else ""
    return LimitExceeded("max_value_size", MAX_VALUE_SIZE,
                         f"数据规模（展开后的字符数）{what}超过上限 {MAX_VALUE_SIZE:,}", source)


def too_big_int(source: str) -> LimitExceeded:
    return LimitExceeded("max_int_bits", MAX_INT_BITS, f"整数超过上限 {MAX_INT_BITS} 位二进制", source)


class _Step:
    __slots__ = ("left", "units", "what")

    def __init__(self, units: int, what: str) -> None:
        self.left = self.units = units
        self.what = what


_current_step: ContextVar[_Step | None] = ContextVar("expression_step", default=None)


@contextmanager
def step_budget(units: int = MAX_STEP_COST, what: str = "本步骤") -> Iterator[None]:
    """Let every evaluation inside the block share ``units`` of work: one workflow step, or
    the checks of one uploaded document (``what`` names it in the message)."""
    token = _current_step.set(_Step(units, what))
    try:
        yield
    finally:
        _current_step.reset(token)


#: What a value amounts to, as ``(size, depth, work)``: the characters of its ``repr`` without
#: escapes (a shared part counted each time it appears); 0 for a scalar, 1 + the deepest
#: element for a list, tuple or dict; the units it takes to print it (numbers are slow to
#: print, floats most), about four times what comparing or hashing it takes. A plain tuple:
#: measuring is the one loop here that runs in Python, element by element.
Measure = tuple[int, int, int]

_NONE: Measure = (5, 0, 1)
_FLOAT: Measure = (24, 0, 32)


class Budget:
    """The work left to one evaluation and the measures of the values it has seen.

    Measures are remembered per object for the evaluation (the object is kept, so its id is
    not reused): measuring a value made of values already measured costs its own length.
    """

    def __init__(self, source: str, units: int = MAX_COST) -> None:
        self.source = source
        self.step = _current_step.get()
        if self.step is not None:
            self.step.left -= EVALUATION_COST
            if self.step.left < 0:
                raise self._step_exhausted()
            units = min(units, self.step.left)
        self.units = units
        self.left = units
        self._tick = _CLOCK_EVERY
        self._deadline = _clock() + MAX_SECONDS
        self._known: dict[int, tuple[Any, Measure]] = {}
        self._escapes: dict[int, tuple[Any, int]] = {}

    def _step_exhausted(self) -> LimitExceeded:
        step = self.step
        assert step is not None
        return LimitExceeded("max_step_cost", step.units,
                             f"{step.what}各表达式的计算量合计超过上限 {step.units:,}", self.source)

    def charge(self, units: int) -> None:
        """Spend ``units`` of work, before doing it."""
        self.left -= units
        if self.step is not None:
            self.step.left -= units
        if self.left < 0:
            if self.step is not None and self.step.left < 0 and self.units < MAX_COST:
                raise self._step_exhausted()
            raise LimitExceeded("max_cost", MAX_COST, f"计算量超过上限 {MAX_COST:,}", self.source)
        self._tick -= units
        if self._tick <= 0:
            self._tick = _CLOCK_EVERY
            if _clock() > self._deadline:
                raise LimitExceeded("max_seconds", MAX_SECONDS, f"计算时间超过上限 {MAX_SECONDS:g} 秒", self.source)

    def charge_size(self, size: int) -> None:
        """Charge work done in C over ``size`` characters (copying, searching)."""
        self.charge(size // 16 + 1)

    def charge_through(self, *values: Any, share: int = 1) -> None:
        """Charge going through ``values`` element by element: printing them costs their whole
        work, comparing or hashing them about a quarter of it (``share=4``)."""
        self.charge(sum(self.measure(v)[2] for v in values) // share + 1)

    # ------------------------------------------------------------------ measures

    def size(self, value: Any) -> int:
        """The printed size of ``value``; raises when it or any part is beyond a limit."""
        return self.measure(value)[0]

    def check(self, value: Any) -> Any:
        """``value`` if it is within every limit."""
        self.measure(value)
        return value

    def remember(self, value: Any, measure: Measure) -> None:
        """Record the measure of a value built from measured parts (an upper bound will do)."""
        if measure[0] > MAX_VALUE_SIZE:
            raise too_large(self.source, measure[0])
        if measure[1] > MAX_VALUE_DEPTH:
            raise self._too_deep()
        self._known[id(value)] = (value, measure)

    def _too_deep(self) -> LimitExceeded:
        return LimitExceeded("max_value_depth", MAX_VALUE_DEPTH, f"数据嵌套超过上限 {MAX_VALUE_DEPTH} 层", self.source)

    def measure(self, value: Any, level: int = 0) -> Measure:
        kind = type(value)
        if kind is str:
            if len(value) > MAX_STR_LEN:
                raise too_long_text(self.source, len(value))
            return len(value) + 2, 0, len(value) // 16 + 4
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise too_big_int(self.source)
            return value.bit_length() * 3 // 10 + 2, 0, 4
        if kind is float:
            return _FLOAT
        if value is None or kind is bool:
            return _NONE
        known = self._known.get(id(value))
        if known is not None:
            return known[1]
        if not isinstance(value, (list, tuple, dict)):
            for base in (str, int, float):  # a subclass: measured as its base
                if isinstance(value, base):
                    return self.measure(base(value), level)
            return 16, 0, 16  # an opaque object handed in by the application (never built here)
        if level >= MAX_VALUE_DEPTH:
            raise self._too_deep()
        if len(value) > MAX_COLLECTION_LEN:
            raise too_many_items(self.source, len(value))
        self.charge(8 * len(value) + 40)  # going through it here, in Python: a call per container
        size, depth, work = 2, 0, 12
        for element in _elements(value):
            element_kind = type(element)
            if element_kind is str:  # the common scalars inline: this loop is the slow part
                if len(element) > MAX_STR_LEN:
                    raise too_long_text(self.source, len(element))
                size += len(element) + 4
                work += len(element) // 16 + 4
            elif element_kind is int and element.bit_length() <= MAX_INT_BITS:
                size += element.bit_length() * 3 // 10 + 4
                work += 4
            else:
                part_size, part_depth, part_work = self.measure(element, level + 1)
                size += part_size + 2
                work += part_work
                if part_depth > depth:
                    depth = part_depth
            if size > MAX_VALUE_SIZE:
                raise too_large(self.source)
        if depth >= MAX_VALUE_DEPTH:
            raise self._too_deep()
        result = (size, depth + 1, work)
        self._known[id(value)] = (value, result)
        return result

    def printed_size(self, value: Any) -> int:
        """An upper bound of ``len(repr(value))``, escapes included (a character may take 10)."""
        return self.size(value) + self._escaped(value)

    def _escaped(self, value: Any) -> int:
        """How many characters escaping the texts in ``value`` may add to its printed size."""
        if isinstance(value, str):
            return self._escaped_text(value)
        if not isinstance(value, (list, tuple, dict)):
            return 0
        known = self._escapes.get(id(value))
        if known is None:
            self.charge(8 * len(value) + 40)
            extra = 0
            for element in _elements(value):
                element_kind = type(element)
                if element_kind is str:
                    extra += self._escaped_text(element) if len(element) > 8 or not element.isalnum() else 0
                elif element_kind is not int and element_kind is not float:
                    extra += self._escaped(element)
            known = self._escapes[id(value)] = (value, extra)
        return known[1]

    def _escaped_text(self, text: str) -> int:
        known = self._escapes.get(id(text))
        if known is None:
            self.charge(len(text) // 4 + 1)  # isprintable() reads some 4 characters a unit
            plain = text.isprintable() and "\\" not in text and not ("'" in text and '"' in text)
            known = self._escapes[id(text)] = (text, 0 if plain else 9 * len(text))
        return known[1]


def _elements(value: list[Any] | tuple[Any, ...] | dict[Any, Any]) -> Iterable[Any]:
    """The elements of a list or tuple; the keys and then the values of a dict."""
    return chain(value, value.values()) if isinstance(value, dict) else value
