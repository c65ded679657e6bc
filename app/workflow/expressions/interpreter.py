"""Walks an allow-listed syntax tree under a budget: at run time, or over its constant parts at upload.

At run time every node costs a unit, and its value is checked against the limits as soon as it
exists (the operations that could build something too large size it before, see
:mod:`app.workflow.expressions.builtins`). Statically (``static=True``), names the text did not
assign itself are unknown: whatever depends on them is not computed, everything else is, under
the same budget, so a constant ``"x" * 99999 * 99999`` is refused at upload. Designer functions
are never called statically; failures other than a limit are left for run time.
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.workflow.expressions.builtins import (
    BUILTIN_FUNCTIONS,
    binary,
    check_known_arguments,
    check_template,
    compare,
)
from app.workflow.expressions.limits import (
    MAX_VALUE_SIZE,
    Budget,
    ExpressionError,
    LimitExceeded,
    too_large,
)

_UNARY_OPS: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
#: what a designer's expression may raise that means "it failed" rather than "the service broke"
_FAILURES = (TypeError, ValueError, ArithmeticError, LookupError, RecursionError)


class _Unknown:
    """A value that depends on the case's data (static evaluation only)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()


def reject(code: str, message: str, source: str, node: ast.AST | None = None) -> ExpressionError:
    return ExpressionError(code, message, source, line=getattr(node, "lineno", None))


class Interpreter:
    def __init__(self, source: str, names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
                 budget: Budget, *, static: bool = False) -> None:
        self.source = source
        self.names = names
        self.functions = functions
        self.budget = budget
        self.static = static

    def value_of(self, node: ast.AST) -> Any:
        self.budget.charge(1)
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - the allow-list check rules this out
            raise reject("expression_not_allowed", "表达式结构不受支持", self.source, node)
        try:
            value = method(node)
            return value if value is UNKNOWN else self.budget.check(value)
        except LimitExceeded as err:
            if err.details.get("line") is None:
                err.details["line"] = getattr(node, "lineno", None)
            raise
        except ExpressionError:
            if self.static:
                return UNKNOWN
            raise
        except _FAILURES as err:
            if self.static:
                return UNKNOWN
            raise reject("expression_failed", f"表达式计算失败：{str(err)[:200]}", self.source, node) from None

    def run_script(self, body: list[ast.stmt], names: dict[str, Any]) -> dict[str, Any]:
        """Run assignments into ``names``; the values assigned, within MAX_VALUE_SIZE together."""
        assigned: dict[str, Any] = {}
        total = 0
        for statement in body:
            if isinstance(statement, ast.Assign):
                name = statement.targets[0]
                assert isinstance(name, ast.Name)  # the only target compiling allows
                target = name.id
                value = self.value_of(statement.value)
                names[target] = value
                assigned[target] = value
                if value is not UNKNOWN:
                    total += self.budget.size(value)
                    if total > MAX_VALUE_SIZE:
                        raise too_large(self.source, total)
            elif isinstance(statement, ast.Expr):
                self.value_of(statement.value)
        return assigned

    # ------------------------------------------------------------------ nodes

    def _Expression(self, node: ast.Expression) -> Any:
        return self.value_of(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if self.static:
            return UNKNOWN
        raise reject("expression_unknown_name", f"表达式引用了未定义的名称“{node.id}”", self.source, node)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        values: Iterable[Any]
        if self.static:  # every operand, whether or not the data would reach it
            values = [self.value_of(item) for item in node.values]
            if any(v is UNKNOWN for v in values):
                return UNKNOWN
        else:  # one operand at a time: ``and`` and ``or`` stop at the first that decides
            values = (self.value_of(item) for item in node.values)
        value: Any = None
        for value in values:
            if bool(value) != is_and:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.value_of(node.operand)
        if operand is UNKNOWN:
            return UNKNOWN
        return _UNARY_OPS[type(node.op)](operand)

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.value_of(node.left), self.value_of(node.right)
        if isinstance(node.op, ast.Mod) and isinstance(left, str) and right is UNKNOWN:
            check_template(self.budget, left)  # a constant template is refused whatever it formats
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return binary(self.budget, type(node.op), left, right)

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.value_of(node.left)
        known = left is not UNKNOWN
        for op, comparator in zip(node.ops, node.comparators):
            right = self.value_of(comparator)
            if left is UNKNOWN or right is UNKNOWN:
                known = False
            elif known and not compare(self.budget, type(op), left, right):
                return False
            left = right
        return True if known else UNKNOWN

    def _IfExp(self, node: ast.IfExp) -> Any:
        test = self.value_of(node.test)
        if self.static:
            body, orelse = self.value_of(node.body), self.value_of(node.orelse)
            return UNKNOWN if test is UNKNOWN else (body if test else orelse)
        return self.value_of(node.body) if test else self.value_of(node.orelse)

    def _List(self, node: ast.List) -> Any:
        items = [self.value_of(e) for e in node.elts]
        return UNKNOWN if any(v is UNKNOWN for v in items) else items

    def _Tuple(self, node: ast.Tuple) -> Any:
        items = tuple(self.value_of(e) for e in node.elts)
        return UNKNOWN if any(v is UNKNOWN for v in items) else items

    def _Dict(self, node: ast.Dict) -> Any:
        keys = [k for k in node.keys if k is not None]  # a key of None unpacks a mapping: ``{**d}``
        if len(keys) < len(node.keys):
            raise reject("expression_not_allowed", "表达式中不允许展开字典", self.source, node)
        pairs = [(self.value_of(k), self.value_of(v)) for k, v in zip(keys, node.values)]
        if any(k is UNKNOWN or v is UNKNOWN for k, v in pairs):
            return UNKNOWN
        self.budget.charge_through(*(key for key, _ in pairs), share=4)  # hashing them
        return dict(pairs)

    def _Subscript(self, node: ast.Subscript) -> Any:
        container = self.value_of(node.value)
        if isinstance(node.slice, ast.Slice):
            parts = [None if p is None else self.value_of(p)
                     for p in (node.slice.lower, node.slice.upper, node.slice.step)]
            key: Any = UNKNOWN if any(p is UNKNOWN for p in parts) else slice(*parts)
        else:
            key = self.value_of(node.slice)
        if container is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if not isinstance(container, (list, tuple, dict, str)):
            raise reject("expression_failed", "只能对列表、字典或文本取下标", self.source, node)
        if isinstance(key, slice):
            self.budget.charge(len(container) // (16 if isinstance(container, str) else 1) + 1)
            part = container[key]
            if isinstance(part, list) and part:  # no larger than what it was cut from
                self.budget.remember(part, self.budget.measure(container))
            return part
        self.budget.charge_through(key, share=4)
        try:
            return container[key]
        except (KeyError, IndexError, TypeError) as err:
            raise reject("expression_failed", f"取值失败：{str(err)[:200]}", self.source, node) from None

    def _Call(self, node: ast.Call) -> Any:
        func = node.func
        assert isinstance(func, ast.Name)  # the only callee compiling allows
        name = func.id
        args = [self.value_of(a) for a in node.args]
        # ``**mapping`` (a keyword without a name) is refused when the text is compiled
        kwargs = {k.arg: self.value_of(k.value) for k in node.keywords if k.arg is not None}
        values = [*args, *kwargs.values()]
        if name in self.functions:
            if self.static:
                return UNKNOWN  # a function of the application is never called at upload
            self.budget.charge_through(*values, share=4)
            return self.functions[name](*args, **kwargs)
        if self.static and any(v is UNKNOWN for v in values):
            check_known_arguments(self.budget, name, args, kwargs, UNKNOWN)
            return UNKNOWN
        return BUILTIN_FUNCTIONS[name](self.budget, *args, **kwargs)
