"""A client that asks for the short answer (``Prefer: return=minimal``) gets what its next call
needs — the case's number, status, version and open steps — and the same step is taken, checked
and recorded as with the full answer."""
from __future__ import annotations

from sqlalchemy import func, select

from app.persistence.models import AuditEvent
from tests.support.cases import FOOD, register

MINIMAL = {"Prefer": "return=minimal"}
APPLICATION = {"item_code": FOOD, "applicant": {"name": "张三餐饮店", "contact": "0910-1234567"},
               "materials": ["M01", "M02", "M03", "M04"], "facts": {}}


def test_a_registration_answers_briefly_when_asked(api):
    response = api.post("/api/v1/cases", as_user="window", json=APPLICATION, headers=MINIMAL)
    assert response.status_code == 201 and response.headers["Preference-Applied"] == "return=minimal"
    brief = response.get_json()
    assert set(brief) == {"id", "number", "status", "result", "version", "query_code", "tasks"}
    assert brief["query_code"] and [t["element_id"] for t in brief["tasks"]] == ["accept_application"]
    detail = api.get(f"/api/v1/cases/{brief['id']}", as_user="window").get_json()
    assert (detail["number"], detail["status"], detail["version"]) == (brief["number"], brief["status"], brief["version"])
    assert [t["id"] for t in detail["tasks"]] == [t["id"] for t in brief["tasks"]]


def test_a_completion_answers_briefly_and_takes_the_same_step(api, ext):
    case = register(api)
    task_id = case["tasks"][0]["id"]
    response = api.post(f"/api/v1/tasks/{task_id}/complete", as_user="window", headers=MINIMAL,
                        json={"decision": "approve", "opinion": "材料齐全"})
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "return=minimal"
    body = response.get_json()
    assert body["task"]["status"] == "completed" and body["task"]["decision"] == "approve"
    brief = body["case"]
    assert "history" not in brief and "opinions" not in brief
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert brief["version"] == detail["version"] == case["version"] + 1
    assert brief["status"] == detail["status"] == "in_review"
    assert [t["id"] for t in brief["tasks"]] == [t["id"] for t in detail["tasks"]]
    assert [t["element_id"] for t in brief["tasks"]] == ["review_application"]
    with ext.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case["id"], AuditEvent.action == "task_completed")) == 1


def test_the_short_answer_keeps_every_check(api):
    case = register(api)
    url = f"/api/v1/tasks/{case['tasks'][0]['id']}/complete"
    refused = api.post(url, as_user="window", headers=MINIMAL, json={"decision": "maybe"})
    assert refused.status_code == 400 and refused.get_json()["code"] == "invalid_decision"
    foreign = api.post(url, as_user="reviewer_market", headers=MINIMAL, json={"decision": "approve"})
    assert foreign.status_code == 403
    assert api.post(url, as_user="window", headers=MINIMAL, json={"decision": "approve"}).status_code == 200
    again = api.post(url, as_user="window", headers=MINIMAL, json={"decision": "approve"})
    assert again.status_code == 409 and again.get_json()["code"] == "task_done"


def test_a_replayed_short_answer_is_the_first_one(api):
    case = register(api)
    url = f"/api/v1/tasks/{case['tasks'][0]['id']}/complete"
    headers = {**MINIMAL, "Idempotency-Key": "brief-1"}
    first = api.post(url, as_user="window", headers=headers, json={"decision": "approve"})
    second = api.post(url, as_user="window", headers=headers, json={"decision": "approve"})
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replay"] == "true" and second.get_json() == first.get_json()


def test_without_the_preference_the_whole_case_comes_back(api):
    case = register(api)
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="window",
                        json={"decision": "approve"}, headers={"Prefer": "return=representation"})
    assert response.status_code == 200 and "Preference-Applied" not in response.headers
    assert {"history", "opinions", "materials", "time_limit"} <= set(response.get_json()["case"])
