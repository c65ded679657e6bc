"""The public progress page's failure limit (10 failures per client per 15 minutes) holds across
processes (it is kept in the database) and knows the client behind a trusted proxy, while a
client's own X-Forwarded-For never lets it slip through."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app import create_app
from tests.support.pages import csrf, text

CLIENT, PROXY = "203.0.113.5", "10.0.0.1"


def attempt(app: Any, remote: str, forwarded: str | None = None, *, number: str = "2026-999999") -> int:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = {"REMOTE_ADDR": remote}
    token = csrf(client, "/progress")
    response = client.post("/progress", data={"csrf_token": token, "number": number, "code": "ABCDEF"},
                           headers=headers, environ_base=environ)
    if response.status_code == 429:
        assert "查询失败次数过多" in text(response)
    return response.status_code


def sibling(app: Any, settings: Any, clock: Any, **changes: Any) -> Any:
    """Another process of the same deployment: its own app on the same database."""
    return create_app(replace(settings, **changes), clock=clock, warm=False)


def test_two_processes_share_the_limit(app, settings, clock):
    other = sibling(app, settings, clock)
    for n in range(10):
        assert attempt(app if n % 2 else other, CLIENT) == 404
    assert attempt(app, CLIENT) == 429 and attempt(other, CLIENT) == 429
    assert attempt(other, "198.51.100.7") == 404  # another client is not held back
    clock.advance(minutes=15, seconds=1)
    assert attempt(app, CLIENT) == 404  # the window has passed


def test_a_forwarded_for_header_from_an_untrusted_client_is_ignored(app, settings, clock):
    behind_proxy = sibling(app, settings, clock, trusted_proxies=PROXY)
    for n in range(10):  # a new made-up address every time, straight and next to a trusted proxy
        assert attempt(app if n % 2 else behind_proxy, CLIENT, f"192.0.2.{n}") == 404
    assert attempt(app, CLIENT, "192.0.2.200") == 429
    assert attempt(behind_proxy, CLIENT, "192.0.2.201") == 429


@pytest.mark.parametrize("trusted", ["1", PROXY, "10.0.0.0/8"])
def test_behind_a_trusted_proxy_each_forwarded_client_is_limited_on_its_own(app, settings, clock, trusted):
    proxied = sibling(app, settings, clock, trusted_proxies=trusted)
    for n in range(10):  # the client also sends its own made-up header; the proxy appends the truth
        assert attempt(proxied, PROXY, f"192.0.2.{n}, {CLIENT}") == 404
    assert attempt(proxied, PROXY, f"192.0.2.99, {CLIENT}") == 429
    assert attempt(proxied, PROXY, "198.51.100.7") == 404  # another client through the same proxy
    assert attempt(proxied, PROXY, f"{CLIENT}, 198.51.100.8") == 404


def test_a_bad_trusted_proxies_setting_stops_start_up(settings, clock):
    from app.domain.errors import OneSealError

    with pytest.raises(OneSealError) as caught:
        create_app(replace(settings, trusted_proxies="not-an-address"), clock=clock, warm=False)
    assert "ONESEAL_TRUSTED_PROXIES" in str(caught.value)
