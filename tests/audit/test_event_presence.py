"""Every change is an audit event with actor, time, case, element and before/after data.

``EVENTS`` lists each kind of change: how to make it happen and what its event must carry.
New kinds of change (rule decisions, clock suspended/resumed, warnings, escalations, return
for supplement…) are added as one more entry; the tests below need no other edit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.persistence.audit import verify_chain
from app.persistence.models import AuditEvent
from app.services.actor import SYSTEM
from app.services.audit_trail import ACTION_LABELS
from app.services.auth import actor_for_username
from app.services.processes import deploy
from app.services.rules_audit import record_rules_versions
from tests.api.test_cases_api import register, work

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Change:
    action: str
    #: makes the change happen: ``make(ext, api)``
    make: Callable[[Any, Any], Any]
    #: whether the event names the case and the element (task, process, ruleset…)
    case: bool
    element: bool
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


def _ready_task(api: Any) -> str:
    return register(api)["tasks"][0]["id"]


def _claim(ext: Any, api: Any) -> None:
    assert api.post(f"/api/v1/tasks/{_ready_task(api)}/claim", as_user="window").status_code == 200


def _release(ext: Any, api: Any) -> None:
    task_id = _ready_task(api)
    api.post(f"/api/v1/tasks/{task_id}/claim", as_user="window")
    assert api.post(f"/api/v1/tasks/{task_id}/release", as_user="window").status_code == 200


def _deploy(ext: Any, api: Any) -> None:
    content = (ROOT / "processes" / "standard_promised.bpmn").read_text(encoding="utf-8")
    with ext.db.unit_of_work() as session:
        designer = actor_for_username(session, "designer")
        deploy(session, ext.runtime, designer, filename="standard_promised.bpmn", process_id="standard_promised",
               content=content.replace("承诺件标准流程", "承诺件标准流程（修订）").encode(), comment="修订名称")


def _rules(ext: Any, api: Any) -> None:
    with ext.db.unit_of_work() as session:
        assert record_rules_versions(session, ext.runtime, SYSTEM)


EVENTS = [
    Change("login", lambda ext, api: api.token("window"), case=False, element=False, after=("role",)),
    Change("case_registered", lambda ext, api: register(api), case=True, element=False,
           after=("number", "item_code", "applicant", "materials", "status", "process_version")),
    Change("task_claimed", _claim, case=True, element=True, after=("task_id", "claimed_by")),
    Change("task_released", _release, case=True, element=True, before=("claimed_by",), after=("task_id",)),
    Change("task_completed", lambda ext, api: work(api, register(api), "window", "approve", "材料齐全"),
           case=True, element=True, before=("status", "version", "result"),
           after=("task", "decision", "opinion", "status", "result", "version")),
    Change("model_deployed", _deploy, case=False, element=True, after=("process_id", "version", "hash", "comment")),
    Change("rules_changed", _rules, case=False, element=True, after=("version", "title", "file")),
]


@pytest.mark.parametrize("change", EVENTS, ids=[c.action for c in EVENTS])
def test_each_change_is_an_event_with_who_when_where_and_what(ext, api, clock, change):
    change.make(ext, api)
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


@pytest.mark.parametrize("action", [c.action for c in EVENTS])
def test_each_action_has_a_chinese_name_in_the_trail(action):
    assert ACTION_LABELS[action] != action and all("\u4e00" <= ch <= "\u9fff" for ch in ACTION_LABELS[action])
