"""办件与办理：登记、受理、审查、决定、出件
Registering cases at the window and working their steps, as the window and the reviewers do."""
from __future__ import annotations

from typing import Any

from app.domain.errors import OneSealError
from app.scenarios.running.expect import ExpectationFailed, expect, expect_equal, expect_in
from app.scenarios.running.inspection_form import filled_in
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.services import ScenarioServices
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.intake.application import Application
from app.services.intake.registration import register_case

DECISIONS = {"受理": "approve", "不予受理": "reject", "准予": "approve", "不予": "reject",
             "建议准予": "approve", "建议不予": "reject", "同意": "approve", "不同意": "reject",
             "提请专家评审": "expert", "组织听证": "hearing", "当场准予": "approve",
             "承诺属实": "pass", "承诺不实": "fail", "建议撤销": "revoke", "撤销许可": "revoke",
             "建议不予撤销": "keep", "不予撤销": "keep",
             "通过": "approve", "不通过": "reject", "合格": "approve", "不合格": "reject",
             "验收合格": "approve", "验收不合格": "reject",
             "情况属实，建议处理": "act", "情况不实，建议不予处理": "keep", "撤回许可": "withdraw", "不予撤回": "keep"}
#: the Chinese lane names a scenario may use for a role
ROLES = {"综合窗口": "window", "审查股室": "reviewer", "分管领导": "leader", "核查人员": "inspector"}


def listed(text: str) -> list[str]:
    """``“甲”、“乙”`` or ``甲、乙``: the names listed, without their quotes."""
    return [n.strip("“”") for n in text.split("、")]


def subject_code(services: ScenarioServices, name: str) -> str:
    """The code of the item or one-thing bundle named ``name`` in the catalogue."""
    catalogue = services.catalogue
    for item in catalogue.items.values():
        if item.name == name:
            return item.code
    for bundle in catalogue.bundles.values():
        if bundle.name == name:
            return bundle.code
    raise ExpectationFailed(f"事项目录中没有事项或“一件事”“{name}”")


def register(services: ScenarioServices, applicant: str, code: str, materials: list[str],
             facts: dict[str, Any] | None = None, project: dict[str, Any] | None = None) -> int:
    """Register a case at the window; its id."""
    window = services.actor("window")
    application = Application(code, {"name": applicant}, materials, facts or {}, project or {})
    return services.run(lambda session, runtime: register_case(session, runtime, window, application).id)


def work(services: ScenarioServices, case_id: int | None, username: str, step: str, decision: str | None,
         opinion: str | None, data: dict[str, Any] | None = None, **more: Any) -> OneSealError | None:
    """Claim and complete ``step`` of the case (the actor's own, if several departments have it);
    the refusal, if the system refused. ``more``: the rest of the completion (a notice, materials)."""
    actor = services.actor(username)
    ready = services.ready_tasks(case_id, step)
    expect(ready, f"办件当前没有待办环节“{step}”")
    # several departments may each have this step (并联、联合核查): take the actor's own
    ready.sort(key=lambda t: (t.role, t.department) != (actor.role.value, actor.department or ""))
    task_id = ready[0].id
    completion = Completion(decision=DECISIONS.get(decision or "", decision), opinion=opinion,
                            data=data or {}, **more)

    def action(session: Any, runtime: Any) -> None:
        claim_task(session, runtime, actor, task_id)
        complete_task(session, runtime, actor, task_id, filled_in(session, runtime, actor, task_id, completion))

    try:
        services.run(action)
    except OneSealError as err:
        return err
    return None


@given("综合窗口收到“{applicant}”申请“{item}”的全部材料", produces="case_id")
def application_with_all_materials(services: ScenarioServices, applicant: str, item: str) -> int:
    """登记一件办件，收取该事项（或“一件事”）的全部材料。"""
    code = subject_code(services, item)
    return register(services, applicant, code, [m.code for m in services.catalogue.subject(code).materials])


@given("综合窗口收到“{applicant}”申请“{item}”但缺少主要材料“{material}”", produces="case_id")
def application_missing_material(services: ScenarioServices, applicant: str, item: str, material: str) -> int:
    """登记一件办件，缺少指定的主要材料。"""
    code = subject_code(services, item)
    materials = [m.code for m in services.catalogue.item(code).materials if m.name != material]
    return register(services, applicant, code, materials)


@when("“{username}”在“{step}”环节作出“{decision}”决定，意见为“{opinion}”", produces="answer")
def decide(services: ScenarioServices, case_id: int, username: str, step: str, decision: str,
           opinion: str) -> OneSealError | None:
    """某用户签收并办理某环节，给出决定和意见。"""
    return work(services, case_id, username, step, decision, opinion)


@when("“{username}”在“{step}”环节作出“{decision}”决定但未填写意见", produces="answer")
def decide_without_opinion(services: ScenarioServices, case_id: int, username: str, step: str,
                           decision: str) -> OneSealError | None:
    """某用户办理某环节，作出决定但不填写意见。"""
    return work(services, case_id, username, step, decision, "")


@when("“{username}”办理“{step}”环节，意见为“{opinion}”", produces="answer")
def work_without_decision(services: ScenarioServices, case_id: int, username: str, step: str,
                          opinion: str) -> OneSealError | None:
    """某用户签收并办理一个不作决定的环节。"""
    return work(services, case_id, username, step, None, opinion)


@when("“{username}”办理“{step}”环节，填写{field_name}为“{value}”，意见为“{opinion}”", produces="answer")
def work_with_field_and_opinion(services: ScenarioServices, case_id: int, username: str, step: str,
                                field_name: str, value: str, opinion: str) -> OneSealError | None:
    """某用户签收并办理某环节，填写一个字段（字段名用英文标识）并给出意见。"""
    return work(services, case_id, username, step, None, opinion, {field_name: value})


@when("“{username}”办理“{step}”环节，填写{field_name}为“{value}”", produces="answer")
def work_with_field(services: ScenarioServices, case_id: int, username: str, step: str, field_name: str,
                    value: str) -> OneSealError | None:
    """某用户签收并办理某环节，填写一个字段（字段名用英文标识）。"""
    return work(services, case_id, username, step, None, "", {field_name: value})


@when("“{username}”办理“{step}”环节，核查结论为“{finding}”，意见为“{opinion}”", produces="answer")
def inspect(services: ScenarioServices, case_id: int, username: str, step: str, finding: str,
            opinion: str) -> OneSealError | None:
    """核查人员签收并办理一个现场核查环节，给出核查结论（合格、限期整改、不合格）和意见；到场核查的环节
    核查日期记为当天，第二核查人为本部门另一名核查人员（要写明时用“核查日期为…，第二核查人为…”一句）。"""
    return work(services, case_id, username, step, None, opinion, {"finding": finding})


@then("办件状态为“{label}”")
def status_is(services: ScenarioServices, case_id: int, label: str) -> None:
    """办件的状态（中文）。"""
    expect_equal(services.detail(case_id)["status_label"], label)


@then("办理结果为“{label}”")
def result_is(services: ScenarioServices, case_id: int, label: str) -> None:
    """办件的办理结果（准予许可、不予许可、不予受理）。"""
    expect_equal(services.detail(case_id)["result_label"], label)


@then("当前待办环节为“{step}”，由“{role}”办理")
def current_step(services: ScenarioServices, case_id: int, step: str, role: str) -> None:
    """办件当前唯一的待办环节及其角色（角色名称如“分管领导”，或泳道名）。"""
    tasks = services.detail(case_id)["tasks"]
    expect_equal([t["name"] for t in tasks], [step], tasks)
    expect_equal(tasks[0]["role"], ROLES.get(role, role))


@then("办件没有待办环节")
def no_open_tasks(services: ScenarioServices, case_id: int) -> None:
    """办件已无待办环节。"""
    expect_equal(services.detail(case_id)["tasks"], [])


@then("系统拒绝办理，提示“{message}”")
def refused(answer: object, message: str) -> None:
    """上一步被拒绝，错误提示包含给定文字。"""
    if not isinstance(answer, OneSealError):
        raise ExpectationFailed("预期被拒绝，但办理成功了")
    expect_in(message, answer.message)


@then("办理过程记录了{count:d}条“{action}”事件")
def history_count(services: ScenarioServices, case_id: int, count: int, action: str) -> None:
    """办件历史中某类事件的条数（事件名为中文，如“办理完成”）。"""
    history = services.detail(case_id)["history"]
    events = [e for e in history if e["action_label"] == action]
    expect_equal(len(events), count, [e["action_label"] for e in history])


@then("“{step}”环节的意见为“{opinion}”")
def opinion_kept(services: ScenarioServices, case_id: int, step: str, opinion: str) -> None:
    """某环节保存的办理意见。"""
    opinions = {o["name"]: o["opinion"] for o in services.detail(case_id)["opinions"]}
    expect_equal(opinions.get(step), opinion, opinions)

