"""The browser tests' building blocks: Debian's Chromium and its flags, the real app served by
waitress in a thread on a free port with its own SQLite database, signing in on a page."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from waitress import create_server

from app import create_app
from app.config import ROOT, Settings
from app.domain.timing.clock import FixedClock
from app.persistence.engine.db import Database
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped
from tests.support.api import PASSWORD, ApiClient

CHROMIUM = os.environ.get("ONESEAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: screenshots land here (gitignored); the README's copy is docs/inbox.png
REPORTS = ROOT / "reports"


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


#: the modeler's tests deploy new versions of shipped processes: they get a server of their own
ModelerServer = LiveServer


def sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def open_model(page: Any, server: ModelerServer, model_id: int) -> None:
    page.goto(f"{server.url}/modeler/{model_id}")
    page.wait_for_selector("#modeler-app[data-ready=true]")
