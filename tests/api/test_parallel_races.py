"""Departments answering a parallel review at the same instant: every answer lands, none is lost.

Each round registers a case, brings it to its parallel step, and fires the departments'
completions from separate threads released by one barrier. Afterwards the saved workflow, the
inbox and the audit trail must agree: every task answered with 200 is done in the workflow
(``oneseal check cases`` finds no drift), has exactly one ``task_completed`` event, and the
case goes on to its next step. Run on SQLite and on PostgreSQL.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from sqlalchemy import func, select

from app.persistence.models import AuditEvent, TaskRecord
from app.services.stepping.consistency import check_cases
from tests.support.bundles import register_bundle
from tests.support.cases import register, work
from tests.support.projects import ENTERPRISE, complete, only
from tests.support.projects import register as register_project
from tests.support.races import race
from tests.support.inspection_form import on_site

ENTERTAINMENT = "XK-0008"  # 会签: 文化和旅游局 + 消防救援大队
BILLBOARD = "XK-0015"      # 或签: 城市管理局, 自然资源局, 交通运输局
RIVER = "XK-0023"          # 按比例 60 %: 水利局, 自然资源局, 交通运输局
PHARMACY = "YJS-0001"      # 一件事: 药品零售企业许可 + 食品经营许可
ROUNDS = 12


def _answers(api: Any, tasks: list[dict], user_prefix: str, body: dict, case: dict | None = None) -> list[int]:
    calls = [(f"{user_prefix}{t['department']}", f"/api/v1/tasks/{t['id']}/complete",
              {**body, "data": on_site(case, t, f"{user_prefix}{t['department']}", body.get("data") or {})})
             for t in tasks]
    answers = race(api, calls)
    assert all(a.status < 500 for a in answers), [a.body for a in answers]
    return [a.status for a in answers]


def _agree(ext: Any, api: Any, case_id: int, tasks: list[dict], statuses: list[int]) -> dict:
    """The workflow, the task rows and the trail agree; return the case as the API shows it."""
    with ext.db.session(write=False) as session:
        report = check_cases(session, ext.runtime, [case_id])
        assert report.ok, [d.describe() for d in report.drifts]
        for task, status in zip(tasks, statuses):
            row = session.get(TaskRecord, task["id"])
            events = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "task_completed",
                AuditEvent.after["task_id"].as_string() == task["id"]))
            if status == 200:
                assert row.status == "completed" and events == 1, (task, row.status, events)
            else:
                assert status == 409 and row.status == "cancelled" and events == 0, (task, status, row.status)
    return api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()


def _parallel_tasks(case: dict, name: str) -> list[dict]:
    return [t for t in case["tasks"] if t["name"] == name]


def test_two_departments_countersigning_at_the_same_instant_both_land(api, ext):
    for _round in range(ROUNDS):
        case = work(api, register(api, ENTERTAINMENT), "window", "approve", "予以受理")
        tasks = _parallel_tasks(case, "并联审查")
        assert len(tasks) == 2
        statuses = _answers(api, tasks, "reviewer_", {"decision": "approve", "opinion": "同意"})
        assert statuses == [200, 200]
        after = _agree(ext, api, case["id"], tasks, statuses)
        assert after["parallel"]["settled"] and after["parallel"]["outcome"] == "approve"
        assert len(after["parallel"]["opinions"]) == 2
        assert after["tasks"] and not _parallel_tasks(after, "并联审查")


@pytest.mark.parametrize("item,expected", [(RIVER, [200, 200, 409]), (BILLBOARD, [200, 409, 409])])
def test_three_departments_at_once_settle_once_and_the_rest_are_withdrawn(api, ext, item, expected):
    for _round in range(ROUNDS // 2):
        case = work(api, register(api, item), "window", "approve", "予以受理")
        tasks = _parallel_tasks(case, "并联审查")
        assert len(tasks) == 3
        statuses = _answers(api, tasks, "reviewer_", {"decision": "approve", "opinion": "同意"})
        assert sorted(statuses) == expected
        after = _agree(ext, api, case["id"], tasks, statuses)
        assert after["parallel"]["settled"] and after["parallel"]["outcome"] == "approve"
        assert not _parallel_tasks(after, "并联审查")


def test_the_items_of_a_bundle_decided_at_the_same_instant(api, ext):
    for _round in range(ROUNDS // 2):
        case = work(api, register_bundle(api, PHARMACY), "window", "approve", "一次受理")
        tasks = _parallel_tasks(case, "分项审查")
        assert len(tasks) == 2
        statuses = _answers(api, tasks, "reviewer_", {"decision": "approve", "opinion": "同意"})
        assert statuses == [200, 200]
        after = _agree(ext, api, case["id"], tasks, statuses)
        assert not _parallel_tasks(after, "分项审查") and after["tasks"]


def _project_at_items(api: Any) -> tuple[dict, list[dict]]:
    """An enterprise project in stage 1 with its joint survey passed: one task per item."""
    case = register_project(api, code=ENTERPRISE)
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    survey = _parallel_tasks(case, "联合现场核查")
    statuses = _answers(api, survey, "inspector_", {"opinion": "同意", "data": {"finding": "合格"}}, case)
    assert statuses == [200] * len(survey)
    case = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    case = complete(api, case, only(case, "形成联合核查结论"), "inspector_site_survey", None, finding="合格")
    return case, _parallel_tasks(case, "并联审批")


def test_all_branches_of_a_project_stage_at_once(api, ext):
    for _round in range(2):
        case, tasks = _project_at_items(api)
        assert len(tasks) >= 8
        statuses = _answers(api, tasks, "reviewer_", {"decision": "approve", "opinion": "同意"})
        assert statuses == [200] * len(tasks)
        after = _agree(ext, api, case["id"], tasks, statuses)
        assert [t["name"] for t in after["tasks"]] == ["阶段批复"]


@pytest.mark.parametrize("size", [2, 3])
def test_every_pair_and_triple_of_a_project_stage(api, ext, size):
    """The branches in groups of two (then three) at a time until all are done, every group racing."""
    case, tasks = _project_at_items(api)
    groups = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    first = tasks[: size + 2]  # and every pair (triple) of the first branches, each on a fresh stage
    for group in groups:
        statuses = _answers(api, group, "reviewer_", {"decision": "approve", "opinion": "同意"})
        assert statuses == [200] * len(group)
        _agree(ext, api, case["id"], group, statuses)
    for combo in combinations(range(len(first)), size):
        case, tasks = _project_at_items(api)
        group = [tasks[i] for i in combo]
        statuses = _answers(api, group, "reviewer_", {"decision": "approve", "opinion": "同意"})
        assert statuses == [200] * size
        _agree(ext, api, case["id"], group, statuses)
