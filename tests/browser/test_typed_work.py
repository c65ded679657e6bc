"""Never lose typed work, in the browser: the session runs out while a reviewer writes an opinion;
submitting leads to the login page, and after signing in the opinion is back in the form."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import update

from app.persistence.models import WebSession
from tests.support.api import PASSWORD
from tests.support.browser import sign_in
from tests.support.cases import register, work

OPINION = "经审查，申请材料齐全，经营场所符合要求，同意准予许可。"


def test_an_opinion_typed_when_the_session_ran_out_comes_back_after_signing_in(page, live_server):
    case = work(live_server.api, register(live_server.api, applicant={"name": "晚归面馆"}), "window", "approve")
    task_id = case["tasks"][0]["id"]
    sign_in(page, "reviewer_market")
    page.goto(f"/tasks/{task_id}")
    page.click("#actions button[type=submit]:has-text('签收')")
    page.wait_for_selector("#complete-form")
    page.check("input[name=decision][value=approve]")
    page.fill("#opinion", OPINION)
    with live_server.ext.db.unit_of_work() as session:  # the session idles out on the server
        session.execute(update(WebSession).where(WebSession.ended_at.is_(None))
                        .values(ended_at=WebSession.created_at, end_reason="idle"))
    page.click("#complete-form button[type=submit]:has-text('提交')")
    page.wait_for_url(lambda url: "/login?next=" in url)
    expect(page.locator("main")).to_contain_text("登录已过期")
    page.fill("#username", "reviewer_market")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(f"/tasks/{task_id}?draft=restore"))
    expect(page.locator("#opinion")).to_have_value(OPINION)
    expect(page.locator("input[name=decision][value=approve]")).to_be_checked()
    expect(page.locator(".draft-restored")).to_contain_text("已恢复")
    page.click("#complete-form button[type=submit]:has-text('提交')")
    page.wait_for_load_state()
    detail = live_server.api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["opinions"][-1]["opinion"] == OPINION
    # once it went through, the draft is forgotten: the next visit starts clean
    page.goto(f"/tasks/{task_id}")
    expect(page.locator(".draft-restored")).to_have_count(0)
