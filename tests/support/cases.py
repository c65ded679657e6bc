"""Cases through the JSON API: register one at the window, work its first open step."""
from __future__ import annotations

from typing import Any

from tests.support.inspection_form import on_site

FOOD = "XK-0001"  # 食品经营许可, 市场监督管理局, 承诺件
FOOD_REPLACEMENT = "XK-0002"  # 食品经营许可证补办, 即办件


def items(api: Any) -> list[dict]:
    return api.get("/api/v1/items", as_user="window").get_json()["items"]


def register(api: Any, item: str = FOOD, materials: list[str] | None = None, **extra: Any) -> dict:
    """Register a case for ``item`` as the window (all its materials unless told otherwise)."""
    if materials is None:
        materials = [m["code"] for m in next(i for i in items(api) if i["code"] == item)["materials"]]
    body = {"item_code": item, "applicant": {"name": "张三餐饮店", "contact": "0910-1234567"},
            "materials": materials, "facts": {}, **extra}
    response = api.post("/api/v1/cases", as_user="window", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def work(api: Any, case: dict, user: str, decision: str | None = None, opinion: str = "同意",
         data: dict | None = None, expect: int = 200) -> Any:
    """Complete the case's first open task as ``user``; the case after it (or the error body)."""
    task = case["tasks"][0]
    body: dict[str, Any] = {"opinion": opinion, "data": on_site(case, task, user, data or {})}
    if decision:
        body["decision"] = decision
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()["case"] if expect == 200 else response.get_json()
