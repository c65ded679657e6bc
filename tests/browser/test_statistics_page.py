"""效能统计 in the browser: the charts drawn by the local ECharts, a figure opened to its cases,
the Excel report downloaded."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.browser import REPORTS, sign_in
from tests.support.cases import register


def test_the_supervisor_reads_the_charts_opens_a_figure_and_downloads_the_report(page, live_server):
    case = register(live_server.api, "XK-0009")
    sign_in(page, "efficiency")
    page.get_by_role("link", name="效能统计").click()
    expect(page.locator("h1")).to_have_text("效能统计")
    for chart in ("chart-weekly", "chart-gauge", "chart-departments", "chart-limits"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
        expect(page.locator(f"#{chart} svg")).to_have_count(1)
    expect(page.locator("#chart-weekly")).to_contain_text("每周趋势")
    expect(page.locator("#by-department")).to_contain_text("文化和旅游局")
    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / "statistics.png"), full_page=True)

    with page.expect_download() as downloaded:
        page.get_by_role("link", name="导出 Excel 报表").click()
    assert downloaded.value.suggested_filename.endswith(".xlsx")

    page.locator(".stat-card a[data-figure=received]").click()
    page.wait_for_url(re.compile(r"/statistics/cases\?.*figure=received"))
    expect(page.locator("h1")).to_contain_text("收件")
    page.get_by_role("link", name=case["number"]).click()
    expect(page).to_have_url(re.compile(rf"/cases/{case['id']}$"))


def test_a_reviewer_is_kept_to_their_department(page):
    sign_in(page, "reviewer_market")
    page.goto("/statistics")
    expect(page.locator("#stats-heading")).to_contain_text("市场监督管理局")
    expect(page.locator("select[name=department]")).to_be_disabled()
