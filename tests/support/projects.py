"""Construction projects (工程建设项目) through the JSON API: the project types, registering a
project, completing its steps, passing a stage's joint survey."""
from __future__ import annotations

from typing import Any

from tests.support.inspection_form import on_site

GOVERNMENT, ENTERPRISE = "GCXM-ZF", "GCXM-QY"
PROJECT = {"name": "县第一中学教学楼", "location": "城南新区学府路", "project_code": "2026-610000-47-01-000001"}


def project_types(api: Any) -> dict[str, dict]:
    response = api.get("/api/v1/project-types", as_user="window")
    assert response.status_code == 200, response.get_json()
    return {t["code"]: t for t in response.get_json()["project_types"]}


def materials_of(api: Any, code: str, leave_out: tuple[str, ...] = ()) -> list[str]:
    return [m["code"] for s in project_types(api)[code]["stages"] for m in s["materials"]
            if m["name"] not in leave_out]


def register(api: Any, code: str = GOVERNMENT, expect: int = 201, **body: Any) -> dict:
    payload = {"item_code": code, "applicant": {"name": "县教育局"}, "project": dict(PROJECT),
               "materials": materials_of(api, code), **body}
    response = api.post("/api/v1/cases", as_user="window", json=payload)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def complete(api: Any, case: dict, task: dict, user: str, decision: str | None, expect: int = 200,
             **data: Any) -> dict:
    body: dict[str, Any] = {"opinion": "同意", "data": on_site(case, task, user, data)}
    if decision:
        body["decision"] = decision
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()["case"] if expect == 200 else response.get_json()


def only(case: dict, name: str) -> dict:
    (task,) = [t for t in case["tasks"] if t["name"] == name]
    return task


def pass_survey(api: Any, case: dict) -> dict:
    """The stage's joint survey: every department finds 合格, then the conclusion."""
    for task in [t for t in case["tasks"] if t["name"] == "联合现场核查"]:
        case = complete(api, case, task, f"inspector_{task['department']}", None, finding="合格")
    return complete(api, case, only(case, "形成联合核查结论"), "inspector_site_survey", None, finding="合格")
