"""A restricted evaluator for expressions and scripts written by process designers.

Designer text never reaches ``eval`` or ``exec``. It is parsed with :mod:`ast`, checked
against an allow-list of node types, and interpreted here node by node:

* expressions: literals, names (never starting with ``_``), ``and``/``or``/``not``,
  comparisons, arithmetic, conditional expressions, list/tuple/dict literals,
  subscripts, and calls of allow-listed named functions;
* scripts: a sequence of ``name = expression`` assignments (and ``pass``).

There is no attribute access, no lambda, no comprehension, no loop and no import, so the
known sandbox escapes (``().__class__.__base__.__subclasses__()``, ``__import__``,
``open``) cannot even be written, and every evaluation finishes in time bounded by the
size of the text. Results are bounded too (string, collection and integer sizes).
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from app.domain.errors import InvalidInput

MAX_SOURCE_CHARS = 4_000
MAX_NODES = 400
MAX_STR_LEN = 100_000
MAX_COLLECTION_LEN = 10_000
MAX_INT_BITS = 128


class ExpressionError(InvalidInput):
    """An expression is outside the allow-list or failed to evaluate."""

    def __init__(self, code: str, message: str, expression: str, **details: Any) -> None:
        super().__init__(code, message, expression=expression, **details)
        self.expression = expression


def _safe_round(value: Any, digits: int = 0) -> Any:
    return round(value, digits)


#: Functions a designer may call by name. Pure, bounded, side-effect free.
BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": _safe_round,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "sum": sum,
    "any": any,
    "all": all,
    "sorted": sorted,
}

_BIN_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY_OPS: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
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
_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression, ast.Module, ast.Assign, ast.Pass, ast.Expr,
    ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp,
    ast.List, ast.Tuple, ast.Dict, ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    *_BIN_OPS, *_UNARY_OPS, *_COMPARE_OPS,
)


def _reject(code: str, message: str, source: str, node: ast.AST | None = None) -> ExpressionError:
    line = getattr(node, "lineno", None)
    return ExpressionError(code, message, source, line=line)


def _check_tree(tree: ast.AST, source: str, functions: frozenset[str]) -> None:
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise _reject("expression_too_complex", "表达式过于复杂", source)
        if not isinstance(node, _ALLOWED_NODES):
            raise _reject("expression_not_allowed",
                          f"表达式中不允许使用“{type(node).__name__}”结构", source, node)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise _reject("expression_name_not_allowed",
                          f"表达式中不允许使用以下划线开头的名称“{node.id}”", source, node)
        if isinstance(node, ast.Constant) and not isinstance(
                node.value, (str, int, float, bool, type(None))):
            raise _reject("expression_not_allowed", "表达式中不允许使用此类常量", source, node)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in functions:
                name = ast.unparse(node.func)[:60]
                raise _reject("expression_function_not_allowed",
                              f"表达式中不允许调用函数“{name}”", source, node)
            if any(isinstance(a, ast.Starred) for a in node.args) or any(
                    k.arg is None for k in node.keywords):
                raise _reject("expression_not_allowed", "表达式中不允许使用可变参数", source, node)
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                raise _reject("script_not_allowed", "脚本只允许“名称 = 表达式”形式的赋值", source, node)
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call):
            raise _reject("script_not_allowed", "脚本只允许赋值语句", source, node)


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str, functions: frozenset[str]) -> ast.AST:
    if not isinstance(source, str) or not source.strip():
        raise _reject("expression_empty", "表达式为空", str(source))
    if len(source) > MAX_SOURCE_CHARS:
        raise _reject("expression_too_long", f"表达式超过 {MAX_SOURCE_CHARS} 个字符", source[:200])
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        raise ExpressionError("expression_syntax", f"表达式语法错误（第 {err.lineno} 行）",
                              source, line=err.lineno) from None
    _check_tree(tree, source, functions)
    return tree


def _bounded(value: Any, source: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _reject("expression_value_too_large", "表达式计算结果过大", source)
    if isinstance(value, str) and len(value) > MAX_STR_LEN:
        raise _reject("expression_value_too_large", "表达式计算结果过大", source)
    if isinstance(value, (list, tuple, dict)) and len(value) > MAX_COLLECTION_LEN:
        raise _reject("expression_value_too_large", "表达式计算结果过大", source)
    return value


class _Interpreter:
    def __init__(self, source: str, names: Mapping[str, Any],
                 functions: Mapping[str, Callable[..., Any]]) -> None:
        self.source = source
        self.names = names
        self.functions = functions

    def value_of(self, node: ast.AST) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - the allow-list check rules this out
            raise _reject("expression_not_allowed", "表达式结构不受支持", self.source, node)
        return _bounded(method(node), self.source)

    def _Expression(self, node: ast.Expression) -> Any:
        return self.value_of(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in ("True", "False", "None"):  # pragma: no cover - parsed as constants
            return {"True": True, "False": False, "None": None}[node.id]
        raise _reject("expression_unknown_name", f"表达式引用了未定义的名称“{node.id}”",
                      self.source, node)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for item in node.values:
            value = self.value_of(item)
            if is_and and not value:
                return value
            if not is_and and value:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY_OPS[type(node.op)](self.value_of(node.operand))

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.value_of(node.left), self.value_of(node.right)
        if isinstance(node.op, ast.Mult) and (
                isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple))):
            size = len(left) * right if isinstance(left, (str, list, tuple)) else len(right) * left
            if not isinstance(size, int) or size > MAX_STR_LEN:
                raise _reject("expression_value_too_large", "表达式计算结果过大", self.source, node)
        try:
            return _BIN_OPS[type(node.op)](left, right)
        except (TypeError, ZeroDivisionError, ValueError) as err:
            raise _reject("expression_failed", f"表达式计算失败：{err}", self.source, node) from None

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.value_of(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.value_of(comparator)
            try:
                ok = _COMPARE_OPS[type(op)](left, right)
            except TypeError as err:
                raise _reject("expression_failed", f"表达式比较失败：{err}", self.source, node) from None
            if not ok:
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.value_of(node.body) if self.value_of(node.test) else self.value_of(node.orelse)

    def _List(self, node: ast.List) -> list[Any]:
        return [self.value_of(e) for e in node.elts]

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.value_of(e) for e in node.elts)

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        if any(k is None for k in node.keys):
            raise _reject("expression_not_allowed", "表达式中不允许展开字典", self.source, node)
        return {self.value_of(k): self.value_of(v) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]

    def _Subscript(self, node: ast.Subscript) -> Any:
        container = self.value_of(node.value)
        if isinstance(node.slice, ast.Slice):
            parts = [None if p is None else self.value_of(p)
                     for p in (node.slice.lower, node.slice.upper, node.slice.step)]
            key: Any = slice(*parts)
        else:
            key = self.value_of(node.slice)
        if not isinstance(container, (list, tuple, dict, str)):
            raise _reject("expression_failed", "只能对列表、字典或文本取下标", self.source, node)
        try:
            return container[key]
        except (KeyError, IndexError, TypeError) as err:
            raise _reject("expression_failed", f"取值失败：{err}", self.source, node) from None

    def _Call(self, node: ast.Call) -> Any:
        func = self.functions[node.func.id]  # type: ignore[attr-defined]
        args = [self.value_of(a) for a in node.args]
        kwargs = {k.arg: self.value_of(k.value) for k in node.keywords}
        try:
            return func(*args, **kwargs)
        except ExpressionError:
            raise
        except InvalidInput:
            raise
        except (TypeError, ValueError, OverflowError) as err:
            raise _reject("expression_failed", f"函数调用失败：{err}", self.source, node) from None


class RestrictedEvaluator:
    """Evaluates designer expressions and runs designer scripts under the allow-list.

    ``functions`` extends :data:`BUILTIN_FUNCTIONS` with named services the application
    offers to diagrams (for example a rules decision); they must be pure functions of
    their arguments.
    """

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.functions: dict[str, Callable[..., Any]] = {**BUILTIN_FUNCTIONS, **(functions or {})}
        self._names = frozenset(self.functions)

    def check_expression(self, source: str) -> None:
        """Raise :class:`ExpressionError` if ``source`` is not an allowed expression."""
        _compile(source, "eval", self._names)

    def check_script(self, source: str) -> None:
        """Raise :class:`ExpressionError` if ``source`` is not an allowed script."""
        _compile(source, "exec", self._names)

    def evaluate(self, source: str, names: Mapping[str, Any]) -> Any:
        tree = _compile(source, "eval", self._names)
        return _Interpreter(source, names, self.functions).value_of(tree)

    def execute(self, source: str, names: dict[str, Any]) -> dict[str, Any]:
        """Run assignments against ``names``; returns the names assigned (also set in ``names``)."""
        tree = _compile(source, "exec", self._names)
        interpreter = _Interpreter(source, names, self.functions)
        assigned: dict[str, Any] = {}
        for statement in tree.body:  # type: ignore[attr-defined]
            if isinstance(statement, ast.Assign):
                target = statement.targets[0].id  # type: ignore[attr-defined]
                value = interpreter.value_of(statement.value)
                names[target] = value
                assigned[target] = value
            elif isinstance(statement, ast.Expr):
                interpreter.value_of(statement.value)
        return assigned
