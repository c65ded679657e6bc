"""Correct words and states: a joint inspection is called 联合核查 (never 并联审批); a parallel review
keeps 并联审批."""
from __future__ import annotations

from tests.support.inspection import SCHOOL, to_inspection
from tests.support.pages import login, text
from tests.support.time_limits import accepted
from tests.support.inspection_form import inspection_body


def _inspected_jointly(api):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    for task in case["tasks"]:
        response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=f"inspector_{task['department']}",
                            json=inspection_body(case, task, f"inspector_{task['department']}", "合格", "现场符合要求"))
        assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]


def test_a_joint_inspection_is_labelled_joint_inspection_not_parallel_approval(app, api):
    case = _inspected_jointly(api)
    client = app.test_client()
    login(client, "window")
    page = text(client.get(f"/cases/{case['id']}"))
    assert "联合核查 · 3 个部门" in page
    assert "并联审批 · " not in page  # (the rule that chose it may still speak of 并联审批)


def test_a_parallel_review_is_still_parallel_approval(app, api):
    case = accepted(api, "XK-0008")
    for task in case["tasks"]:
        response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=f"reviewer_{task['department']}",
                            json={"decision": "approve", "opinion": "同意"})
        assert response.status_code == 200, response.get_json()
    client = app.test_client()
    login(client, "window")
    assert "并联审批 · 2 个部门" in text(client.get(f"/cases/{case['id']}"))


def test_rule_decisions_name_their_rules_in_chinese_not_by_version_string(app, api, ext):
    case = _inspected_jointly(api)
    [decision] = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["rule_decisions"]
    version = ext.runtime.rules.version_of("inspection")
    assert decision["ruleset_label"] == f"规则“现场核查方式” {version.split('+')[0]} 版"
    client = app.test_client()
    login(client, "window")
    page = text(client.get(f"/cases/{case['id']}"))
    assert decision["ruleset_label"] in page and f"v{version}" not in page
