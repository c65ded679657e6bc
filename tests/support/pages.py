"""Server-rendered pages in tests: the CSRF token of a page, signing in through the login form,
a review claimed through the pages, the text of a response, the section cards and the brief of a case or task page."""
from __future__ import annotations

import re
from typing import Any

from tests.support.api import PASSWORD
from tests.support.cases import register, work


def csrf(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def login(client: Any, username: str) -> str:
    """Sign in; returns the session's CSRF token."""
    token = csrf(client, "/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with client.session_transaction() as session:
        return session["csrf"]


def signed_in(app: Any, username: str) -> tuple[Any, str]:
    client = app.test_client()
    return client, login(client, username)


def claimed_review(app: Any, api: Any) -> tuple[dict[str, Any], Any, str]:
    """A case accepted at the window whose review the market reviewer has claimed through the
    pages: the case (its review first among its tasks), the reviewer's client and CSRF token."""
    case = work(api, register(api), "window", "approve")
    client, token = signed_in(app, "reviewer_market")
    assert client.post(f"/tasks/{case['tasks'][0]['id']}/claim", data={"csrf_token": token}).status_code == 302
    return case, client, token


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def section(page: str, name: str) -> str:
    """The HTML of one section card (up to the next card)."""
    start = page.index(f'id="section-{name}"')
    end = page.find('<div class="card', start)
    return page[start:end if end != -1 else None]


def sections_in(page: str) -> list[str]:
    return [name for name in re.findall(r'id="section-([a-z]+)"', page)]


def brief(page: str) -> list[tuple[str, str]]:
    """(tone, text) of each line of the task's brief."""
    block = page.split('id="task-brief"', 1)[1].split("</ul>", 1)[0]
    return [(tone, line.strip()) for tone, line in re.findall(r'<li class="t-([a-z]+)[^"]*">([^<]*)</li>', block)]
