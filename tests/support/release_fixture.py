"""A release's database from its fixture files (``tests/fixtures/release_N``, made by
``scripts/make_release_fixture.py``): every row put back, value for value, into a database whose
schema is that release's, on SQLite or PostgreSQL."""
from __future__ import annotations

import base64
import json
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, MetaData, create_engine, text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASE_2 = FIXTURES / "release_2"


def cases_of(release: Path) -> list[dict[str, Any]]:
    """The cases as the release left them: label, id, number, status, open steps."""
    cases: list[dict[str, Any]] = json.loads((release / "cases.json").read_text(encoding="utf-8"))
    return cases


def _decode(value: Any, kind: str, dialect: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        moment = datetime.fromisoformat(value).astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect == "sqlite" else moment  # as the release stored it
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def load_release(url: str, release: Path) -> int:
    """Insert the release's rows into the database at ``url`` (its tables made, empty); on
    PostgreSQL the id sequences then continue after the loaded rows. Returns the rows loaded."""
    engine = create_engine(url)
    metadata = MetaData()
    with warnings.catch_warnings():  # SQLite's reflection skips the indexes on an expression: no matter here
        warnings.simplefilter("ignore")
        metadata.reflect(engine)
    loaded = 0
    try:
        with engine.begin() as connection:
            dialect = connection.dialect.name
            for table in metadata.sorted_tables:
                path = release / "tables" / f"{table.name}.json"
                if not path.exists():
                    continue
                data = json.loads(path.read_text(encoding="utf-8"))
                names = [c["name"] for c in data["columns"]]
                assert set(names) == {c.name for c in table.columns}, f"{table.name}: the release's columns differ"
                rows = [{n: _decode(v, c["kind"], dialect) for n, v, c in zip(names, row, data["columns"], strict=True)}
                        for row in data["rows"]]
                if rows:
                    connection.execute(table.insert(), rows)
                loaded += len(rows)
                if dialect == "postgresql":
                    _continue_sequence(connection, table)
    finally:
        engine.dispose()
    return loaded


def _continue_sequence(connection: Any, table: Any) -> None:
    (key, *rest) = list(table.primary_key.columns)
    if rest or not isinstance(key.type, Integer):
        return
    sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                  {"t": table.name, "c": key.name}).scalar()
    if sequence:
        connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{key.name}") FROM "{table.name}"), 0) + 1, '
                                "false)"), {"s": sequence})
