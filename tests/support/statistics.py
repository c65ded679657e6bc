"""Cases worked to their end through the JSON API with a fixed clock, for the statistics tests."""
from __future__ import annotations

from typing import Any

from tests.support.time_limits import at

APPROVING_STEPS = ("accept_application", "review_application", "decide_application", "accept_and_decide")


def user_for(task: dict) -> str:
    return "window" if task["role"] == "window" else f"{task['role']}_{task['department']}"


def step(api: Any, case: dict, *, decision: str | None = None, delivery: str = "窗口领取",
         data: dict | None = None, expect: int = 200) -> dict:
    """Complete the case's first open task as the user it belongs to."""
    task = case["tasks"][0]
    body: dict[str, Any] = {"opinion": "同意", "data": dict(data or {})}
    if decision is None and task["element_id"] in APPROVING_STEPS:
        decision = "approve"
    if decision:
        body["decision"] = decision
    if task["element_id"] == "make_certificate":
        body["data"].setdefault("scope", "食品销售、餐饮服务")  # the licensed scope printed on the certificate
    if task["element_id"] == "issue_result":
        body["data"].setdefault("delivery", delivery)
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user_for(task), json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()["case"]


def finish(api: Any, case: dict, *, delivery: str = "窗口领取", decision: str | None = None) -> dict:
    """Work every step to the end (approving, unless ``decision`` says otherwise at the decision)."""
    while case["tasks"] and case["status"] not in ("completed", "not_accepted"):
        chosen = decision if case["tasks"][0]["element_id"] == "decide_application" else None
        case = step(api, case, decision=chosen, delivery=delivery)
    return case


def statistics(api: Any, user: str = "efficiency", **params: Any) -> dict:
    response = api.get("/api/v1/statistics", as_user=user, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def on(api: Any, clock: Any, day: str, hour: int = 9, minute: int = 30) -> None:
    """Move the clock to a Beijing day and time; the users sign in again (tokens last 12 hours)."""
    at(clock, day, hour, minute)
    api.tokens.clear()
