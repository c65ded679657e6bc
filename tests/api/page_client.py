"""Helpers for page tests: the CSRF token of a page, signing in through the login form."""
from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD


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


def text(response: Any) -> str:
    return response.get_data(as_text=True)
