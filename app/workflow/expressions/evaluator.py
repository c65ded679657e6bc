"""A restricted evaluator for expressions and scripts written by process designers.

Designer text never reaches ``eval`` or ``exec``. It is parsed with :mod:`ast`, checked
against an allow-list of node types, and interpreted node by node
(:mod:`app.workflow.expressions.interpreter`):

* expressions: literals, names (never starting with ``_``), ``and``/``or``/``not``,
  comparisons, arithmetic (no ``**`` or shifts), conditional expressions, list/tuple/dict
  literals, subscripts, and calls of allow-listed named functions;
* scripts: a sequence of ``name = expression`` assignments (and ``pass``).

There is no attribute access, no lambda, no comprehension, no loop and no import, so the
known sandbox escapes (``().__class__.__base__.__subclasses__()``, ``__import__``,
``open``) cannot even be written. Each evaluation runs under a budget
(:mod:`app.workflow.expressions.limits`): its work is counted and every value is sized
before it is built, so a hostile text is stopped within milliseconds and a few megabytes.
At upload, :meth:`RestrictedEvaluator.check_constant_parts` computes what does not depend
on data under the same budget, so a constant that would exceed a limit is refused there.
"""
from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from app.workflow.expressions.builtins import BUILTIN_FUNCTIONS, OPERATORS
from app.workflow.expressions.interpreter import UNKNOWN, Interpreter
from app.workflow.expressions.interpreter import reject as _reject
from app.workflow.expressions.limits import Budget, ExpressionError, LimitExceeded

__all__ = ["ExpressionError", "LimitExceeded", "RestrictedEvaluator"]

MAX_SOURCE_CHARS = 4_000
MAX_NODES = 400
#: how deeply operations may nest (the interpreter recurses once per level)
MAX_TREE_DEPTH = 100

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression, ast.Module, ast.Assign, ast.Pass, ast.Expr,
    ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.BinOp, ast.Compare, ast.IfExp,
    ast.List, ast.Tuple, ast.Dict, ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    ast.Not, ast.USub, ast.UAdd, *OPERATORS,
)


#: what a refused construct is called in the message (designers read it; Python's names are code)
_CONSTRUCT_LABELS: dict[type, str] = {
    ast.Attribute: "属性访问（.）", ast.Pow: "乘方（**）", ast.Lambda: "匿名函数（lambda）",
    ast.ListComp: "列表推导", ast.SetComp: "集合推导", ast.DictComp: "字典推导", ast.GeneratorExp: "生成器表达式",
    ast.Set: "集合字面量", ast.Starred: "星号展开（*）", ast.NamedExpr: "海象赋值（:=）", ast.JoinedStr: "格式化字符串",
    ast.FormattedValue: "格式化字符串", ast.Await: "等待（await）", ast.Yield: "生成（yield）",
    ast.YieldFrom: "生成（yield）", ast.BitAnd: "按位与（&）", ast.BitOr: "按位或（|）", ast.BitXor: "按位异或（^）",
    ast.LShift: "左移（<<）", ast.RShift: "右移（>>）", ast.Invert: "按位取反（~）", ast.MatMult: "矩阵乘（@）",
    ast.AugAssign: "复合赋值（+= 等）", ast.AnnAssign: "带类型注解的赋值", ast.Import: "导入（import）",
    ast.ImportFrom: "导入（import）", ast.FunctionDef: "函数定义", ast.ClassDef: "类定义", ast.For: "循环（for）",
    ast.While: "循环（while）", ast.If: "条件语句（if）", ast.With: "上下文语句（with）", ast.Try: "异常处理（try）",
    ast.Raise: "抛出异常（raise）", ast.Delete: "删除（del）", ast.Global: "全局声明（global）",
    ast.Nonlocal: "非局部声明（nonlocal）", ast.Return: "返回（return）", ast.Assert: "断言（assert）",
}


def construct_label(node: ast.AST) -> str:
    """A refused construct in Chinese, as the message names it."""
    return _CONSTRUCT_LABELS.get(type(node), "此类语法")


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, int]]:
    """Every node with its depth, without recursion."""
    pending = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        yield node, depth
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_tree(tree: ast.AST, source: str, functions: frozenset[str]) -> None:
    nodes = []
    for node, depth in _walk(tree):  # size and depth first: what follows may recurse
        nodes.append(node)
        if len(nodes) > MAX_NODES:
            raise _reject("expression_too_complex", f"表达式过于复杂（超过 {MAX_NODES} 个语法节点）", source)
        if depth > MAX_TREE_DEPTH:
            raise _reject("expression_too_complex", f"表达式嵌套超过 {MAX_TREE_DEPTH} 层", source, node)
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            raise _reject("expression_not_allowed",
                          f"表达式中不允许使用{construct_label(node)}", source, node)
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


#: held while Python's parser builds an AST: in CPython 3.11 two threads turning parse trees into
#: ``ast`` objects at once may fail with "SystemError: AST constructor recursion depth mismatch"
#: (the counter is shared). Whoever parses in a thread of a running service takes it — the
#: expressions here, and the scenario sandboxes while Flask's routing compiles each new app's rules.
PARSE_LOCK = threading.RLock()


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str, functions: frozenset[str]) -> ast.AST:
    if not isinstance(source, str) or not source.strip():
        raise _reject("expression_empty", "表达式为空", str(source))
    if len(source) > MAX_SOURCE_CHARS:
        raise _reject("expression_too_long", f"表达式超过 {MAX_SOURCE_CHARS} 个字符", source[:200])
    try:
        with PARSE_LOCK:
            tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        raise ExpressionError("expression_syntax", f"表达式语法错误（第 {err.lineno} 行）",
                              source, line=err.lineno) from None
    except (ValueError, RecursionError, MemoryError):  # null bytes; nesting the parser refuses
        raise ExpressionError("expression_syntax", "表达式无法解析（含空字符或嵌套过深）", source) from None
    _check_tree(tree, source, functions)
    return tree


class RestrictedEvaluator:
    """Evaluates designer expressions and runs designer scripts under the allow-list and a budget.

    ``functions`` extends the built-ins (:data:`~app.workflow.expressions.builtins.BUILTIN_FUNCTIONS`)
    with named services the application offers to diagrams (for example a rules decision);
    they must be pure functions of their arguments, and are charged for the size of those.
    """

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.functions: dict[str, Callable[..., Any]] = dict(functions or {})
        self._names = frozenset(BUILTIN_FUNCTIONS) | frozenset(self.functions)

    def check_expression(self, source: str) -> None:
        """Raise :class:`ExpressionError` if ``source`` is not an allowed expression."""
        _compile(source, "eval", self._names)

    def check_script(self, source: str) -> None:
        """Raise :class:`ExpressionError` if ``source`` is not an allowed script."""
        _compile(source, "exec", self._names)

    def check_constant_parts(self, source: str, mode: str = "eval") -> None:
        """Raise :class:`LimitExceeded` if what ``source`` computes without data exceeds a limit.

        ``mode`` is ``"eval"`` for an expression, ``"exec"`` for a script; ``source`` must
        already pass the allow-list. The result is the same for the same text, so it is kept.
        """
        _fold_constants(source, mode, self._names)

    def evaluate(self, source: str, names: Mapping[str, Any]) -> Any:
        tree = _compile(source, "eval", self._names)
        return Interpreter(source, names, self.functions, Budget(source)).value_of(tree)

    def execute(self, source: str, names: dict[str, Any]) -> dict[str, Any]:
        """Run assignments against ``names``; returns the names assigned (also set in ``names``)."""
        tree = _compile(source, "exec", self._names)
        assert isinstance(tree, ast.Module)  # what "exec" compiles to
        interpreter = Interpreter(source, names, self.functions, Budget(source))
        return interpreter.run_script(tree.body, names)


def _unknown(*_args: Any, **_kwargs: Any) -> Any:
    """Stands for an application function at upload, where none is called (its value depends on data)."""
    return UNKNOWN


@lru_cache(maxsize=2048)
def _fold_constants(source: str, mode: str, functions: frozenset[str]) -> None:
    tree = _compile(source, mode, functions)
    assigned: dict[str, Any] = {}  # a script's own names are known from their assignment on
    interpreter = Interpreter(source, assigned, dict.fromkeys(functions - frozenset(BUILTIN_FUNCTIONS), _unknown),
                              Budget(source), static=True)
    if isinstance(tree, ast.Module):  # a script
        interpreter.run_script(tree.body, assigned)
    else:
        interpreter.value_of(tree)
