"""Transferring a task (转办) to a colleague of the same role and department: API and page."""
from __future__ import annotations

from sqlalchemy import func, select

from app.persistence.models import AuditEvent
from tests.support.cases import register, work
from tests.support.pages import signed_in, text


def review_task(api) -> tuple[dict, str]:
    case = work(api, register(api), "window", "approve")
    return case, case["tasks"][0]["id"]


def transfers(ext) -> list[AuditEvent]:
    with ext.db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "task_transferred")))


def test_holder_transfers_to_a_colleague_who_finds_it_in_their_inbox(api, ext):
    case, task_id = review_task(api)
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    response = api.post(f"/api/v1/tasks/{task_id}/transfer", as_user="reviewer_market",
                        json={"to": "reviewer2_market", "reason": "承办人出差"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["claimed_by"] == "reviewer2_market"
    mine = api.get("/api/v1/tasks?tab=mine", as_user="reviewer2_market").get_json()
    assert [i["id"] for i in mine["items"]] == [task_id]
    assert api.get("/api/v1/tasks?tab=mine", as_user="reviewer_market").get_json()["total"] == 0
    [event] = transfers(ext)
    assert event.actor == "reviewer_market" and event.case_id == case["id"]
    assert event.before["claimed_by"] == "reviewer_market"
    assert event.after["to"] == "reviewer2_market" and event.after["reason"] == "承办人出差"
    # the new holder completes it; the old one no longer can
    refused = api.post(f"/api/v1/tasks/{task_id}/complete", as_user="reviewer_market",
                       json={"decision": "approve", "opinion": "同意"})
    assert refused.status_code == 409
    work(api, {"tasks": [{"id": task_id}]}, "reviewer2_market", "approve", "同意")


def test_an_unclaimed_task_can_be_handed_to_a_colleague(api):
    _, task_id = review_task(api)
    response = api.post(f"/api/v1/tasks/{task_id}/transfer", as_user="reviewer2_market", json={"to": "reviewer_market"})
    assert response.status_code == 200 and response.get_json()["claimed_by"] == "reviewer_market"


def test_transfer_refusals(api, ext):
    _, task_id = review_task(api)
    url = f"/api/v1/tasks/{task_id}/transfer"
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    cases = [
        ("reviewer_market", {"to": "reviewer_health"}, 400, "transfer_target_invalid"),  # other department
        ("reviewer_market", {"to": "leader_market"}, 400, "transfer_target_invalid"),  # other role
        ("reviewer_market", {"to": "nobody"}, 400, "transfer_target_invalid"),
        ("reviewer_market", {"to": "reviewer_market"}, 400, "transfer_to_self"),
        ("reviewer_market", {}, 400, "transfer_target_required"),
        ("reviewer_market", {"to": ["reviewer2_market"]}, 400, "transfer_target_required"),
        ("reviewer_market", {"to": "reviewer2_market", "reason": 5}, 400, "invalid_reason"),
        ("reviewer2_market", {"to": "reviewer2_market"}, 409, "task_claimed_by_other"),  # not the holder
        ("reviewer_health", {"to": "reviewer2_health"}, 403, "task_not_yours"),
        ("auditor", {"to": "reviewer2_market"}, 403, "read_only_role"),  # auditors only read
    ]
    for user, body, status, code in cases:
        response = api.post(url, as_user=user, json=body)
        assert response.status_code == status, (user, body, response.get_json())
        assert response.get_json()["code"] == code
    assert api.post("/api/v1/tasks/nope/transfer", as_user="reviewer_market",
                    json={"to": "reviewer2_market"}).status_code == 404
    work(api, {"tasks": [{"id": task_id}]}, "reviewer_market", "approve", "同意")
    done = api.post(url, as_user="reviewer_market", json={"to": "reviewer2_market"})
    assert done.status_code == 409 and done.get_json()["code"] == "task_done"
    assert transfers(ext) == []


def test_transfer_from_the_task_page(app, api, ext):
    _, task_id = review_task(api)
    client, token = signed_in(app, "reviewer_market")
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    page = text(client.get(f"/tasks/{task_id}"))
    assert "转办给本部门其他人员" in page and 'value="reviewer2_market"' in page
    assert 'value="reviewer_health"' not in page and 'value="reviewer_market"' not in page
    response = client.post(f"/tasks/{task_id}/transfer", data={"csrf_token": token, "to": ""})
    assert response.status_code == 400 and "请选择转办给谁" in text(response)
    response = client.post(f"/tasks/{task_id}/transfer", data={"csrf_token": token, "to": "reviewer2_market"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "已转办" in page and "正在办理" in page
    with ext.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "task_transferred")) == 1


def test_the_reason_reaches_the_new_holder_by_name_in_the_inbox_the_task_and_the_timeline(app, api):
    case, task_id = review_task(api)
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    api.post(f"/api/v1/tasks/{task_id}/transfer", as_user="reviewer_market",
             json={"to": "reviewer2_market", "reason": "承办人出差，请代为审查"})
    [row] = api.get("/api/v1/tasks?tab=mine", as_user="reviewer2_market").get_json()["items"]
    assert row["transferred_by"] == "reviewer_market" and row["transfer_reason"] == "承办人出差，请代为审查"
    names = {u: n for u, n in (("reviewer_market", row["transferred_by_name"]),)}
    assert names["reviewer_market"] != "reviewer_market"  # a person's name, not a username
    client, _ = signed_in(app, "reviewer2_market")
    inbox = text(client.get("/"))
    assert f"{row['transferred_by_name']} 转办：承办人出差，请代为审查" in inbox
    page = text(client.get(f"/tasks/{task_id}"))
    assert "承办人出差，请代为审查" in page and 'id="transfer-note"' in page
    [entry] = [h for h in api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["history"]
               if h["action"] == "task_transferred"]
    assert "reviewer2_market" not in entry["description"] and "说明：承办人出差" in entry["description"]


def test_releasing_a_transferred_task_clears_the_note(api):
    _, task_id = review_task(api)
    api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market")
    api.post(f"/api/v1/tasks/{task_id}/transfer", as_user="reviewer_market", json={"to": "reviewer2_market"})
    assert api.post(f"/api/v1/tasks/{task_id}/release", as_user="reviewer2_market").status_code == 200
    [row] = api.get("/api/v1/tasks?tab=department", as_user="reviewer_market").get_json()["items"]
    assert row["transferred_by"] is None and row["transfer_reason"] is None


def test_the_transfer_form_is_offered_only_to_the_holder(app, api):
    _, task_id = review_task(api)
    client, token = signed_in(app, "reviewer_market")
    assert "转办给本部门其他人员" not in text(client.get(f"/tasks/{task_id}"))  # not claimed yet
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    assert "转办给本部门其他人员" in text(client.get(f"/tasks/{task_id}"))
    colleague, _ = signed_in(app, "reviewer2_market")
    assert "转办给本部门其他人员" not in text(colleague.get(f"/tasks/{task_id}"))
