"""Shared fixtures: a fresh app and database per test, on SQLite or PostgreSQL.

Set ``ONESEAL_DATABASE_URL=postgresql+psycopg://…`` to run the suite on PostgreSQL: a
dedicated database is created for the run and emptied between tests.
"""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.config import Settings
from app.domain.timing.clock import FixedClock
from app.persistence.engine.db import Database
from app.persistence.models import Base
from app.scenarios.running.recorder import ScenarioRecorder
from tests.support.api import PASSWORD, ApiClient
from tests.support.base_rows import START, STEP, BaseRows, restore, seed, suite_settings
from tests.support.database import BASE_URL, ON_POSTGRES

#: the scenarios' steps (the app's step vocabulary bound to pytest-bdd), for every feature
pytest_plugins = ("tests.steps",)


def pytest_configure(config: pytest.Config) -> None:
    # Records every scenario and the path coverage of the diagrams (printed after the run).
    ScenarioRecorder.installed(config)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    if not ON_POSTGRES:
        yield None
        return
    name = f"oneseal_test_{uuid.uuid4().hex[:8]}"
    admin_url = BASE_URL.rsplit("/", 1)[0] + "/postgres"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = BASE_URL.rsplit("/", 1)[0] + f"/{name}"
    Database(url).create_schema()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None) -> Path | None:
    """On SQLite, a database made once by the migrations, with the base rows; each test gets a copy."""
    if postgres_url is not None:
        return None
    folder = tmp_path_factory.mktemp("schema")
    path = folder / "template.db"
    Database(f"sqlite:///{path}").create_schema()
    return path


@pytest.fixture(scope="session")
def base_rows(tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None,
              sqlite_template: Path | None) -> BaseRows:
    """The shipped diagrams deployed and the demo users, made once for the run (tests/support/base_rows.py)."""
    folder = tmp_path_factory.mktemp("base")
    if sqlite_template is not None:
        return seed(f"sqlite:///{sqlite_template}", folder)
    assert postgres_url is not None
    return seed(postgres_url, folder)


@pytest.fixture
def database_url(tmp_path: Path, postgres_url: str | None, sqlite_template: Path | None,
                 base_rows: BaseRows) -> Iterator[str]:
    if sqlite_template is not None:
        path = tmp_path / "oneseal.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    assert postgres_url is not None
    engine = create_engine(postgres_url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        restore(conn, base_rows)
    engine.dispose()
    yield postgres_url


@pytest.fixture
def clock() -> FixedClock:
    # Monday 09:30 Beijing time; each reading moves one second so events keep their order.
    return FixedClock(START, step=STEP)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return suite_settings(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings, clock: FixedClock, base_rows: BaseRows) -> Iterator[Any]:
    """The app on a database holding the base rows (deployed diagrams, demo users); the clock
    where deploying and loading them would have left it."""
    app = create_app(settings, clock=clock, warm=False)
    clock.set(base_rows.clock_after)
    yield app
    app.extensions["oneseal"].db.dispose()


@pytest.fixture
def ext(app: Any) -> Any:
    return app.extensions["oneseal"]


@pytest.fixture
def api(app: Any) -> ApiClient:
    return ApiClient(app.test_client())
