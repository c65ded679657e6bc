"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) against the
real server (waitress in a thread, on a free port, with its own temporary SQLite database).

They run once, on the SQLite pass: the pages are the same on PostgreSQL, whose behaviour the
rest of the suite covers. ``make install`` installs ``/usr/bin/chromium`` when it is missing.
The modeler's tests deploy new versions of shipped processes: they get a server of their own.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import PASSWORD
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    LiveServer,
    ModelerServer,
    serve_app,
)
from tests.support.database import ON_POSTGRES

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="browser tests run once, on the SQLite pass")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("live"), "live-server") as server:
        yield server


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright for the whole run: the sync API refuses a second one while the first lives,
    so every browser of the browser tests (the pages', the modeler's) launches from this one."""
    if not (Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)) and shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make install` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    # Playwright gives every launch a fresh temporary user-data dir, removed on close
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def modeler_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("modeler"), "modeler-server") as server:
        yield server


@pytest.fixture(scope="module")
def modeler_browser(tmp_path_factory: pytest.TempPathFactory, playwright_driver: Any) -> Iterator[Any]:
    """A browser with its own profile, launched from the run's one Playwright."""
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
