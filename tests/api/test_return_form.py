"""The task page's forms for return for supplement (退回补正 with the one-time notice) and for the
window's 补正材料 step: every material offered, errors next to the field, what was entered kept."""
from __future__ import annotations

import pytest

from tests.support.cases import register, work
from tests.support.pages import signed_in, text


@pytest.fixture
def returnable(api) -> str:
    """A review task (its step offers 退回补正) claimed by reviewer_market."""
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    return task_id


def test_the_notice_section_lists_every_material_of_the_item(app, returnable):
    client, _ = signed_in(app, "reviewer_market")
    page = text(client.get(f"/tasks/{returnable}"))
    assert 'value="return"' in page and "data-return" in page and "一次性告知：需要补正的材料" in page
    for code in ("M01", "M02", "M03", "M04", "M05"):
        assert f'name="notice_reason_{code}"' in page


def test_notice_errors_stand_next_to_the_field_and_keep_the_form(app, returnable):
    client, token = signed_in(app, "reviewer_market")
    url = f"/tasks/{returnable}/complete"
    response = client.post(url, data={"csrf_token": token, "decision": "return", "opinion": "请补正"})
    page = text(response)
    assert response.status_code == 400
    assert 'id="error-notice"' in page and "退回补正须出具一次性告知" in page
    page = text(client.post(url, data={"csrf_token": token, "decision": "return", "opinion": "请补正",
                                       "notice_material": ["M01", "M02"], "notice_reason_M01": "缺少签字"}))
    assert 'id="error-notice-M02"' in page and "需补正的理由" in page
    assert 'value="缺少签字"' in page and 'value="M01" checked' in page and 'value="return" checked' in page


def test_return_then_resubmit_at_the_window(app, api, returnable):
    client, token = signed_in(app, "reviewer_market")
    response = client.post(f"/tasks/{returnable}/complete", data={
        "csrf_token": token, "decision": "return", "opinion": "请补正",
        "notice_material": ["M02"], "notice_reason_M02": "营业执照已过期"})
    assert response.status_code == 302
    done = api.get("/api/v1/tasks?tab=done", as_user="reviewer_market").get_json()
    case_id = done["items"][0]["case"]["id"]
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["status"] == "awaiting_supplement"
    assert detail["notices"][0]["items"] == [{"material": "M02", "name": "营业执照或其他主体资格证明文件",
                                              "reason": "营业执照已过期"}]
    window, window_token = signed_in(app, "window")
    step = detail["tasks"][0]["id"]
    window.post(f"/tasks/{step}/claim", data={"csrf_token": window_token})
    page = text(window.get(f"/tasks/{step}"))
    assert "申请人补交的材料" in page and "告知补正：</span>营业执照已过期" in page
    page = text(window.post(f"/tasks/{step}/complete", data={"csrf_token": window_token,
                                                             "supplement_material": ["M01"]}))
    assert 'id="error-materials"' in page and "还缺营业执照" in page
    assert 'name="supplement_material" value="M01"\n        checked' in page
    response = window.post(f"/tasks/{step}/complete", data={"csrf_token": window_token,
                                                            "supplement_material": ["M02"]})
    assert response.status_code == 302
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["status"] == "in_review"
    case_page = text(window.get(f"/cases/{case_id}"))
    assert "一次性告知" in case_page and "营业执照已过期" in case_page and "恢复计时" in case_page
