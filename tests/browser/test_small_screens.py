"""Small screens: at 1024 and 800 px wide the header, the inbox, the case and task pages, the
search, the audit tables and the modeler's list fit: nothing squeezed to a character per line,
nothing wider than the window but a table scrolling in its own box. A favicon on every page."""
from __future__ import annotations

import pytest

from tests.support.browser import sign_in
from tests.support.cases import register, work

#: finds what is squeezed (narrower than two characters while holding two or more) and how far
#: the page is wider than the window
MEASURE = """() => {
  const squeezed = [];
  for (const el of document.querySelectorAll("th, td, nav a, .who, .who span, h1, h2, label, .badge, .btn, .chip, dt, dd")) {
    const text = (el.innerText || "").trim();
    const rect = el.getBoundingClientRect();
    if (text.length < 2 || rect.width <= 1) continue;  // hidden, or for screen readers only
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (rect.width < size * 1.9) squeezed.push(`${el.tagName}.${el.className}: ${text.slice(0, 12)} (${Math.round(rect.width)}px)`);
  }
  return {squeezed, overflow: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.mark.parametrize("width", [1024, 800])
def test_the_main_pages_fit_small_screens(browser, live_server, width):
    case = work(live_server.api, register(live_server.api, applicant={"name": "窄屏测试便利店有限责任公司"}), "window",
                "approve")
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        found = {}
        for user, paths in (("reviewer_market", ["/", "/?tab=department", f"/tasks/{case['tasks'][0]['id']}",
                                                 f"/cases/{case['id']}", "/cases/search"]),
                            ("auditor", ["/audit/", "/audit/verify", "/modeler/", "/modeler/1"]),
                            ("window", ["/window", "/window?item_code=XK-0001"])):
            context.clear_cookies()
            sign_in(page, user)
            for path in paths:
                page.goto(path)
                measured = page.evaluate(MEASURE)
                if measured["squeezed"] or measured["overflow"] > 1:
                    found[f"{user} {path}"] = measured
                icon = page.evaluate("document.querySelector('link[rel=icon]')?.href || ''")
                assert icon.endswith("favicon.svg"), path
        assert found == {}, found
        assert page.request.get("/assets/favicon.svg").status == 200
    finally:
        context.close()
