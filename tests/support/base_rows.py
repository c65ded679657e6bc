"""The rows every test starts from — the shipped diagrams deployed and the demo users — made once
per run instead of once per test: on SQLite they are in the template file each test copies; on
PostgreSQL they are read back once and put back after each test's emptying. The test's clock is
then moved to where deploying and loading would have left it, so every timestamp is as before."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, text

from app import create_app
from app.config import Settings
from app.domain.timing.clock import FixedClock
from app.persistence.models import Base
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped
from tests.support.api import PASSWORD

#: Monday 09:30 Beijing time; each reading moves one second so events keep their order
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
STEP = timedelta(seconds=1)


def suite_settings(database_url: str, folder: Path) -> Settings:
    return Settings.load(database_url=database_url, instance_dir=folder / "instance",
                         reports_dir=folder / "reports", secret_key="test-secret",
                         password_method="pbkdf2:sha256:1000", demo_password=PASSWORD, testing=True)


@dataclass
class BaseRows:
    #: where the clock stood once the rows were made (the next reading a test gets)
    clock_after: datetime
    #: PostgreSQL: every table's rows, in dependency order, to put back after an emptying
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def seed(database_url: str, folder: Path) -> BaseRows:
    """Deploy the shipped diagrams and load the demo users into an empty database, once."""
    clock = FixedClock(START, step=STEP)
    app = create_app(suite_settings(database_url, folder), clock=clock, warm=False)
    ext = app.extensions["oneseal"]
    try:
        with ext.db.unit_of_work() as session:
            deploy_shipped(session, ext.runtime, SYSTEM)
            load_demo(session, ext.runtime, PASSWORD, with_cases=False)
        after = clock.now()
        rows: dict[str, list[dict[str, Any]]] = {}
        if ext.db.dialect == "postgresql":
            with ext.db.write_engine.connect() as conn:
                for table in Base.metadata.sorted_tables:
                    found = [dict(row._mapping) for row in conn.execute(select(table))]
                    if found:
                        rows[table.name] = found
        return BaseRows(after, rows)
    finally:
        ext.db.dispose()


def restore(conn: Connection, base: BaseRows) -> None:
    """Put the base rows back into emptied PostgreSQL tables, and their sequences after them."""
    for table in Base.metadata.sorted_tables:
        found = base.rows.get(table.name)
        if not found:
            continue
        conn.execute(insert(table), found)
        key = [c for c in table.primary_key.columns if c.autoincrement is True or
               (c.autoincrement == "auto" and c.type.python_type is int and len(table.primary_key.columns) == 1)]
        for column in key:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                              f"(SELECT max({column.name}) FROM {table.name}))"))
