"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) against the
real server (waitress in a thread, on a free port, with its own temporary SQLite database).

They run once, on the SQLite pass: the pages are the same on PostgreSQL, whose behaviour the
rest of the suite covers. ``make install`` installs ``/usr/bin/chromium`` when it is missing.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from waitress import create_server

from app import create_app
from app.config import ROOT, Settings
from app.domain.clock import FixedClock
from app.persistence.db import Database
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped
from tests.conftest import ON_POSTGRES, PASSWORD, ApiClient

CHROMIUM = os.environ.get("ONESEAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: screenshots land here (gitignored); the README's copy is docs/inbox.png
REPORTS = ROOT / "reports"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="browser tests run once, on the SQLite pass")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


class LiveServer:
    def __init__(self, app: Any, url: str) -> None:
        self.app, self.url = app, url
        self.ext = app.extensions["oneseal"]
        self.api = ApiClient(app.test_client())


@contextmanager
def serve_app(folder: Path, name: str) -> Iterator[LiveServer]:
    """The real app in a waitress thread on a free port, on its own SQLite database in
    ``folder``, with the shipped diagrams deployed and the demo users."""
    url = f"sqlite:///{folder / 'oneseal.db'}"
    Database(url).create_schema()
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key=f"{name}-secret",
                             password_method="pbkdf2:sha256:1000", demo_password=PASSWORD, testing=True)
    clock = FixedClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), step=timedelta(milliseconds=10))
    app = create_app(settings, clock=clock, warm=False)
    ext = app.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.effective_port}")
    finally:
        server.close()
        thread.join(timeout=5)
        ext.db.dispose()


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


def sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
