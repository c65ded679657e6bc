"""Fixtures of the modeler's browser tests: the real app served on a free port, Debian's Chromium.

The server is waitress in a thread with its own temporary SQLite database (the shipped
diagrams deployed as models, the demo users). Playwright for Python drives
``/usr/bin/chromium`` (installed by ``make install``; never ``playwright install``) with a fresh
user-data directory per launch.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from waitress import create_server

from app import create_app
from app.config import Settings
from app.domain.clock import FixedClock
from app.persistence.db import Database
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes import deploy_shipped
from tests.conftest import PASSWORD, ApiClient

CHROMIUM = os.environ.get("ONESEAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class ModelerServer:
    url: str
    api: ApiClient


@pytest.fixture(scope="module")
def modeler_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelerServer]:
    folder = tmp_path_factory.mktemp("modeler")
    url = f"sqlite:///{folder / 'oneseal.db'}"
    Database(url).create_schema()
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key="modeler-browser",
                             password_method="pbkdf2:sha256:1000", demo_password=PASSWORD, testing=True)
    app = create_app(settings, clock=FixedClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), timedelta(milliseconds=10)),
                     warm=False)
    ext = app.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="modeler-server", daemon=True)
    thread.start()
    yield ModelerServer(f"http://127.0.0.1:{server.effective_port}", ApiClient(app.test_client()))
    server.close()
    thread.join(timeout=5)
    ext.db.dispose()


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
