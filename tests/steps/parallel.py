"""Steps for parallel approval (并联审批): the mode, each department's answer, the outcome."""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then

OUTCOMES = {"通过": "approve", "不通过": "reject"}


@then(parsers.parse("并联审查方式为“{mode}”，需要{count:d}个部门同意"))
def parallel_mode(desk: Any, mode: str, count: int) -> None:
    """事项的并联审查方式（会签、或签、按比例）及需要同意的部门数。"""
    parallel = desk.detail()["parallel"]
    assert (parallel["mode_label"], parallel["required_approvals"]) == (mode, count), parallel


@then(parsers.parse("并联审查结论为“{outcome}”"))
def parallel_outcome(desk: Any, outcome: str) -> None:
    """各部门意见按并联方式汇总后的结论（通过/不通过）。"""
    parallel = desk.detail()["parallel"]
    assert parallel["settled"] and parallel["outcome"] == OUTCOMES[outcome], parallel


@then("各部门的并联审查意见并列保留：")
def opinions_side_by_side(desk: Any, datatable: list[list[str]]) -> None:
    """各部门的审查意见逐一保留、互不覆盖：表格三列为“部门”“结论”“意见”，按作出意见的先后排列。"""
    header, *rows = datatable
    assert header == ["部门", "结论", "意见"], header
    opinions = desk.detail()["parallel"]["opinions"]
    assert [[o["department_name"], o["decision_label"], o["opinion"]] for o in opinions] == rows, opinions


@then("其余部门的并联审查待办已撤销")
def no_more_parallel_tasks(desk: Any) -> None:
    """并联审查已有结论，尚未办理的部门的并联审查待办不再出现。"""
    assert all(t["name"] != "并联审查" for t in desk.detail()["tasks"])
