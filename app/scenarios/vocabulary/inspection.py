"""现场核查：核查方式与各部门结论
Site inspection on real cases: how the rules routed it, who inspects, what each department found."""
from __future__ import annotations

from app.domain.errors import OneSealError
from app.persistence.access.users import usernames_named
from app.scenarios.running.expect import expect, expect_equal, present
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary.cases import register, work
from app.scenarios.vocabulary.rules import RISK


def _item(services: ScenarioServices, name: str) -> tuple[str, list[str]]:
    """The code of the item named ``name`` and all its materials."""
    found = [i for i in services.catalogue.items.values() if i.name == name]
    expect(found, f"事项目录中没有事项“{name}”")
    return found[0].code, [m.code for m in found[0].materials]


@given("综合窗口收到“{applicant}”申请“{item}”的全部材料，申报风险等级为“{risk}”", produces="case_id")
def application_with_risk(services: ScenarioServices, applicant: str, item: str, risk: str) -> int:
    """登记一件办件，收取全部材料，并申报本案的风险等级（低/中/高），覆盖事项目录的默认值。"""
    expect(risk in RISK, f"预期风险等级为{'、'.join(RISK)}之一，实际为“{risk}”")
    code, materials = _item(services, item)
    return register(services, applicant, code, materials, {"risk_level": RISK[risk]})


@given("综合窗口收到“{applicant}”申请“{item}”的全部材料，申报本案无需现场核查", produces="case_id")
def application_without_inspection(services: ScenarioServices, applicant: str, item: str) -> int:
    """登记一件办件，收取全部材料，并申报本案无需现场核查（例如同一场所近期已经核查），由规则判断。"""
    code, materials = _item(services, item)
    return register(services, applicant, code, materials, {"requires_site_inspection": False})


@then("现场核查方式为“{mode}”，依据规则“{rule_id}”")
def inspection_mode(services: ScenarioServices, case_id: int, mode: str, rule_id: str) -> None:
    """规则为本案决定的核查方式（独立核查/联合核查/委托核查）及命中的规则编号。"""
    inspection = present(services.detail(case_id)["inspection"], "本案没有作出现场核查方式的规则判断")
    expect_equal((inspection["mode_label"], inspection["rule_id"]), (mode, rule_id), inspection["explanation"])


@then("核查要求邀请专家参加")
def experts_invited(services: ScenarioServices, case_id: int) -> None:
    """规则判断要求邀请专家参加联合核查。"""
    inspection = present(services.detail(case_id)["inspection"], "本案没有作出现场核查方式的规则判断")
    expect_equal(inspection["invite_experts"], True, inspection["explanation"])


@then("办件历史中写明“{text}”")
def history_says(services: ScenarioServices, case_id: int, text: str) -> None:
    """办件历史（中文说明）中有一条包含给定文字。"""
    descriptions = [e["description"] for e in services.detail(case_id)["history"]]
    expect(any(text in d for d in descriptions), f"预期办件历史中写明“{text}”，实际：{descriptions}")


@then("“{step}”环节由以下部门各办理一件：{departments}")
def one_task_per_department(services: ScenarioServices, case_id: int, step: str, departments: str) -> None:
    """某环节的待办按部门展开，每个部门一件（部门名用顿号分隔）。"""
    tasks = [t for t in services.detail(case_id)["tasks"] if t["name"] == step]
    found = sorted(services.catalogue.department_name(t["department"]) for t in tasks)
    expect_equal(found, sorted(departments.split("、")))


@then("“{department}”的核查结论为“{finding}”")
def department_finding(services: ScenarioServices, case_id: int, department: str, finding: str) -> None:
    """某部门在现场核查中给出的结论被保留（联合核查时各部门分别保留）。"""
    inspection = present(services.detail(case_id)["inspection"], "本案没有现场核查")
    mine = [f for f in inspection["findings"] if f["department_name"] == department]
    expect(mine, f"预期“{department}”给出了核查结论，实际没有：{inspection['findings']}")
    expect_equal(mine[-1]["finding"], finding, inspection["findings"])


def _username(services: ScenarioServices, person: str) -> str:
    """A person as a scenario names them: by display name (现场勘验股核查员二) or username."""
    found = services.read(lambda session: usernames_named(session, person))
    return found[0] if found else person


@when("“{username}”办理“{step}”环节，核查日期为“{day}”，第二核查人为“{second}”，核查结论为“{finding}”，意见为“{opinion}”",
      produces="answer")
def inspect_with_form(services: ScenarioServices, case_id: int, username: str, step: str, day: str, second: str,
                      finding: str, opinion: str) -> OneSealError | None:
    """核查人员填写完整的核查表：核查日期（不晚于今天、不早于登记日）、第二核查人（本部门另一名核查人员，
    写姓名或用户名；核查须两人）、核查结论和意见。"""
    return work(services, case_id, username, step, None, opinion,
                {"inspected_on": day, "second_inspector": _username(services, second), "finding": finding})


@when("“{username}”提交“{step}”环节但未填写核查表，意见为“{opinion}”", produces="answer")
def inspect_without_form(services: ScenarioServices, case_id: int, username: str, step: str,
                         opinion: str) -> OneSealError | None:
    """核查人员只写意见就提交核查环节（核查日期、第二核查人、核查结论都未填写）。"""
    return work(services, case_id, username, step, None, opinion, {})


@then("“{department}”的核查由“{inspector}”和“{second}”两人于“{day}”完成")
def inspected_by_two(services: ScenarioServices, case_id: int, department: str, inspector: str, second: str,
                     day: str) -> None:
    """某部门的现场核查记录了两名核查人员（姓名）和核查日期。"""
    detail = services.detail(case_id)
    inspection = present(detail["inspection"], "本案没有现场核查")
    mine = [f for f in inspection["findings"] if f["department_name"] == department]
    expect(mine, f"预期“{department}”给出了核查结论，实际没有：{inspection['findings']}")
    expect_equal((mine[-1]["by"], mine[-1]["second_inspector"], mine[-1]["inspected_on"]),
                 (_username(services, inspector), _username(services, second), day))
