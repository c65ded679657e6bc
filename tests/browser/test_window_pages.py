"""The window desk and the applicant in the browser: register and accept, the one-time notice,
the receipt's query code, and the public progress page."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.browser import sign_in


def choose_item(page, code: str) -> None:
    page.goto("/window")
    page.select_option("#item_code", code)  # the select submits itself
    page.wait_for_url(re.compile(rf"item_code={code}"))


def test_window_registers_accepts_and_the_applicant_checks_progress(page):
    sign_in(page, "window")
    page.get_by_role("link", name="窗口受理").click()
    choose_item(page, "XK-0001")
    page.fill("#applicant_name", "城东便利店")
    page.fill("#applicant_contact", "0910-7654321")
    for code in ("M01", "M02"):  # M03, a main material, is still missing
        page.locator(f"input[name=materials][value={code}]").check()
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("#error-materials")).to_contain_text("主要材料不齐，不能受理")
    expect(page.locator("input[name=materials][value=M02]")).to_be_checked()
    page.locator("input[name=materials][value=M03]").check()
    page.get_by_role("button", name="受理", exact=True).click()

    expect(page.locator("#receipt h1")).to_have_text("受理回执")
    expect(page.locator("#receipt")).to_contain_text("容缺后补材料")
    number = re.search(r"\d{4}-\d{6}", page.locator("#receipt .doc-no").inner_text()).group(0)
    code = page.locator("#query-code").inner_text()

    page.get_by_role("button", name="退出登录").click()
    page.goto("/progress")
    page.fill("#number", number)
    page.fill("#code", "FFFFFF" if code != "FFFFFF" else "EEEEEE")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".alert")).to_contain_text("办件编号或查询码不正确")
    page.fill("#number", number)
    page.fill("#code", code.lower())
    page.get_by_role("button", name="查询").click()
    result = page.locator("#progress-result")
    expect(result).to_contain_text("审查中")
    expect(result.locator("li.current")).to_have_text("受理审查")
    expect(result).to_contain_text("2026年3月16日")
    for private in ("城东便利店", "0910-7654321", "王窗口"):
        expect(result).not_to_contain_text(private)


def test_window_gives_the_one_time_notice_of_everything_missing(page):
    sign_in(page, "window")
    choose_item(page, "XK-0001")
    page.fill("#applicant_name", "西街烧烤店")
    page.locator("input[name=materials][value=M01]").check()
    page.get_by_role("button", name="出具一次性告知书").click()
    notice = page.locator("#notice")
    expect(notice.locator("h1")).to_have_text("一次性告知书")
    expect(notice).to_contain_text("西街烧烤店")
    expect(notice.locator("tbody tr")).to_have_count(4)
    expect(page.get_by_role("button", name="打印告知书")).to_be_visible()


def test_one_tick_receives_every_material_and_typing_an_items_name_chooses_it(page):
    sign_in(page, "window")
    page.goto("/window")
    page.fill("#item-search", "食品经营许可")
    page.locator("#item-search").press("Enter")
    page.wait_for_url(re.compile(r"q="))
    expect(page.locator("#item_code")).to_have_value("XK-0001")  # the item, not its 补办 or a bundle
    page.check("#all-received")
    boxes = page.locator("input[name=materials]")
    assert boxes.count() >= 3 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    boxes.nth(0).uncheck()
    expect(page.locator("#all-received")).not_to_be_checked()
