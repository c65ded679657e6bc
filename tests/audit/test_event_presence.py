"""Every change is an audit event with actor, time, case, element and before/after data.

``EVENTS`` lists each kind of change: how to make it happen and what its event must carry.
A new kind of change is added as one more entry; the tests below need no other edit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.domain.timing.clock import BUREAU_ZONE
from app.persistence.audit.chain import verify_chain
from app.persistence.models import AuditEvent
from app.services.access.auth import actor_for_username
from app.services.actor import SYSTEM
from app.services.audit.rules_changes import record_rules_versions
from app.services.audit.trail import ACTION_LABELS
from app.services.processes.deployed import deploy
from app.worker import Worker
from tests.support.cases import register, work
from tests.support.time_limits import NOTICE, PUBLICATION

ROOT = Path(__file__).resolve().parents[2]
SMALL_CATERING = "XK-0004"  # 小餐饮经营许可: independent site inspection decided by the rules


@dataclass(frozen=True)
class Change:
    action: str
    #: makes the change happen: ``make(ext, api, clock)``
    make: Callable[[Any, Any, Any], Any]
    #: whether the event names the case and the element (task, process, ruleset…)
    case: bool
    element: bool
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


def _ready_task(api: Any) -> str:
    return register(api)["tasks"][0]["id"]


def _claim(ext: Any, api: Any, clock: Any) -> None:
    assert api.post(f"/api/v1/tasks/{_ready_task(api)}/claim", as_user="window").status_code == 200


def _release(ext: Any, api: Any, clock: Any) -> None:
    task_id = _ready_task(api)
    api.post(f"/api/v1/tasks/{task_id}/claim", as_user="window")
    assert api.post(f"/api/v1/tasks/{task_id}/release", as_user="window").status_code == 200


def _deploy(ext: Any, api: Any, clock: Any) -> None:
    content = (ROOT / "processes" / "standard_promised.bpmn").read_text(encoding="utf-8")
    with ext.db.unit_of_work() as session:
        designer = actor_for_username(session, "designer")
        deploy(session, ext.runtime, designer, filename="standard_promised.bpmn", process_id="standard_promised",
               content=content.replace("承诺件标准流程", "承诺件标准流程（修订）").encode(), comment="修订名称")


def _rules(ext: Any, api: Any, clock: Any) -> None:
    with ext.db.unit_of_work() as session:
        assert record_rules_versions(session, ext.runtime, SYSTEM)


def _inspection_decided(ext: Any, api: Any, clock: Any) -> None:
    work(api, work(api, register(api, SMALL_CATERING), "window", "approve"), "reviewer_market", "approve")


def _returned(ext: Any, api: Any, clock: Any) -> dict[str, Any]:
    case = work(api, register(api, PUBLICATION), "window", "approve")
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="reviewer_culture_tourism",
                        json={"decision": "return", "opinion": "材料需补正", "notice": NOTICE})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]


def _resubmitted(ext: Any, api: Any, clock: Any) -> None:
    case = _returned(ext, api, clock)
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="window",
                        json={"materials": [item["material"] for item in NOTICE]})
    assert response.status_code == 200, response.get_json()


def _deadline_checked_on(day: str) -> Callable[[Any, Any, Any], None]:
    def make(ext: Any, api: Any, clock: Any) -> None:
        work(api, register(api, PUBLICATION), "window", "approve")  # accepted Monday 2026-03-02, due 03-11
        clock.set(datetime.combine(date.fromisoformat(day), time(9, 30), tzinfo=BUREAU_ZONE))
        Worker(ext.db, ext.runtime).run_pass()
    return make


EVENTS = [
    Change("login", lambda ext, api, clock: api.token("window"), case=False, element=False, after=("role",)),
    Change("case_registered", lambda ext, api, clock: register(api), case=True, element=False,
           after=("number", "item_code", "applicant", "materials", "status", "process_version")),
    Change("task_claimed", _claim, case=True, element=True, after=("task_id", "claimed_by")),
    Change("task_released", _release, case=True, element=True, before=("claimed_by",), after=("task_id",)),
    Change("task_completed", lambda ext, api, clock: work(api, register(api), "window", "approve", "材料齐全"),
           case=True, element=True, before=("status", "version", "result"),
           after=("task", "decision", "opinion", "status", "result", "version")),
    Change("model_deployed", _deploy, case=False, element=True, after=("process_id", "version", "hash", "comment")),
    Change("rules_changed", _rules, case=False, element=True, after=("version", "title", "file")),
    Change("rule_decided", _inspection_decided, case=True, element=True,
           after=("ruleset", "ruleset_version", "rule_id", "outcome", "facts", "explanation")),
    Change("supplement_notice_issued", _returned, case=True, element=True, after=("items",)),
    Change("clock_suspended", _returned, case=True, element=True, after=("reason", "due_date")),
    Change("materials_supplemented", _resubmitted, case=True, element=True, after=("materials",)),
    # the clock restarts, and the warning concerns, the case as a whole: no element
    Change("clock_resumed", _resubmitted, case=True, element=False, before=("due_date",),
           after=("due_date", "working_days_suspended")),
    Change("deadline_warning", _deadline_checked_on("2026-03-09"), case=True, element=False,
           before=("state",), after=("state", "due_date")),
    Change("deadline_overdue", _deadline_checked_on("2026-03-12"), case=True, element=True,
           before=("state",), after=("state", "due_date", "escalation_task_id")),
]


@pytest.mark.parametrize("change", EVENTS, ids=[c.action for c in EVENTS])
def test_each_change_is_an_event_with_who_when_where_and_what(ext, api, clock, change):
    clock.set = _expiring_tokens(api, clock.set)
    change.make(ext, api, clock)
    with ext.db.session(write=False) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == change.action)
                               .order_by(AuditEvent.id.desc()).limit(1))
        _, broken = verify_chain(session)
    assert event is not None, f"没有记录“{change.action}”事件"
    assert event.actor and event.occurred_at.tzinfo is not None
    assert event.occurred_at <= clock.now()
    assert (event.case_id is not None) == change.case, event.case_id
    assert bool(event.element_id) == change.element, event.element_id
    assert set(change.before) <= event.before.keys(), event.before
    assert set(change.after) <= event.after.keys(), event.after
    assert broken is None


def _expiring_tokens(api: Any, set_clock: Callable[[datetime], None]) -> Callable[[datetime], None]:
    def moved(at: datetime) -> None:  # tokens live 12 hours: log in again after moving days ahead
        set_clock(at)
        api.tokens.clear()
    return moved


@pytest.mark.parametrize("action", sorted({c.action for c in EVENTS}))
def test_each_action_has_a_chinese_name_in_the_trail(action):
    assert ACTION_LABELS[action] != action and all("\u4e00" <= ch <= "\u9fff" for ch in ACTION_LABELS[action])
