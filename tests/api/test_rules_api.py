"""The inspection rules over HTTP: designers try facts, bad facts get a clear 400."""
from __future__ import annotations

FACTS = {"requires_site_inspection": True, "departments_involved": 3, "parallel_approval": False,
         "risk_level": "low", "technical": False, "bureau_qualified": True}


def test_designer_evaluates_inspection_rules(api):
    response = api.post("/api/v1/rules/inspection/evaluate", as_user="designer", json={"facts": FACTS})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "joint" and body["rule"]["id"] == "R2" and body["rule"]["title"]
    assert body["facts"] == FACTS and body["ruleset_version"]


def test_bad_facts_are_400_in_chinese(api):
    for facts in ([1, 2, 3], {**FACTS, "departments_involved": "9"}, {**FACTS, "risk_level": "高"},
                  {k: v for k, v in FACTS.items() if k != "technical"}, {**FACTS, "technical": "x" * 100_000}):
        response = api.post("/api/v1/rules/inspection/evaluate", as_user="designer", json={"facts": facts})
        assert response.status_code == 400, (facts if not isinstance(facts, dict) else list(facts), response.get_json())
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.get_json()["message"])


def test_only_designers_and_admins_evaluate(api):
    for user in ("window", "reviewer_market", "auditor"):
        response = api.post("/api/v1/rules/inspection/evaluate", as_user=user, json={"facts": FACTS})
        assert response.status_code == 403
