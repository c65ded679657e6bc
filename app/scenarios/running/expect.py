"""The checks of ``那么`` steps: each failure says in Chinese what was expected and what was found.

Steps check through these functions rather than ``assert``, so the message is the same under
pytest, in any other runner and with ``python -O`` (which drops asserts).
"""
from __future__ import annotations

from typing import Any, TypeVar

from app.domain.errors import OneSealError

T = TypeVar("T")


class ExpectationFailed(AssertionError):
    """A step's check did not hold; the message is what an auditor reads in the report."""


def _fail(lines: list[str], context: object) -> None:
    body = "\n".join(lines)
    note = "" if context is None else str(context)
    raise ExpectationFailed(body if not note or note in body else f"{note}\n{body}")


def expect(condition: object, message: str) -> None:
    """``condition`` holds, or the step fails with ``message``."""
    if not condition:
        raise ExpectationFailed(message)


def present(value: T | None, message: str) -> T:
    """``value`` is there (not None), or the step fails with ``message``; the value, for use."""
    if value is None:
        raise ExpectationFailed(message)
    return value


def expect_equal(actual: object, expected: object, context: object = None) -> None:
    """``actual == expected``; ``context`` (what else was found) is added to the message."""
    if actual != expected:
        _fail(["实际与预期不符", f"实际：{actual!r}", f"预期：{expected!r}"], context)


def expect_in(item: object, container: Any, context: object = None) -> None:
    if item not in container:
        _fail(["预期的内容没有出现", f"预期包含：{item!r}", f"实际内容：{container!r}"], context)


def expect_not_in(item: object, container: Any, context: object = None) -> None:
    if item in container:
        _fail(["出现了不应出现的内容", f"不应包含：{item!r}", f"实际内容：{container!r}"], context)


def expect_answer(answer: object, kind: type[T], what: str) -> T:
    """The scenario's last answer, which must be ``what`` (of type ``kind``), not a refusal."""
    if isinstance(answer, OneSealError):
        raise ExpectationFailed(f"预期{what}，实际被拒绝：{answer.message}")
    if not isinstance(answer, kind):
        raise ExpectationFailed(f"预期此前一步得到{what}，实际没有")
    return answer
