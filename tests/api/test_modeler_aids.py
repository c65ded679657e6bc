"""What the modeler's panel asks the server: one expression checked as the designer types it, and
which version of a model is the one in force (当前生效)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.process_models import deploy, model_named, save
from tests.support.model_samples import shipped

CHECK = "/api/v1/process-models/expressions/check"
CJK = re.compile(r"[\u4e00-\u9fff]")


def check(api: Any, expression: Any, user: str = "designer", expect: int = 200) -> dict:
    response = api.post(CHECK, as_user=user, json={"expression": expression})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("expression", ['decision == "approve"', "site_inspection == True",
                                        "len(review_departments) > 2", '"P30D"'])
def test_allowed_expressions_pass(api, expression):
    assert check(api, expression) == {"valid": True, "code": "", "message": ""}


@pytest.mark.parametrize(("expression", "code"), [
    ('__import__("os")', "expression_function_not_allowed"),
    ("decision ==", "expression_syntax"),
    ("   ", "expression_empty"),
])
def test_refused_expressions_say_why_in_chinese(api, expression, code):
    answer = check(api, expression)
    assert answer["valid"] is False and answer["code"] == code
    assert CJK.search(answer["message"]), answer


def test_the_constant_parts_are_held_to_the_limits(api):
    answer = check(api, 'decision == "ab" * 100000000')
    assert answer["valid"] is False and answer["code"] == "expression_limit_exceeded"


def test_bad_requests_are_4xx_in_chinese(api):
    assert check(api, 42, expect=400)["code"] == "expression_missing"
    assert check(api, "a" * 2001, expect=400)["code"] == "expression_too_long"
    response = api.post(CHECK, as_user="designer", json=["decision"])
    assert response.status_code == 400 and CJK.search(response.get_json()["message"])


def test_readers_may_check_and_others_may_not(api):
    assert check(api, "a == 1", user="auditor")["valid"] is True
    assert api.post(CHECK, as_user="window", json={"expression": "a == 1"}).status_code == 403
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths[CHECK]


def active_versions(api: Any, model_id: int) -> list[int]:
    versions = api.get(f"/api/v1/process-models/{model_id}/versions", as_user="designer").get_json()["versions"]
    flagged = [v["version"] for v in versions if v["active"]]
    assert flagged == [v["version"] for v in versions if any(d["active"] for d in v["deployments"])]
    return flagged


def test_the_version_in_force_is_marked_active_and_follows_deployments(api):
    standard = model_named(api, "承诺件标准流程")
    assert active_versions(api, standard["id"]) == [1]
    changed = shipped("standard_promised").replace('name="审查"'.encode(), 'name="初审"'.encode(), 1)
    assert save(api, standard["id"], changed)["version"] == 2
    assert active_versions(api, standard["id"]) == [1]  # saved, not deployed
    deploy(api, standard["id"], 2)
    assert active_versions(api, standard["id"]) == [2]
    deploy(api, standard["id"], 1)  # a rollback: version 1 is in force again
    assert active_versions(api, standard["id"]) == [1]


@pytest.mark.parametrize(("expression", "named"), [
    ("applicant.__class__", "属性访问"), ("2 ** 64", "乘方"), ("[d for d in review_departments]", "列表推导"),
    ("lambda: 1", "匿名函数")])
def test_a_refused_construct_is_named_in_chinese_not_by_python(api, expression, named):
    answer = check(api, expression)
    assert answer["valid"] is False and named in answer["message"]
    assert not re.search(r"[A-Z][a-z]+[A-Z]?[a-z]*", answer["message"].replace("lambda", "")), answer["message"]
