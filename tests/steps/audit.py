"""审计：审计轨迹的内容与查询、哈希链校验、审计人员只读。

Steps for auditors' scenarios. They read the trail through the same services the auditors'
pages use, and go through the JSON API where the rule being checked lives at the web edge
(auditors are refused any change there). Failed checks say what was expected and what was
found, in Chinese.
"""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then, when
from sqlalchemy import delete, insert, select, text, update

from app.domain.errors import OneSealError
from app.persistence import tasks as task_queries
from app.persistence.audit import GENESIS, event_hash, events_for_case, verify_chain
from app.persistence.db import _AUDIT_GUARDS
from app.persistence.models import AuditEvent
from app.services.audit import trail as audit_trail
from app.services.reading.case_views import case_detail

BREAK_KINDS = {"篡改": "altered", "删除": "removed", "插入": "inserted", "调换": "reordered"}
API_ACTIONS = {"签收": "claim", "退回签收": "release", "办理": "complete"}


def _labels(events: list[AuditEvent]) -> list[str]:
    return [audit_trail.action_label(e.action) for e in events]


def _case_events(desk: Any) -> list[AuditEvent]:
    with desk.ext.db.session(write=False) as session:
        return events_for_case(session, desk.case_id)


@then("审计链完整")
def chain_intact(desk: Any) -> None:
    """重新计算整条审计哈希链：没有事件被篡改、删除、插入或调换顺序。"""
    with desk.ext.db.session(write=False) as session:
        checked, broken = verify_chain(session)
    assert broken is None, f"预期审计链完整，实际在事件 #{broken.event_id} 处断裂：{broken.reason}"
    assert checked > 0, "预期审计链中有事件，实际一条也没有"


@then(parsers.parse("办件的审计事件依次为“{labels}”"))
def case_events_in_order(desk: Any, labels: str) -> None:
    """当前办件的全部审计事件的动作名称，按发生顺序，用顿号分隔（如“登记办件、签收任务、办理完成”）。"""
    expected, actual = labels.split("、"), _labels(_case_events(desk))
    assert actual == expected, f"预期依次为：{'、'.join(expected)}；实际为：{'、'.join(actual)}"


@then("办件的每条审计事件都记录了操作人、时间、环节和变更后的数据")
def events_are_complete(desk: Any) -> None:
    """当前办件的每条审计事件都有操作人、发生时间和变更后的数据；办理类事件还记录了环节。"""
    for event in _case_events(desk):
        what = f"事件 #{event.id}（{audit_trail.action_label(event.action)}）"
        assert event.actor and event.occurred_at, f"预期{what}记录操作人和时间，实际缺少"
        assert event.after, f"预期{what}记录变更后的数据，实际为空"
        if event.action.startswith("task_"):
            assert event.element_id, f"预期{what}记录所办理的环节，实际为空"


@then(parsers.parse("“{step}”环节的办理事件记录了办件状态由“{before}”变为“{after}”"))
def completion_before_after(desk: Any, step: str, before: str, after: str) -> None:
    """某环节“办理完成”事件中记录的变更前、变更后的办件状态（中文状态名）。"""
    from app.domain.case_status import CaseStatus

    label = {s.value: s.label for s in CaseStatus}
    done = [e for e in _case_events(desk) if e.action == "task_completed" and e.after.get("task") == step]
    assert done, f"预期有“{step}”环节的办理事件，实际没有"
    actual = (label.get(done[-1].before.get("status")), label.get(done[-1].after.get("status")))
    assert actual == (before, after), f"预期由“{before}”变为“{after}”，实际由“{actual[0]}”变为“{actual[1]}”"


def _search(desk: Any, username: str, **criteria: str) -> None:
    actor = desk.actor(username)
    desk.error = None
    try:
        desk.seen["trail"] = desk.run(lambda s, rt: audit_trail.search(
            s, actor, audit_trail.parse_query({**criteria, "page_size": "200"})))
    except OneSealError as err:
        desk.error = err


@when(parsers.parse("“{username}”查询当前办件的审计轨迹"))
def search_by_case(desk: Any, username: str) -> None:
    """某用户按办件编号查询审计轨迹（只有审计督查人员和系统管理员可以查询）。"""
    _search(desk, username, case=desk.detail()["number"])


@when(parsers.parse("“{username}”按操作人“{actor}”查询审计轨迹"))
def search_by_actor(desk: Any, username: str, actor: str) -> None:
    """某用户按操作人（用户名）查询审计轨迹。"""
    _search(desk, username, actor=actor)


@when(parsers.parse("“{username}”按动作“{label}”查询审计轨迹"))
def search_by_action(desk: Any, username: str, label: str) -> None:
    """某用户按动作（中文名称，如“办理完成”）查询审计轨迹。"""
    codes = [code for code, name in audit_trail.ACTION_LABELS.items() if name == label]
    assert codes, f"预期“{label}”是审计事件的动作名称，实际没有这个动作"
    _search(desk, username, action=codes[0])


@then(parsers.parse("查询结果共{count:d}条"))
def search_total(desk: Any, count: int) -> None:
    """上一次审计轨迹查询的结果条数。"""
    assert desk.error is None, f"预期查询成功，实际被拒绝：{desk.error.message if desk.error else ''}"
    assert desk.seen["trail"].total == count, f"预期 {count} 条，实际 {desk.seen['trail'].total} 条"


@then(parsers.parse("查询结果都是“{label}”事件"))
def search_all_of_action(desk: Any, label: str) -> None:
    """上一次审计轨迹查询的每条结果都是某动作（中文名称）。"""
    actual = {item["action_label"] for item in desk.seen["trail"].items}
    assert actual == {label}, f"预期都是“{label}”，实际有：{'、'.join(sorted(actual))}"


@then(parsers.parse("“{username}”可以查看办件的全部办理过程"))
def may_view_case(desk: Any, username: str) -> None:
    """某用户能打开当前办件（任何部门的办件），看到全部办理过程和意见。"""
    actor = desk.actor(username)
    try:
        detail = desk.run(lambda s, rt: case_detail(s, rt, actor, desk.case_id))
    except OneSealError as err:
        raise AssertionError(f"预期“{username}”可以查看办件，实际被拒绝：{err.message}") from None
    assert detail["history"], "预期看到办理过程，实际为空"


def _api_token(client: Any, desk: Any, username: str) -> str:
    password = desk.ext.runtime.settings.demo_password
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, f"预期“{username}”能登录，实际：{response.get_json()}"
    return response.get_json()["token"]


@when(parsers.parse("“{username}”通过接口{action}当前待办环节"))
def act_through_api(desk: Any, app: Any, username: str, action: str) -> None:
    """某用户通过 JSON 接口对当前第一个待办环节签收、退回签收或办理（办理时作“同意/准予”决定）。"""
    with desk.ext.db.session(write=False) as session:
        ready = task_queries.ready_tasks_of_case(session, desk.case_id)
    assert ready, "预期办件有待办环节，实际没有"
    client = app.test_client()
    token = _api_token(client, desk, username)
    body = {"decision": "approve", "opinion": "同意"} if API_ACTIONS[action] == "complete" else {}
    response = client.post(f"/api/v1/tasks/{ready[0].id}/{API_ACTIONS[action]}", json=body,
                           headers={"Authorization": f"Bearer {token}"})
    desk.seen["response"] = (response.status_code, response.get_json())


@then(parsers.parse("接口拒绝，状态码为{status:d}，提示“{message}”"))
def api_refused(desk: Any, status: int, message: str) -> None:
    """上一次接口调用被拒绝：HTTP 状态码和中文提示中的文字。"""
    code, body = desk.seen["response"]
    assert code == status, f"预期状态码 {status}，实际 {code}：{body}"
    assert message in body["message"], f"预期提示包含“{message}”，实际提示为“{body['message']}”"


def lift_guard_and(session: Any, statements: list[Any]) -> None:
    """Run statements on audit_events as someone with direct database access would.

    The append-only guard is lifted for this transaction only: on PostgreSQL triggers are
    skipped for the session's transaction, on SQLite they are dropped and created again.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))
    for statement in statements:
        session.execute(statement)
    if dialect != "postgresql":
        for guard in _AUDIT_GUARDS["sqlite"]:
            session.execute(text(guard))


def _move(from_id: int, to_id: int) -> Any:
    return update(AuditEvent).where(AuditEvent.id == from_id).values(id=to_id)


def tamper(ext: Any, how: str, event_id: int) -> None:
    """Edit, delete, insert a forged event before, or swap with the next, stored event ``event_id``."""
    with ext.db.unit_of_work() as session:
        ids = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        assert event_id in ids, f"预期有审计事件 #{event_id}，实际只有 #{ids[0]}–#{ids[-1]}"
        if how == "edit":
            statements = [update(AuditEvent).where(AuditEvent.id == event_id).values(actor="mallory")]
        elif how == "delete":
            statements = [delete(AuditEvent).where(AuditEvent.id == event_id)]
        elif how == "swap":
            parked = ids[-1] + 1_000
            statements = [_move(event_id, parked), _move(event_id + 1, event_id), _move(parked, event_id + 1)]
        elif how == "insert":
            statements = [*(_move(i, i + 1) for i in reversed(ids) if i >= event_id),
                          _forged_before(session, event_id)]
        else:
            raise AssertionError(f"unknown tampering {how}")
        session.expunge_all()
        lift_guard_and(session, statements)


def _forged_before(session: Any, event_id: int) -> Any:
    """A well-formed event chained onto the one before ``event_id``: the best a forger can do."""
    prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id - 1)) or GENESIS
    model = session.scalar(select(AuditEvent).where(AuditEvent.id == event_id))
    fields = {"occurred_at": model.occurred_at, "actor": "mallory", "action": "task_completed",
              "case_id": model.case_id, "element_id": model.element_id, "before": {},
              "after": {"note": "伪造"}}
    digest = event_hash(prev, fields["occurred_at"], fields["actor"], fields["action"], fields["case_id"],
                        fields["element_id"], fields["before"], fields["after"])
    return insert(AuditEvent).values(id=event_id, prev_hash=prev, hash=digest, **fields)


TAMPERING = {"修改": "edit", "删除": "delete", "在其前插入一条伪造的": "insert", "调换": "swap"}


@when(parsers.parse("有人绕过系统{how}第{event_id:d}条审计事件"))
def tamper_step(desk: Any, how: str, event_id: int) -> None:
    """模拟有人直接改动数据库：修改、删除、在其前插入一条伪造的、或与下一条调换第 N 条审计事件。"""
    assert how in TAMPERING, f"预期改动方式为{'、'.join(TAMPERING)}之一，实际为“{how}”"
    tamper(desk.ext, TAMPERING[how], event_id)


@then(parsers.parse("审计链校验指出事件#{event_id:d}被{kind}"))
def chain_break_named(desk: Any, event_id: int, kind: str) -> None:
    """审计链校验发现的第一处改动：事件编号和改动方式（篡改、删除、插入、调换）。"""
    with desk.ext.db.session(write=False) as session:
        _, broken = verify_chain(session)
    assert broken is not None, "预期审计链断裂，实际校验完好"
    actual = next((k for k, v in BREAK_KINDS.items() if v == broken.kind), broken.kind)
    assert (broken.event_id, actual) == (event_id, kind), (
        f"预期指出事件 #{event_id} 被{kind}，实际指出事件 #{broken.event_id} 被{actual}：{broken.reason}")
