"""监管推送：审批结果推送给监管部门，监管发现推回审批局
The approval–supervision push: each result pushed to the supervising department (signed, at least
once, in order), failures retried, and a supervisor's finding opening a case whose result goes
back. The departments are simulated: each keeps what it received and answers as the scenario says."""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from app.domain.licences.supervision_push import EventType, FindingAction, FindingState, check_signature
from app.jobs import push
from app.jobs.context import JobContext
from app.persistence.tables.certificates import Certificate
from app.persistence.tables.push import SupervisionFinding
from app.scenarios.running.expect import expect, expect_equal
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.services import ScenarioServices
from app.services.supervision_push.endpoints import put_endpoint
from app.services.supervision_push.findings import post_finding

_KEY = "supervision_push"
_EVENT_BY_LABEL = {t.label: t for t in EventType}
_ACTION_BY_LABEL = {a.label: a for a in FindingAction}
_STATE_BY_LABEL = {s.label: s for s in FindingState}


@dataclass
class SimulatedDepartment:
    """A supervising department's receiving system: what it got, in order, and how it answers."""

    code: str
    secret: str
    #: answers still to give before answering 200; None: the system cannot be reached
    answers: deque[int | None] = field(default_factory=deque)
    down: bool = False
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class SimulatedSender(push.Sender):
    """Hands each push to the simulated department its address names, checking the signature."""

    def __init__(self, departments: dict[str, SimulatedDepartment]) -> None:
        super().__init__()
        self.departments = departments

    def refusal(self, url: str, allowed: set[str], own: frozenset[str]) -> str | None:
        return None  # the simulated addresses are known good

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> push.Answer:
        department = self.departments[(urlsplit(url).hostname or "").split(".")[0]]
        if department.down:
            return push.Answer(None, "无法连接接收方（连接被拒绝或主机不可达）")
        stamp = int(headers["OneSeal-Signature"].split(",")[0][2:])
        check_signature(headers["OneSeal-Signature"], department.secret, body, stamp)
        answer = department.answers.popleft() if department.answers else 200
        department.received.append((headers["OneSeal-Event-Id"], json.loads(body)))
        if answer is None:
            return push.Answer(None, "接收方超时未答复")
        return push.Answer(answer, None if 200 <= answer < 300 else f"接收方答复状态码 {answer}")


def _departments(services: ScenarioServices) -> dict[str, SimulatedDepartment]:
    found: dict[str, SimulatedDepartment] = services.state.setdefault(_KEY, {})
    return found


def _department(services: ScenarioServices, name: str) -> SimulatedDepartment:
    code = next((c for c, d in services.catalogue.departments.items() if d.name == name), None)
    expect(code is not None, f"事项目录中没有部门“{name}”")
    department = _departments(services).get(code or "")
    expect(department is not None, f"“{name}”尚未接入监管推送：请先用“假如“{name}”已接入监管推送”")
    assert department is not None
    return department


@given("“{name}”已接入监管推送")
def department_connected(services: ScenarioServices, name: str) -> None:
    """系统管理员为监管部门设置接收地址和签名密钥（模拟的监管部门接收端，答复“已收到”）。"""
    code = next((c for c, d in services.catalogue.departments.items() if d.name == name), None)
    expect(code is not None, f"事项目录中没有部门“{name}”")
    assert code is not None
    department = SimulatedDepartment(code=code, secret=f"{code}-scenario-secret-0123456789")
    _departments(services)[code] = department
    admin = services.actor("admin")
    services.run(lambda session, runtime: put_endpoint(
        session, runtime, admin, code, {"url": f"https://{code}.supervision.example/oneseal", "secret": department.secret},
        resolver=lambda _host, _port: ["1.1.1.1"]))


@given("“{name}”的接收端暂时无法访问")
def department_down(services: ScenarioServices, name: str) -> None:
    """监管部门的接收系统停机，连接不上。"""
    _department(services, name).down = True


@when("“{name}”的接收端恢复")
def department_back(services: ScenarioServices, name: str) -> None:
    """监管部门的接收系统恢复运行。"""
    _department(services, name).down = False


@given("“{name}”的接收端接下来{count:d}次答复服务器错误")
def department_errors(services: ScenarioServices, name: str, count: int) -> None:
    """监管部门的接收系统接下来若干次答复 500（之后正常答复）。"""
    _department(services, name).answers.extend([500] * count)


@when("后台投递监管推送")
def deliver(services: ScenarioServices) -> None:
    """后台任务投递所有到期的推送（失败的按退避时间稍后重试）。"""
    push.deliver_due(JobContext(services.db, services.runtime), sender=SimulatedSender(_departments(services)))


@when("{seconds:d}秒后后台再次投递监管推送")
def deliver_later(services: ScenarioServices, seconds: int) -> None:
    """把时钟向后拨若干秒，再投递到期的推送。"""
    from datetime import timedelta

    services.set_time(services.runtime.clock.now() + timedelta(seconds=seconds))
    deliver(services)


@then("“{name}”收到以下推送：")
def received(services: ScenarioServices, name: str, datatable: list[list[str]]) -> None:
    """监管部门按发生顺序收到的推送（表格三列：“事件”“事项”“证照状态”；重发的同一事件只列一次）。"""
    header, *rows = datatable
    expect_equal(header, ["事件", "事项", "证照状态"])
    seen: dict[str, dict[str, Any]] = {}
    for event_id, event in _department(services, name).received:
        seen.setdefault(event_id, event)
    actual = [[EventType(e["type"]).label, e["licence"]["item_name"], e["licence"]["status_label"]]
              for e in seen.values()]
    expect_equal(actual, rows)


@then("“{name}”共收到{count:d}次推送，都是同一事件")
def same_event(services: ScenarioServices, name: str, count: int) -> None:
    """重试时每次推送都带同一事件编号（OneSeal-Event-Id），监管部门据此去重。"""
    got = _department(services, name).received
    expect_equal([len(got), len({event_id for event_id, _ in got})], [count, 1])


@then("推送记录显示失败{count:d}次后送达")
def attempts_recorded(services: ScenarioServices, count: int) -> None:
    """每次投递尝试都有记录：失败的次数和最终送达。"""
    from app.persistence.tables.push import SupervisionDelivery

    rows = services.read(lambda session: [(d.state, d.attempts) for d in session.scalars(
        select(SupervisionDelivery).order_by(SupervisionDelivery.id.desc()).limit(1))])
    expect_equal(rows, [("delivered", count)])


@when("“{username}”对“{type_name}”提交“{action}”监管发现，理由为“{reason}”", produces="case_id")
def finding_posted(services: ScenarioServices, case_id: int, username: str, type_name: str, action: str,
                   reason: str) -> int:
    """监管人员对本办件签发的证照提交监管发现（变更、撤回、撤销或注销）；之后的步骤办理因此立案的办件。"""
    expect(action in _ACTION_BY_LABEL, f"处理类型应为：{'、'.join(_ACTION_BY_LABEL)}")
    number = services.read(lambda session: session.scalar(
        select(Certificate.number).where(Certificate.case_id == case_id, Certificate.type_name == type_name)
        .order_by(Certificate.id.desc()).limit(1)))
    expect(number is not None, f"本办件没有签发“{type_name}”")
    actor = services.actor(username)
    receipt = services.run(lambda session, runtime: post_finding(
        session, runtime, actor, {"licence_number": number, "action": _ACTION_BY_LABEL[action].value,
                                  "reason": reason}))
    return receipt["case_id"]


@then("监管发现的状态为“{label}”")
def finding_state(services: ScenarioServices, case_id: int, label: str) -> None:
    """因监管发现立案的办件所对应的监管发现的状态（办理中、已办结）。"""
    expect(label in _STATE_BY_LABEL, f"状态应为：{'、'.join(_STATE_BY_LABEL)}")
    state = services.read(lambda session: session.scalar(
        select(SupervisionFinding.state).where(SupervisionFinding.case_id == case_id)))
    expect(state is not None, "当前办件不是因监管发现立案的")
    expect_equal(FindingState(state).label if state else None, label)
