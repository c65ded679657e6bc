"""The task page's return-for-supplement form (退回补正 with the one-time notice).

A review step that offers ``return`` shows a notice section: tick the materials to correct and
give a reason for each; the page refuses an empty notice or a ticked material without a reason,
next to the field, before anything reaches the workflow.
"""
from __future__ import annotations

import dataclasses

import pytest

from app.services.actor import SYSTEM
from app.services.processes import deploy
from app.services.task_work import Completion
from tests.api.page_client import signed_in, text
from tests.api.test_cases_api import register, work

OFFERS = 'value="approve:建议准予,reject:建议不予"'


@pytest.fixture
def returnable(ext, api) -> str:
    """A review task of a diagram whose review step also offers 退回补正; claimed by reviewer_market."""
    path = ext.runtime.settings.processes_dir / "standard_promised.bpmn"
    xml = path.read_text(encoding="utf-8")
    if "return:" not in xml:
        assert OFFERS in xml
        xml = xml.replace(OFFERS, 'value="approve:建议准予,reject:建议不予,return:退回补正"')
        with ext.db.unit_of_work() as session:
            deploy(session, ext.runtime, SYSTEM, filename=path.name, content=xml.encode("utf-8"),
                   process_id="standard_promised", comment="测试：审查可退回补正")
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    return task_id


def test_the_notice_section_lists_every_material_of_the_item(app, returnable):
    client, _ = signed_in(app, "reviewer_market")
    page = text(client.get(f"/tasks/{returnable}"))
    assert "data-return" in page and "一次性告知：需要补正的材料" in page
    for code in ("M01", "M02", "M03", "M04", "M05"):
        assert f'name="notice_reason_{code}"' in page


def test_notice_errors_stand_next_to_the_field_and_keep_the_form(app, returnable):
    client, token = signed_in(app, "reviewer_market")
    url = f"/tasks/{returnable}/complete"
    client.post(url, data={"csrf_token": token, "decision": "return", "opinion": "请补正"})
    page = text(client.get(f"/tasks/{returnable}"))
    assert 'id="error-notice"' in page and "退回补正须勾选需要补正的材料" in page
    client.post(url, data={"csrf_token": token, "decision": "return", "opinion": "请补正",
                           "notice_material": ["M01", "M02"], "notice_reason_M01": "缺少签字"})
    page = text(client.get(f"/tasks/{returnable}"))
    assert 'id="error-notice-M02"' in page and "请写明该材料需要补正的原因" in page
    assert 'value="缺少签字"' in page and 'value="M01" checked' in page and 'value="return" checked' in page


def test_a_complete_notice_reaches_the_service(app, api, returnable):
    client, token = signed_in(app, "reviewer_market")
    response = client.post(f"/tasks/{returnable}/complete", data={
        "csrf_token": token, "decision": "return", "opinion": "请补正",
        "notice_material": ["M02"], "notice_reason_M02": "营业执照已过期"})
    assert response.status_code == 302
    if "notice" not in {f.name for f in dataclasses.fields(Completion)}:
        page = text(client.get(f"/tasks/{returnable}"))
        assert "尚不支持退回补正" in page
        return
    detail = api.get("/api/v1/tasks?tab=done", as_user="reviewer_market").get_json()
    assert detail["items"][0]["decision"] == "return"
