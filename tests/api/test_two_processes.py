"""Two server processes on one database, each taking whichever request comes to it.

The second process is a second application on the same database: its own compiled diagrams
and workflow cache, as another gunicorn worker, another host, or the same server after a
restart. The departments of a parallel review (and the items of a 一件事) answer through
alternating processes: every answer is counted, the case goes on, and the saved workflow and
the inbox agree. (A process that had not started the review itself completed its answers
without the review noticing: the case stayed 审查中 with no open task, or was decided on the
first answer alone.) Run on SQLite and on PostgreSQL.
"""
from __future__ import annotations

from typing import Any

import pytest

from app import create_app
from app.services.stepping.consistency import check_cases
from tests.support.api import ApiClient
from tests.support.bundles import PHARMACY, register_bundle
from tests.support.cases import register, work
from tests.support.model_samples import SHIPPED
from tests.support.parallel import ENTERTAINMENT, RIVER
from tests.support.inspection_form import on_site


@pytest.fixture
def other(settings, clock) -> ApiClient:
    """The second process: another application on the same database."""
    return ApiClient(create_app(settings, clock=clock, warm=False).test_client())


def _answer_alternately(clients: list[ApiClient], case: dict, name: str, body: dict | None = None) -> dict:
    """Each open task called ``name``, through the two processes by turns, until none is left
    (a review settled early withdraws the rest)."""
    turn = 0
    while tasks := [t for t in case["tasks"] if t["name"] == name]:
        response = clients[turn % 2].post(f"/api/v1/tasks/{tasks[0]['id']}/complete",
                                          as_user=tasks[0]["candidates"][0],
                                          json=_filled(case, tasks[0], body))
        assert response.status_code == 200, response.get_json()
        case, turn = response.get_json()["case"], turn + 1
    return case


def _filled(case: dict, task: dict, body: dict | None) -> dict:
    if body is None:
        return {"decision": "approve", "opinion": "同意"}
    return {**body, "data": on_site(case, task, task["candidates"][0], body.get("data") or {})}


def _agrees(ext: Any, case_id: int) -> None:
    with ext.db.session(write=False) as session:
        report = check_cases(session, ext.runtime, [case_id])
    assert report.ok, [d.describe() for d in report.drifts]


@pytest.mark.parametrize("first", [0, 1], ids=["this-process-first", "other-process-first"])
def test_a_countersign_answered_through_two_processes_counts_both(api, other, ext, first):
    case = work(api, register(api, ENTERTAINMENT), "window", "approve", "予以受理")
    clients = [api, other] if first == 0 else [other, api]
    case = _answer_alternately(clients, case, "并联审查")
    assert case["parallel"]["settled"] and len(case["parallel"]["opinions"]) == 2
    # 娱乐场所 need a joint site inspection once the review has passed
    assert [t["name"] for t in case["tasks"]] == ["联合现场核查", "联合现场核查"]
    _agrees(ext, case["id"])


@pytest.mark.parametrize("first", [0, 1], ids=["this-process-first", "other-process-first"])
def test_a_ratio_review_answered_through_two_processes(api, other, ext, first):
    case = work(api, register(api, RIVER), "window", "approve", "予以受理")
    case = _answer_alternately([api, other] if first == 0 else [other, api], case, "并联审查")
    assert case["parallel"]["settled"] and case["parallel"]["outcome"] == "approve"
    assert case["tasks"] and not [t for t in case["tasks"] if t["name"] == "并联审查"]
    _agrees(ext, case["id"])


@pytest.mark.parametrize("first", [0, 1], ids=["this-process-first", "other-process-first"])
def test_the_items_of_a_bundle_decided_through_two_processes(api, other, ext, first):
    case = work(api, register_bundle(api, PHARMACY), "window", "approve", "一次受理")
    case = _answer_alternately([other, api], case, "分项审查")
    assert [t["name"] for t in case["tasks"]] == ["独立现场核查", "独立现场核查"]
    case = _answer_alternately([api, other], case, "独立现场核查", {"opinion": "合格", "data": {"finding": "合格"}})
    assert [t["name"] for t in case["tasks"]] == ["分项决定", "分项决定"]
    case = _answer_alternately([api, other], case, "分项决定")
    assert [t["name"] for t in case["tasks"]] == ["分项制证", "分项制证"]
    case = _answer_alternately([api, other] if first == 0 else [other, api], case, "分项制证", {"opinion": "已制证"})
    assert [t["name"] for t in case["tasks"]] == ["统一出件"]  # both items came back to the bundle
    _agrees(ext, case["id"])


def test_a_version_deployed_through_one_process_is_what_the_other_registers_on(api, other, ext):
    """A designer deploys 初审 for 审查 through this process; the other process, which compiled the
    shipped diagrams at start, registers the next case on the new version; a case it registered
    before goes on with the old one."""
    before = work(other, register(other), "window", "approve", "予以受理")
    models = api.get("/api/v1/process-models", as_user="designer").get_json()["models"]
    standard = next(m for m in models if m["process_id"] == "standard_promised")
    changed = (SHIPPED / "standard_promised.bpmn").read_bytes().replace('name="审查"'.encode(), 'name="初审"'.encode(), 1)
    saved = api.post(f"/api/v1/process-models/{standard['id']}/versions", as_user="designer", data=changed,
                     headers={"Content-Type": "application/xml"}).get_json()
    deployed = api.post(f"/api/v1/process-models/{standard['id']}/versions/{saved['version']}/deploy",
                        as_user="designer")
    assert deployed.status_code == 200, deployed.get_json()
    after = work(other, register(other), "window", "approve", "予以受理")
    assert [t["name"] for t in after["tasks"]] == ["初审"]
    assert [t["name"] for t in before["tasks"]] == ["审查"]
    before = work(other, before, "reviewer_market", "approve")
    assert [t["name"] for t in before["tasks"]] == ["独立现场核查"]  # 食品经营 is inspected on site
    _agrees(ext, before["id"])
    _agrees(ext, after["id"])
