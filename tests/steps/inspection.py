"""Steps for site inspection on real cases (现场核查): how the rules routed it, who inspects,
what each department found."""
from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then

from app.services.intake.application import Application
from app.services.intake.registration import register_case

RISK = {"低": "low", "中": "medium", "高": "high"}


@given(parsers.parse("综合窗口收到“{applicant}”申请“{item}”的全部材料，申报风险等级为“{risk}”"))
def application_with_risk(desk: Any, applicant: str, item: str, risk: str) -> None:
    """登记一件办件，收取全部材料，并申报本案的风险等级（低/中/高），覆盖事项目录的默认值。"""
    code = next(i.code for i in desk.ext.runtime.catalogue.items.values() if i.name == item)
    materials = [m.code for m in desk.ext.runtime.catalogue.item(code).materials]
    window = desk.actor("window")
    desk.case_id = desk.run(lambda s, rt: register_case(
        s, rt, window, Application(code, {"name": applicant}, materials, {"risk_level": RISK[risk]})).id)


@given(parsers.parse("综合窗口收到“{applicant}”申请“{item}”的全部材料，申报本案无需现场核查"))
def application_without_inspection(desk: Any, applicant: str, item: str) -> None:
    """登记一件办件，收取全部材料，并申报本案无需现场核查（例如同一场所近期已经核查），由规则判断。"""
    code = next(i.code for i in desk.ext.runtime.catalogue.items.values() if i.name == item)
    materials = [m.code for m in desk.ext.runtime.catalogue.item(code).materials]
    window = desk.actor("window")
    desk.case_id = desk.run(lambda s, rt: register_case(
        s, rt, window, Application(code, {"name": applicant}, materials, {"requires_site_inspection": False})).id)


@then(parsers.parse("现场核查方式为“{mode}”，依据规则“{rule_id}”"))
def inspection_mode(desk: Any, mode: str, rule_id: str) -> None:
    """规则为本案决定的核查方式（独立核查/联合核查/委托核查）及命中的规则编号。"""
    inspection = desk.detail()["inspection"]
    assert inspection is not None, "本案没有作出现场核查方式的规则判断"
    assert (inspection["mode_label"], inspection["rule_id"]) == (mode, rule_id), inspection["explanation"]


@then("核查要求邀请专家参加")
def experts_invited(desk: Any) -> None:
    """规则判断要求邀请专家参加联合核查。"""
    assert desk.detail()["inspection"]["invite_experts"] is True


@then(parsers.parse("办件历史中写明“{text}”"))
def history_says(desk: Any, text: str) -> None:
    """办件历史（中文说明）中有一条包含给定文字。"""
    descriptions = [e["description"] for e in desk.detail()["history"]]
    assert any(text in d for d in descriptions), descriptions


@then(parsers.parse("“{step}”环节由以下部门各办理一件：{departments}"))
def one_task_per_department(desk: Any, step: str, departments: str) -> None:
    """某环节的待办按部门展开，每个部门一件（部门名用顿号分隔）。"""
    runtime = desk.ext.runtime
    tasks = [t for t in desk.detail()["tasks"] if t["name"] == step]
    names = sorted(runtime.catalogue.department_name(t["department"]) for t in tasks)
    assert names == sorted(departments.split("、")), names


@then(parsers.parse("“{department}”的核查结论为“{finding}”"))
def department_finding(desk: Any, department: str, finding: str) -> None:
    """某部门在现场核查中给出的结论被保留（联合核查时各部门分别保留）。"""
    findings = desk.detail()["inspection"]["findings"]
    mine = [f for f in findings if f["department_name"] == department]
    assert mine and mine[-1]["finding"] == finding, findings
