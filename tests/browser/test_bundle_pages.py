"""A one-thing bundle (一件事) in the browser: found and accepted at the window, its items on the
case page, each item's step in the inbox, and the called processes' diagrams opened from the
case's own."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.browser import REPORTS, sign_in
from tests.support.bundles import BOOK_CAFE, register_bundle
from tests.support.cases import work


def test_window_registers_a_bundle_and_the_case_page_shows_its_items(page):
    sign_in(page, "window")
    page.goto("/window")
    page.fill("#item-search", "药店")  # narrows the list as the clerk types
    expect(page.locator("#search-count")).to_contain_text("找到 1 项")
    expect(page.locator("#item_code option[value=XK-0001]")).to_be_hidden()
    page.press("#item-search", "Enter")  # one match: chosen at once
    page.wait_for_url(re.compile(r"item_code=YJS-0001"))
    expect(page.locator("#bundle-items li")).to_have_count(2)
    checklist = page.locator("#desk-materials")
    expect(checklist.get_by_text("营业执照", exact=True)).to_have_count(1)
    expect(checklist).to_contain_text("用于：药品零售企业许可、食品经营许可")

    page.fill("#applicant_name", "仁和大药房")
    for box in checklist.locator("input[name=materials]").all():
        box.check()
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("#receipt h1")).to_have_text("受理回执")
    expect(page.locator("#receipt-items")).to_contain_text("药品零售企业许可")
    expect(page.locator("#receipt-items")).to_contain_text("食品经营许可")

    page.get_by_role("link", name="查看办件").click()
    items = page.locator("#section-items")
    expect(items).to_contain_text("“一件事”所含事项")
    expect(items.locator("tbody tr")).to_have_count(2)
    expect(items.locator("tr[data-item=XK-0003]")).to_contain_text("分项审查")
    expect(items.locator("tr[data-item=XK-0001]")).to_contain_text("办理中")
    page.locator("#section-items").screenshot(path=str(REPORTS / "bundle-items.png"))

    # the diagram: the items run inside a called process, opened from the call activity
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-state", "ready")
    expect(page.locator(".djs-element.step-active[data-element-id=approve_each_item]")).to_have_count(1)
    expect(page.locator(".step-count")).to_have_text("2")
    page.get_by_role("button", name="查看子流程：各事项并行办理（一件事分项办理）（含当前环节）").click()
    expect(diagram).to_have_attribute("data-process", "bundle_item")
    expect(page.locator(".djs-element.step-active[data-element-id=review_item]")).to_have_count(1)
    expect(page.locator("#diagram-path")).to_contain_text("一件事联办流程 › 各事项并行办理")
    page.locator("#diagram-path a").click()
    expect(diagram).to_have_attribute("data-process", "bundle_approval")


def test_a_reviewer_sees_which_item_of_the_bundle_a_task_is_for(page, live_server):
    case = work(live_server.api, register_bundle(live_server.api, BOOK_CAFE), "window", "approve", "受理")
    sign_in(page, "reviewer_market")
    page.click("[data-tab=department]")
    row = page.locator("tr", has_text=case["number"])
    expect(row.locator(".item-of-case")).to_have_text("分项：小餐饮经营许可")
    row.get_by_role("button", name="签收并办理").click()  # one click: claimed and open
    expect(page.locator("h1")).to_contain_text("分项审查：小餐饮经营许可")
    expect(page.locator("#complete-form")).to_be_visible()
    expect(page.locator("#task-brief")).to_contain_text("本环节办理的事项：小餐饮经营许可（市场监督管理局）")
    expect(page.locator("#section-items tr.focus")).to_contain_text("小餐饮经营许可")
