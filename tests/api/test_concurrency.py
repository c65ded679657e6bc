"""Two people act on the same task at the same instant: exactly one wins, nothing is lost."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.persistence.models import AuditEvent, TaskRecord
from tests.support.cases import register, work
from tests.support.races import race


def _race(api: Any, calls: list[tuple[str, str, dict]]) -> list[int]:
    return [answer.status for answer in race(api, calls)]


def test_two_simultaneous_completions_one_succeeds_one_409(api, ext):
    for _round in range(8):
        case = register(api)
        case = work(api, case, "window", "approve")
        task_id = case["tasks"][0]["id"]
        url = f"/api/v1/tasks/{task_id}/complete"
        statuses = _race(api, [
            ("reviewer_market", url, {"decision": "reject", "opinion": "甲：场所不符合要求"}),
            ("reviewer2_market", url, {"decision": "reject", "opinion": "乙：材料不实"}),
        ])
        assert sorted(statuses) == [200, 409], statuses
        with ext.db.session(write=False) as session:
            completed = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.case_id == case["id"], AuditEvent.element_id == "review_application",
                AuditEvent.action == "task_completed"))
            assert completed == 1
            review = session.get(TaskRecord, task_id)
            assert review.status == "completed" and review.opinion in ("甲：场所不符合要求", "乙：材料不实")
        detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
        assert [t["name"] for t in detail["tasks"]] == ["决定"]
        assert detail["version"] == case["version"] + 1


def test_two_simultaneous_claims_one_wins(api):
    case = register(api)
    case = work(api, case, "window", "approve")
    url = f"/api/v1/tasks/{case['tasks'][0]['id']}/claim"
    statuses = _race(api, [("reviewer_market", url, {}), ("reviewer2_market", url, {})])
    assert sorted(statuses) == [200, 409], statuses


def test_same_user_double_submit_lands_once(api):
    case = register(api)
    url = f"/api/v1/tasks/{case['tasks'][0]['id']}/complete"
    statuses = _race(api, [("window", url, {"decision": "approve"}),
                           ("window", url, {"decision": "approve"})])
    assert sorted(statuses) == [200, 409], statuses
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert [h["action"] for h in detail["history"]].count("task_completed") == 1
