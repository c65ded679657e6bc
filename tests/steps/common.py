"""Shared step vocabulary for the Chinese scenarios (办件、待办、决定).

Steps call the services directly on the test database with the real diagrams and the real
catalogue; each step's docstring is its entry in the step catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from app.domain.errors import OneSealError
from app.persistence import tasks as task_queries
from app.services.access.auth import actor_for_username
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.intake.application import Application
from app.services.intake.registration import register_case
from app.services.reading.case_views import case_detail

DECISIONS = {"受理": "approve", "不予受理": "reject", "准予": "approve", "不予": "reject",
             "建议准予": "approve", "建议不予": "reject", "同意": "approve", "不同意": "reject",
             "提请专家评审": "expert", "组织听证": "hearing", "当场准予": "approve",
             "承诺属实": "pass", "承诺不实": "fail", "建议撤销": "revoke", "撤销许可": "revoke",
             "建议不予撤销": "keep", "不予撤销": "keep",
             "通过": "approve", "不通过": "reject", "合格": "approve", "不合格": "reject",
             "验收合格": "approve", "验收不合格": "reject"}


@dataclass
class Desk:
    """What a scenario remembers: the current case and the last error."""

    ext: Any
    case_id: int | None = None
    error: OneSealError | None = None
    seen: dict[str, Any] = field(default_factory=dict)

    def run(self, action: Any) -> Any:
        with self.ext.db.unit_of_work() as session:
            return action(session, self.ext.runtime)

    def actor(self, username: str) -> Any:
        with self.ext.db.unit_of_work() as session:
            actor = actor_for_username(session, username)
        assert actor is not None, f"没有用户 {username}"
        return actor

    def detail(self) -> dict[str, Any]:
        window = self.actor("window")
        return self.run(lambda s, rt: case_detail(s, rt, window, self.case_id))


@pytest.fixture
def desk(ext: Any) -> Desk:
    return Desk(ext)


def _item_code(desk: Desk, name: str) -> str:
    catalogue = desk.ext.runtime.catalogue
    for subject in (*catalogue.items.values(), *catalogue.bundles.values()):
        if subject.name == name:
            return subject.code
    raise AssertionError(f"事项目录中没有事项或“一件事”“{name}”")


@given(parsers.parse("综合窗口收到“{applicant}”申请“{item}”的全部材料"))
def application_with_all_materials(desk: Desk, applicant: str, item: str) -> None:
    """登记一件办件，收取该事项（或“一件事”）的全部材料。"""
    code = _item_code(desk, item)
    materials = [m.code for m in desk.ext.runtime.catalogue.subject(code).materials]
    window = desk.actor("window")
    desk.case_id = desk.run(lambda s, rt: register_case(
        s, rt, window, Application(code, {"name": applicant}, materials)).id)


@given(parsers.parse("综合窗口收到“{applicant}”申请“{item}”但缺少主要材料“{material}”"))
def application_missing_material(desk: Desk, applicant: str, item: str, material: str) -> None:
    """登记一件办件，缺少指定的主要材料。"""
    code = _item_code(desk, item)
    materials = [m.code for m in desk.ext.runtime.catalogue.item(code).materials if m.name != material]
    window = desk.actor("window")
    desk.case_id = desk.run(lambda s, rt: register_case(
        s, rt, window, Application(code, {"name": applicant}, materials)).id)


def _work(desk: Desk, username: str, step: str, decision: str | None, opinion: str | None,
          data: dict[str, Any] | None = None, **more: Any) -> None:
    """Claim and complete the step (the actor's own, if several departments have it); keep
    the error. ``more``: the rest of the completion (a notice, materials brought back)."""
    actor = desk.actor(username)

    def action(session: Any, runtime: Any) -> None:
        ready = [t for t in task_queries.ready_tasks_of_case(session, desk.case_id) if t.name == step]
        assert ready, f"办件当前没有待办环节“{step}”"
        # several departments may each have this step (并联、联合核查): take the actor's own
        ready.sort(key=lambda t: (t.role, t.department) != (actor.role.value, actor.department or ""))
        claim_task(session, runtime, actor, ready[0].id)
        complete_task(session, runtime, actor, ready[0].id,
                      Completion(decision=DECISIONS.get(decision or "", decision), opinion=opinion,
                                 data=data or {}, **more))

    desk.error = None
    try:
        desk.run(action)
    except OneSealError as err:
        desk.error = err


@when(parsers.parse("“{username}”在“{step}”环节作出“{decision}”决定，意见为“{opinion}”"))
def decide(desk: Desk, username: str, step: str, decision: str, opinion: str) -> None:
    """某用户签收并办理某环节，给出决定和意见。"""
    _work(desk, username, step, decision, opinion)


@when(parsers.parse("“{username}”办理“{step}”环节，意见为“{opinion}”"))
def work_without_decision(desk: Desk, username: str, step: str, opinion: str) -> None:
    """某用户签收并办理一个不作决定的环节。"""
    _work(desk, username, step, None, opinion)


@when(parsers.parse("“{username}”办理“{step}”环节，填写{field_name}为“{value}”，意见为“{opinion}”"))
def work_with_field_and_opinion(desk: Desk, username: str, step: str, field_name: str, value: str,
                                opinion: str) -> None:
    """某用户签收并办理某环节，填写一个字段（字段名用英文标识）并给出意见。"""
    _work(desk, username, step, None, opinion, {field_name: value})


@when(parsers.parse("“{username}”办理“{step}”环节，填写{field_name}为“{value}”"))
def work_with_field(desk: Desk, username: str, step: str, field_name: str, value: str) -> None:
    """某用户签收并办理某环节，填写一个字段（字段名用英文标识）。"""
    _work(desk, username, step, None, "", {field_name: value})


@when(parsers.parse("“{username}”办理“{step}”环节，核查结论为“{finding}”，意见为“{opinion}”"))
def inspect(desk: Desk, username: str, step: str, finding: str, opinion: str) -> None:
    """核查人员签收并办理一个现场核查环节，给出核查结论（合格、限期整改、不合格）和意见。"""
    _work(desk, username, step, None, opinion, {"finding": finding})


@then(parsers.parse("办件状态为“{label}”"))
def status_is(desk: Desk, label: str) -> None:
    """办件的状态（中文）。"""
    detail = desk.detail()
    assert detail["status_label"] == label, detail["status_label"]


@then(parsers.parse("办理结果为“{label}”"))
def result_is(desk: Desk, label: str) -> None:
    """办件的办理结果（准予许可、不予许可、不予受理）。"""
    assert desk.detail()["result_label"] == label


@then(parsers.parse("当前待办环节为“{step}”，由“{role}”办理"))
def current_step(desk: Desk, step: str, role: str) -> None:
    """办件当前唯一的待办环节及其角色（window/reviewer/leader 或中文泳道名）。"""
    tasks = desk.detail()["tasks"]
    assert [t["name"] for t in tasks] == [step], tasks
    roles = {"综合窗口": "window", "审查股室": "reviewer", "分管领导": "leader", "核查人员": "inspector"}
    assert tasks[0]["role"] == roles.get(role, role)


@then("办件没有待办环节")
def no_open_tasks(desk: Desk) -> None:
    """办件已无待办环节。"""
    assert desk.detail()["tasks"] == []


@then(parsers.parse("系统拒绝办理，提示“{message}”"))
def refused(desk: Desk, message: str) -> None:
    """上一步被拒绝，错误提示包含给定文字。"""
    assert desk.error is not None, "预期被拒绝，但办理成功了"
    assert message in desk.error.message, desk.error.message


@then(parsers.parse("办理过程记录了{count:d}条“{action}”事件"))
def history_count(desk: Desk, count: int, action: str) -> None:
    """办件历史中某类事件的条数（事件名为中文，如“办理完成”）。"""
    events = [e for e in desk.detail()["history"] if e["action_label"] == action]
    assert len(events) == count, [e["action_label"] for e in desk.detail()["history"]]


@then(parsers.parse("“{step}”环节的意见为“{opinion}”"))
def opinion_kept(desk: Desk, step: str, opinion: str) -> None:
    """某环节保存的办理意见。"""
    opinions = {o["name"]: o["opinion"] for o in desk.detail()["opinions"]}
    assert opinions.get(step) == opinion, opinions



@when(parsers.parse("“{username}”在“{step}”环节作出“{decision}”决定但未填写意见"))
def decide_without_opinion(desk: Desk, username: str, step: str, decision: str) -> None:
    """某用户办理某环节，作出决定但不填写意见。"""
    _work(desk, username, step, decision, "")
