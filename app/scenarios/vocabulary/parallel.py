"""并联审批：审查方式、各部门意见与结论
Parallel approval (并联审批): the mode, each department's answer kept apart, the outcome."""
from __future__ import annotations

from app.scenarios.running.expect import expect, expect_equal, present
from app.scenarios.language.registry import then
from app.scenarios.running.services import ScenarioServices
from app.services.casework.parallel_review import ParallelView

OUTCOMES = {"通过": "approve", "不通过": "reject"}


def _parallel(services: ScenarioServices, case_id: int) -> ParallelView:
    parallel = present(services.detail(case_id)["parallel"], "本办件没有并联审查")
    return parallel


@then("并联审查方式为“{mode}”，需要{count:d}个部门同意")
def parallel_mode(services: ScenarioServices, case_id: int, mode: str, count: int) -> None:
    """事项的并联审查方式（会签、或签、按比例）及需要同意的部门数。"""
    parallel = _parallel(services, case_id)
    expect_equal((parallel["mode_label"], parallel["required_approvals"]), (mode, count), parallel)


@then("并联审查结论为“{outcome}”")
def parallel_outcome(services: ScenarioServices, case_id: int, outcome: str) -> None:
    """各部门意见按并联方式汇总后的结论（通过/不通过）。"""
    parallel = _parallel(services, case_id)
    expect(outcome in OUTCOMES, f"预期结论为{'、'.join(OUTCOMES)}之一，实际为“{outcome}”")
    expect_equal((parallel["settled"], parallel["outcome"]), (True, OUTCOMES[outcome]), parallel)


@then("各部门的并联审查意见并列保留：")
def opinions_side_by_side(services: ScenarioServices, case_id: int, datatable: list[list[str]]) -> None:
    """各部门的审查意见逐一保留、互不覆盖：表格三列为“部门”“结论”“意见”，按作出意见的先后排列。"""
    header, *rows = datatable
    expect_equal(header, ["部门", "结论", "意见"])
    opinions = _parallel(services, case_id)["opinions"]
    expect_equal([[o["department_name"], o["decision_label"], o["opinion"]] for o in opinions], rows)


@then("其余部门的并联审查待办已撤销")
def no_more_parallel_tasks(services: ScenarioServices, case_id: int) -> None:
    """并联审查已有结论，尚未办理的部门的并联审查待办不再出现。"""
    names = [t["name"] for t in services.detail(case_id)["tasks"]]
    expect("并联审查" not in names, f"预期没有“并联审查”待办，实际仍有：{names}")
