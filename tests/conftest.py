"""Shared fixtures: a fresh app and database per test, on SQLite or PostgreSQL.

Set ``ONESEAL_DATABASE_URL=postgresql+psycopg://…`` to run the suite on PostgreSQL: a
dedicated database is created for the run and emptied between tests.
"""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.config import Settings
from app.domain.clock import FixedClock
from app.persistence.db import Database
from app.persistence.models import Base
from app.scenarios.recorder import ScenarioRecorder
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped
from tests.support.api import PASSWORD, ApiClient
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
    """On SQLite, a database made once by the migrations; each test gets a copy of the file."""
    if postgres_url is not None:
        return None
    path = tmp_path_factory.mktemp("schema") / "template.db"
    Database(f"sqlite:///{path}").create_schema()
    return path


@pytest.fixture
def database_url(tmp_path: Path, postgres_url: str | None, sqlite_template: Path | None) -> Iterator[str]:
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
    engine.dispose()
    yield postgres_url


@pytest.fixture
def clock() -> FixedClock:
    # Monday 09:30 Beijing time; each reading moves one second so events keep their order.
    return FixedClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), step=timedelta(seconds=1))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.load(database_url=database_url, instance_dir=tmp_path / "instance",
                         reports_dir=tmp_path / "reports",
                         secret_key="test-secret", password_method="pbkdf2:sha256:1000",
                         demo_password=PASSWORD, testing=True)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Any]:
    app = create_app(settings, clock=clock, warm=False)
    ext = app.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)
    yield app
    ext.db.dispose()


@pytest.fixture
def ext(app: Any) -> Any:
    return app.extensions["oneseal"]


@pytest.fixture
def api(app: Any) -> ApiClient:
    return ApiClient(app.test_client())
