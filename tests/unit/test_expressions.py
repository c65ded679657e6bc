"""Designer text is interpreted under an allow-list: known sandbox escapes never run."""
from __future__ import annotations

import pytest

from app.workflow.expressions.evaluator import ExpressionError, RestrictedEvaluator

ESCAPES = [
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "().__class__.__base__.__subclasses__()",
    "[].__class__.__mro__[1].__subclasses__()",
    "(lambda: 1)()",
    "[x for x in range(10**9)]",
    "getattr(decision, '__class__')",
    "eval('1+1')",
    "exec('import os')",
    "globals()",
    "__builtins__",
    "decision.__class__",
    "'a' * 10**9",
    "10**10**10",
    "type(decision)",
    "vars()",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_known_escapes_are_refused(source):
    evaluator = RestrictedEvaluator()
    with pytest.raises(ExpressionError):
        evaluator.check_expression(source)
        evaluator.evaluate(source, {"decision": "approve"})


@pytest.mark.parametrize("source, expected", [
    ('decision == "approve"', True),
    ('decision != "approve" or amount > 10', False),
    ("amount >= 5 and not urgent", True),
    ("len(departments) > 1", True),
    ('risk in ["high", "medium"]', False),
    ('facts["risk_level"] == "low"', True),
    ("amount * 2 + 1", 11),
    ("max(amount, 3)", 5),
    ('"准予" if decision == "approve" else "不予"', "准予"),
])
def test_allowed_expressions_evaluate(source, expected):
    names = {"decision": "approve", "amount": 5, "urgent": False, "departments": ["a", "b"],
             "risk": "low", "facts": {"risk_level": "low"}}
    assert RestrictedEvaluator().evaluate(source, names) == expected


def test_scripts_are_assignments_only():
    evaluator = RestrictedEvaluator()
    names = {"amount": 2}
    assert evaluator.execute("total = amount * 3\nlabel = '合计'", names) == {"total": 6, "label": "合计"}
    for script in ("import os", "while True: pass", "def f(): pass", "x.y = 1", "del amount",
                   "for i in range(3): pass", "with open('x') as f: pass", "_secret = 1"):
        with pytest.raises(ExpressionError):
            evaluator.execute(script, {"amount": 1})


def test_unknown_names_and_huge_values_fail_cleanly():
    evaluator = RestrictedEvaluator()
    with pytest.raises(ExpressionError) as err:
        evaluator.evaluate("missing > 1", {})
    assert "未定义" in err.value.message
    with pytest.raises(ExpressionError):
        evaluator.evaluate("'ab' * n", {"n": 10**7})
    with pytest.raises(ExpressionError):
        evaluator.evaluate("1 / 0", {})


def test_registered_functions_are_callable():
    evaluator = RestrictedEvaluator({"double": lambda x: x * 2})
    assert evaluator.evaluate("double(21)", {}) == 42
