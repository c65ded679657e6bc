"""Fixtures of the modeler's browser tests: the real app served on a free port, Debian's Chromium.

The server is waitress in a thread with its own temporary SQLite database (the shipped
diagrams deployed as models, the demo users). Playwright for Python drives
``/usr/bin/chromium`` (installed by ``make install``; never ``playwright install``) with a fresh
user-data directory per launch.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, LiveServer, serve_app
from tests.conftest import PASSWORD


#: the modeler's tests deploy new versions of shipped processes: they get a server of their own
ModelerServer = LiveServer


@pytest.fixture(scope="module")
def modeler_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("modeler"), "modeler-server") as server:
        yield server


@pytest.fixture(scope="module")
def modeler_browser(tmp_path_factory: pytest.TempPathFactory, playwright_driver: Any) -> Iterator[Any]:
    """A browser with its own profile, launched from the run's one Playwright (conftest)."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, locale="zh-CN",
        viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def designer_page(modeler_server: ModelerServer, modeler_browser: Any) -> Iterator[Any]:
    """A page signed in as the designer; JavaScript errors on it fail the test."""
    page = modeler_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{modeler_server.url}/login?next=/modeler/")
    page.fill("#username", "designer")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/modeler/")
    yield page
    page.close()
    modeler_browser.clear_cookies()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def open_model(page: Any, server: ModelerServer, model_id: int) -> None:
    page.goto(f"{server.url}/modeler/{model_id}")
    page.wait_for_selector("#modeler-app[data-ready=true]")
