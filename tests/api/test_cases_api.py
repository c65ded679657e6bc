"""The JSON API: the bureau's checklist for one licensing item end to end."""
from __future__ import annotations

from tests.support.cases import FOOD, FOOD_REPLACEMENT, items, register, work


def test_health_and_openapi(api):
    assert api.get("/api/v1/health").status_code == 200
    doc = api.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/cases", "/api/v1/tasks/{task_id}/complete", "/api/v1/auth/token"):
        assert path in doc["paths"]


def test_login_errors_are_chinese_with_codes(api):
    response = api.post("/api/v1/auth/token", json={"username": "window", "password": "wrong"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "bad_credentials"
    assert "密码" in response.get_json()["message"]
    assert api.post("/api/v1/auth/token", data="not json").status_code == 400
    assert api.get("/api/v1/items").status_code == 401
    assert api.get("/api/v1/items", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_catalogue_lists_items_with_materials(api):
    catalogue = items(api)
    assert len(catalogue) >= 12
    assert len({i["department"] for i in catalogue}) >= 6
    food = next(i for i in catalogue if i["code"] == FOOD)
    assert food["kind"] == "promised" and food["site_inspection"] is True
    assert any(m["main"] for m in food["materials"]) and any(not m["main"] for m in food["materials"])
    assert {i["kind"] for i in catalogue} == {"immediate", "promised"}


def test_standard_flow_to_issue(api):
    case = register(api)
    assert case["number"].startswith("2026-") and len(case["number"]) == 11
    assert case["status"] == "registered"
    task = case["tasks"][0]
    assert task["name"] == "受理" and task["role"] == "window" and task["department"] == "window"
    assert "window" in task["candidates"] and "reviewer_market" not in task["candidates"]
    case = work(api, case, "window", "approve", "材料齐全")
    assert case["status"] == "in_review"
    assert case["tasks"][0]["department"] == "market"
    assert set(case["tasks"][0]["candidates"]) == {"reviewer_market", "reviewer2_market"}
    case = work(api, case, "reviewer_market", "approve", "符合条件")
    # 食品经营许可 needs a site inspection: the rules send it to the bureau's own inspectors
    assert case["status"] == "inspecting"
    assert [(t["name"], t["role"], t["department"]) for t in case["tasks"]] == [
        ("独立现场核查", "inspector", "site_survey")]
    case = work(api, case, "inspector_site_survey", opinion="经营场所与布局图一致", data={"finding": "合格"})
    case = work(api, case, "leader_market", "approve", "准予")
    assert case["status"] == "certifying" and case["result"] == "approved"
    case = work(api, case, "reviewer_market", data={"scope": "预包装食品销售"}, opinion="")
    case = work(api, case, "window", data={"delivery": "窗口领取"}, opinion="")
    assert case["status"] == "completed" and case["tasks"] == []
    assert [o["name"] for o in case["opinions"]] == ["受理", "审查", "独立现场核查", "决定", "制证", "出件"]
    actions = [h["action"] for h in case["history"]]
    assert actions.count("task_completed") == 6 and actions[0] == "case_registered"
    assert actions.count("rule_decided") == 1


def test_immediate_item_is_decided_at_the_window(api):
    case = register(api, FOOD_REPLACEMENT)
    assert case["tasks"][0]["name"] == "受理并当场决定"
    case = work(api, case, "window", "approve", "当场办结")
    case = work(api, case, "window", data={"delivery": "电子送达"}, opinion="")
    assert case["status"] == "completed" and case["result"] == "approved"


def test_bad_input_gets_400_with_chinese_message(api):
    cases = [
        ({"item_code": "NOPE", "applicant": {"name": "x"}}, 404, "item_not_found"),
        ({"item_code": FOOD}, 400, "applicant_required"),
        ({"item_code": FOOD, "applicant": {"name": ""}}, 400, "applicant_name_required"),
        ({"item_code": FOOD, "applicant": {"name": "x"}, "materials": ["ZZZ"]}, 400, "unknown_material"),
        ({"item_code": FOOD, "applicant": {"name": "x"}, "materials": "M01"}, 400, "invalid_materials"),
        ({"item_code": FOOD, "applicant": {"name": "x"}, "facts": {"__class__": 1}}, 400, "invalid_fact_name"),
        ({"item_code": 7, "applicant": {"name": "x"}}, 400, "item_code_required"),
    ]
    for body, status, code in cases:
        response = api.post("/api/v1/cases", as_user="window", json=body)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["code"] == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.get_json()["message"])


def test_completion_validation(api):
    case = register(api)
    task_id = case["tasks"][0]["id"]
    url = f"/api/v1/tasks/{task_id}/complete"
    assert api.post(url, as_user="window", json={"decision": "maybe"}).get_json()["code"] == "invalid_decision"
    response = api.post(url, as_user="window", json={"decision": "reject", "opinion": ""})
    assert response.status_code == 400 and response.get_json()["code"] == "opinion_required"
    response = api.post(url, as_user="window", json={"decision": "approve", "data": {"director_signed": True}})
    assert response.status_code == 400 and response.get_json()["code"] == "unknown_field"
    response = api.post(url, as_user="window", json=["approve"])
    assert response.status_code == 400 and response.get_json()["code"] == "body_not_object"
    # nothing changed
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["status"] == "registered" and detail["version"] == case["version"]


def test_acceptance_requires_main_materials(api):
    case = register(api, materials=["M01"])
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="window",
                        json={"decision": "approve"})
    assert response.status_code == 400 and response.get_json()["code"] == "main_materials_missing"
    assert "缺少" in response.get_json()["message"]


def test_roles_and_departments_are_enforced(api):
    case = register(api)
    case = work(api, case, "window", "approve")
    task_id = case["tasks"][0]["id"]
    for user in ("reviewer_health", "leader_market", "window", "auditor", "designer"):
        response = api.post(f"/api/v1/tasks/{task_id}/complete", as_user=user,
                            json={"decision": "approve", "opinion": "x"})
        assert response.status_code == 403, user
        assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user=user).status_code == 403
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="reviewer_health").status_code == 403
    assert api.get("/api/v1/tasks?tab=department", as_user="reviewer_health").get_json()["total"] == 0
    assert api.post("/api/v1/cases", as_user="reviewer_market",
                    json={"item_code": FOOD, "applicant": {"name": "x"}}).status_code == 403
    assert api.get("/api/v1/cases/999999", as_user="window").status_code == 404
    assert api.post("/api/v1/tasks/nope/claim", as_user="window").status_code == 404


def test_claim_is_compare_and_set_and_inbox_follows(api):
    case = register(api)
    case = work(api, case, "window", "approve")
    task_id = case["tasks"][0]["id"]
    dept = api.get("/api/v1/tasks?tab=department", as_user="reviewer2_market").get_json()
    assert dept["total"] == 1 and dept["counts"]["mine"] == 0
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    response = api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer2_market")
    assert response.status_code == 409 and response.get_json()["code"] == "task_claimed_by_other"
    response = api.post(f"/api/v1/tasks/{task_id}/complete", as_user="reviewer2_market",
                        json={"decision": "approve", "opinion": "x"})
    assert response.status_code == 409
    mine = api.get("/api/v1/tasks", as_user="reviewer_market").get_json()
    assert mine["total"] == 1 and mine["items"][0]["case"]["number"] == case["number"]
    assert api.post(f"/api/v1/tasks/{task_id}/release", as_user="reviewer_market").status_code == 200
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer2_market").status_code == 200
    found = api.get(f"/api/v1/tasks?tab=mine&q={case['number']}", as_user="reviewer2_market").get_json()
    assert found["total"] == 1


def test_completing_twice_or_stale_gives_409(api):
    case = register(api)
    task_id = case["tasks"][0]["id"]
    url = f"/api/v1/tasks/{task_id}/complete"
    stale = api.post(url, as_user="window", json={"decision": "approve", "version": case["version"] + 5})
    assert stale.status_code == 409 and stale.get_json()["code"] == "case_version_stale"
    assert api.post(url, as_user="window", json={"decision": "approve"}).status_code == 200
    again = api.post(url, as_user="window", json={"decision": "approve"})
    assert again.status_code == 409 and again.get_json()["code"] == "task_done"


def test_idempotency_key_replays_first_answer(api):
    body = {"item_code": FOOD, "applicant": {"name": "幂等测试"}, "materials": ["M01"]}
    headers = {"Idempotency-Key": "case-42"}
    first = api.post("/api/v1/cases", as_user="window", json=body, headers=headers)
    second = api.post("/api/v1/cases", as_user="window", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["number"] == second.get_json()["number"]
    assert second.headers.get("Idempotent-Replay") == "true"
    other = api.post("/api/v1/cases", as_user="window", json={**body, "materials": []}, headers=headers)
    assert other.status_code == 409 and other.get_json()["code"] == "idempotency_key_reused"


def test_unknown_routes_and_methods_are_json(api):
    response = api.get("/api/v1/nothing-here", as_user="window")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert api.http.put("/api/v1/cases").status_code == 405


def test_no_diagram_is_parsed_on_the_request_path(api, ext, monkeypatch):
    case = register(api)  # first use after deployment fills the cache
    calls = []
    original = type(ext.runtime.definitions)._build
    monkeypatch.setattr(type(ext.runtime.definitions), "_build",
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    case = register(api)
    case = work(api, case, "window", "approve")
    work(api, case, "reviewer_market", "approve")
    assert calls == []


def test_deadline_counts_working_days_from_acceptance(api):
    case = register(api)  # accepted Monday 2026-03-02; 食品经营许可 promises 10 working days
    assert case["time_limit"]["due_date"] is None
    case = work(api, case, "window", "approve")
    limit = case["time_limit"]
    assert limit["accepted_on"] == "2026-03-02" and limit["due_date"] == "2026-03-16"
    assert limit["provisional"] is False
    assert limit["working_days_used"] == 0 and limit["working_days_left"] == 10
    assert case["tasks"][0]["due_at"].startswith("2026-03-16T09:30")  # 17:30 Beijing time
    inbox = api.get("/api/v1/tasks?tab=department", as_user="reviewer_market").get_json()
    assert inbox["items"][0]["due_at"] == case["tasks"][0]["due_at"]


def test_immediate_item_is_due_the_same_working_day(api):
    case = register(api, FOOD_REPLACEMENT)
    assert case["time_limit"]["due_date"] == "2026-03-02"


def test_tab_counts_match_what_each_tab_lists(api):
    first, second = register(api), register(api)
    work(api, first, "window", "approve")
    for query in ("", f"&q={second['number']}", "&q=没有这个申请人"):
        listing = {tab: api.get(f"/api/v1/tasks?tab={tab}{query}", as_user="window").get_json()
                   for tab in ("mine", "department", "done")}
        for tab, body in listing.items():
            assert body["counts"][tab] == body["total"] == len(body["items"]), (tab, query)
            assert body["counts"] == listing["mine"]["counts"]
    done = api.get("/api/v1/tasks?tab=done", as_user="window").get_json()
    assert done["total"] == 1 and done["items"][0]["case"]["number"] == first["number"]
    assert api.get(f"/api/v1/tasks?tab=department&q={second['number']}", as_user="window").get_json()["total"] == 1
