"""审计：审计轨迹的内容与查询、哈希链校验、审计人员只读
Auditors' steps: they read the trail through the services the auditors' pages use, and go
through the JSON API where the rule checked lives at the web edge (auditors are refused any change)."""
from __future__ import annotations

from app.domain.cases.status import CaseStatus
from app.domain.errors import OneSealError
from app.persistence.audit.chain import events_for_case, verify_chain
from app.persistence.models import AuditEvent
from app.scenarios.running.expect import ExpectationFailed, expect, expect_answer
from app.scenarios.language.registry import then, when
from app.scenarios.running.services import ApiResponse, ScenarioServices
from app.scenarios.running.tampering import tamper
from app.services.audit import trail as audit_trail
from app.services.audit.trail import TrailPage
from app.services.reading.case_views import case_detail

BREAK_KINDS = {"篡改": "altered", "删除": "removed", "插入": "inserted", "调换": "reordered"}
API_ACTIONS = {"签收": "claim", "退回签收": "release", "办理": "complete"}
TAMPERING = {"修改": "edit", "删除": "delete", "在其前插入一条伪造的": "insert", "调换": "swap"}
A_SEARCH = "审计轨迹的查询结果"


def _case_events(services: ScenarioServices, case_id: int) -> list[AuditEvent]:
    expect(case_id is not None, "场景中还没有办件：请先用“假如”步骤登记一件办件")
    return services.read(lambda session: events_for_case(session, case_id))


def _labels(events: list[AuditEvent]) -> list[str]:
    return [audit_trail.action_label(e.action) for e in events]


@then("审计链完整")
def chain_intact(services: ScenarioServices) -> None:
    """重新计算整条审计哈希链：没有事件被篡改、删除、插入或调换顺序。"""
    checked, broken = services.read(verify_chain)
    if broken is not None:
        raise ExpectationFailed(f"预期审计链完整，实际在事件 #{broken.event_id} 处断裂：{broken.reason}")
    expect(checked > 0, "预期审计链中有事件，实际一条也没有")


@then("办件的审计事件依次为“{labels}”")
def case_events_in_order(services: ScenarioServices, case_id: int, labels: str) -> None:
    """当前办件的全部审计事件的动作名称，按发生顺序，用顿号分隔（如“登记办件、签收任务、办理完成”）。"""
    expected, actual = labels.split("、"), _labels(_case_events(services, case_id))
    expect(actual == expected, f"预期依次为：{'、'.join(expected)}；实际为：{'、'.join(actual)}")


@then("办件的每条审计事件都记录了操作人、时间、环节和变更后的数据")
def events_are_complete(services: ScenarioServices, case_id: int) -> None:
    """当前办件的每条审计事件都有操作人、发生时间和变更后的数据；办理类事件还记录了环节。"""
    for event in _case_events(services, case_id):
        what = f"事件 #{event.id}（{audit_trail.action_label(event.action)}）"
        expect(event.actor and event.occurred_at, f"预期{what}记录操作人和时间，实际缺少")
        expect(event.after, f"预期{what}记录变更后的数据，实际为空")
        if event.action.startswith("task_"):
            expect(event.element_id, f"预期{what}记录所办理的环节，实际为空")


@then("“{step}”环节的办理事件记录了办件状态由“{before}”变为“{after}”")
def completion_before_after(services: ScenarioServices, case_id: int, step: str, before: str, after: str) -> None:
    """某环节“办理完成”事件中记录的变更前、变更后的办件状态（中文状态名）。"""
    label: dict[object, str] = {s.value: s.label for s in CaseStatus}
    done = [e for e in _case_events(services, case_id)
            if e.action == "task_completed" and e.after.get("task") == step]
    expect(done, f"预期有“{step}”环节的办理事件，实际没有")
    actual = (label.get(done[-1].before.get("status")), label.get(done[-1].after.get("status")))
    expect(actual == (before, after), f"预期由“{before}”变为“{after}”，实际由“{actual[0]}”变为“{actual[1]}”")


def _search(services: ScenarioServices, username: str, **criteria: str) -> TrailPage | OneSealError:
    actor = services.actor(username)
    query = audit_trail.parse_query({**criteria, "page_size": "200"})
    try:
        return services.run(lambda session, runtime: audit_trail.search(session, runtime, actor, query))
    except OneSealError as err:
        return err


@when("“{username}”查询当前办件的审计轨迹", produces="answer")
def search_by_case(services: ScenarioServices, case_id: int, username: str) -> TrailPage | OneSealError:
    """某用户按办件编号查询审计轨迹（只有审计督查人员和系统管理员可以查询）。"""
    return _search(services, username, case=services.detail(case_id)["number"])


@when("“{username}”按操作人“{actor}”查询审计轨迹", produces="answer")
def search_by_actor(services: ScenarioServices, username: str, actor: str) -> TrailPage | OneSealError:
    """某用户按操作人（用户名）查询审计轨迹。"""
    return _search(services, username, actor=actor)


@when("“{username}”按动作“{label}”查询审计轨迹", produces="answer")
def search_by_action(services: ScenarioServices, username: str, label: str) -> TrailPage | OneSealError:
    """某用户按动作（中文名称，如“办理完成”）查询审计轨迹。"""
    codes = [code for code, name in audit_trail.ACTION_LABELS.items() if name == label]
    expect(codes, f"预期“{label}”是审计事件的动作名称，实际没有这个动作")
    return _search(services, username, action=codes[0])


@then("查询结果共{count:d}条")
def search_total(answer: object, count: int) -> None:
    """上一次审计轨迹查询的结果条数。"""
    page = expect_answer(answer, TrailPage, A_SEARCH)
    expect(page.total == count, f"预期 {count} 条，实际 {page.total} 条")


@then("查询结果都是“{label}”事件")
def search_all_of_action(answer: object, label: str) -> None:
    """上一次审计轨迹查询的每条结果都是某动作（中文名称）。"""
    actual = {item["action_label"] for item in expect_answer(answer, TrailPage, A_SEARCH).items}
    expect(actual == {label}, f"预期都是“{label}”，实际有：{'、'.join(sorted(actual))}")


@then("“{username}”可以查看办件的全部办理过程")
def may_view_case(services: ScenarioServices, case_id: int, username: str) -> None:
    """某用户能打开当前办件（任何部门的办件），看到全部办理过程和意见。"""
    actor = services.actor(username)
    try:
        detail = services.run(lambda session, runtime: case_detail(session, runtime, actor, case_id))
    except OneSealError as err:
        raise ExpectationFailed(f"预期“{username}”可以查看办件，实际被拒绝：{err.message}") from None
    expect(detail["history"], "预期看到办理过程，实际为空")


@when("“{username}”通过接口{action}当前待办环节", produces="answer")
def act_through_api(services: ScenarioServices, case_id: int, username: str, action: str) -> ApiResponse:
    """某用户通过 JSON 接口对当前第一个待办环节签收、退回签收或办理（办理时作“同意/准予”决定）。"""
    expect(action in API_ACTIONS, f"预期接口操作为{'、'.join(API_ACTIONS)}之一，实际为“{action}”")
    ready = services.ready_tasks(case_id)
    expect(ready, "预期办件有待办环节，实际没有")
    body = {"decision": "approve", "opinion": "同意"} if API_ACTIONS[action] == "complete" else {}
    return services.api(username, f"/api/v1/tasks/{ready[0].id}/{API_ACTIONS[action]}", body)


@then("接口拒绝，状态码为{status:d}，提示“{message}”")
def api_refused(answer: object, status: int, message: str) -> None:
    """上一次接口调用被拒绝：接口返回的状态码和中文提示中的文字。"""
    response = expect_answer(answer, ApiResponse, "一次接口调用的回应")
    expect(response.status == status, f"预期状态码 {status}，实际 {response.status}：{response.body}")
    found = (response.body or {}).get("message", "")
    expect(message in found, f"预期提示包含“{message}”，实际提示为“{found}”")


@when("有人绕过系统{how}第{event_id:d}条审计事件")
def tamper_step(services: ScenarioServices, how: str, event_id: int) -> None:
    """模拟有人直接改动数据库：修改、删除、在其前插入一条伪造的、或与下一条调换第 N 条审计事件。"""
    expect(how in TAMPERING, f"预期改动方式为{'、'.join(TAMPERING)}之一，实际为“{how}”")
    tamper(services.db, TAMPERING[how], event_id)


@then("审计链校验指出事件#{event_id:d}被{kind}")
def chain_break_named(services: ScenarioServices, event_id: int, kind: str) -> None:
    """审计链校验发现的第一处改动：事件编号和改动方式（篡改、删除、插入、调换）。"""
    _, broken = services.read(verify_chain)
    if broken is None:
        raise ExpectationFailed("预期审计链断裂，实际校验完好")
    actual = next((k for k, v in BREAK_KINDS.items() if v == broken.kind), broken.kind)
    expect((broken.event_id, actual) == (event_id, kind),
           f"预期指出事件 #{event_id} 被{kind}，实际指出事件 #{broken.event_id} 被{actual}：{broken.reason}")
