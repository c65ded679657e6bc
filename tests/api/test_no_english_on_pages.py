"""No machine codes in front of people: the main pages, rendered as each role, show no English
words outside code, numbers and the few names people use as they are (BPMN, Excel, CSV …)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.support.cases import register, work
from tests.support.inspection import SCHOOL, to_inspection
from tests.support.pages import signed_in, text

#: names people use as they are, and the units of figures
ALLOWED = {"BPMN", "Excel", "CSV", "JSON", "PDF", "XML", "OpenAPI", "ID", "API", "JUnit", "HTML", "MIWG", "OMG"}
WORD = re.compile(r"(?<![A-Za-z0-9_.\-/])([A-Za-z][A-Za-z_]{2,})(?![A-Za-z0-9_\-])")


class _Visible(HTMLParser):
    """The text a person reads: no scripts, styles, code, attributes or hidden elements."""

    SKIP = {"script", "style", "code", "pre", "template", "kbd", "samp"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP or ("hidden", None) in attrs:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


URL = re.compile(r"https?://\S+")


def english_words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    return {w for w in WORD.findall(URL.sub(" ", " ".join(parser.parts))) if w not in ALLOWED}


@pytest.fixture
def pages(app, api):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    other = work(api, register(api), "window", "approve")
    return {"case": case, "review": other}


@pytest.mark.parametrize("user", ["window", "reviewer_market", "leader_market", "inspector_health", "auditor",
                                  "admin", "designer"])
def test_the_main_pages_show_no_english_words(app, pages, user):
    client, _ = signed_in(app, user)
    paths = ["/", "/?tab=department", "/?tab=done", "/account/password", "/progress"]
    if user != "designer":
        paths += ["/cases/search", f"/cases/{pages['case']['id']}", f"/cases/{pages['review']['id']}",
                  f"/tasks/{pages['review']['tasks'][0]['id']}"]
    if user in ("window", "admin"):
        paths += ["/window", "/window?item_code=XK-0001", f"/cases/{pages['review']['id']}/receipt"]
    if user in ("designer", "auditor", "admin"):
        paths += ["/modeler/"]
    if user in ("auditor", "admin"):
        paths += ["/audit/", "/audit/verify"]
    found = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 403:  # a case this role may not see: not this test's subject
            continue
        assert response.status_code == 200, (path, response.status_code)
        words = english_words(text(response))
        if words:
            found[path] = sorted(words)
    assert found == {}, repr(found)[:3000]
