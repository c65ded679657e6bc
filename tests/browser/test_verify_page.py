"""The public verification page on a phone: the QR code's link shows the licence and its
status in large type; a wrong code is refused; a cancelled licence says so, and since when."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support.certificates import APPROVE_CHANGE, apply, issued, through


def test_a_phone_opens_the_qr_link_and_checks_a_number_by_hand(browser, live_server):
    _, licence = issued(live_server.api)
    _, other = issued(live_server.api, {"name": "李四超市"})
    through(live_server.api, apply(live_server.api, other["number"], "cancellation"), APPROVE_CHANGE)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(f"/verify?number={licence['number']}&code={licence['check_code']}")
        status = page.locator(".verify-status")
        expect(status).to_have_text("✔ 有效")
        assert float(status.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
        expect(page.locator("#verify-result")).to_contain_text("张三餐饮店")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

        page.fill("#number", other["number"])
        page.fill("#code", "AAAAAAAA")
        page.get_by_role("button", name="核验").click()
        expect(page.locator(".alert")).to_contain_text("证照编号或核验码不正确")
        page.fill("#number", other["number"])
        page.fill("#code", other["check_code"].lower())
        page.get_by_role("button", name="核验").click()
        expect(page.locator(".verify-status")).to_have_text("✖ 已注销")
        expect(page.locator(".verify-since")).to_contain_text("本证照已于 2026-03-02 注销，不再有效")
        expect(page.locator("#verify-result")).to_contain_text("李四超市")
    finally:
        context.close()
    assert errors == []
