"""A database's schema as plain data, to compare two schemas exactly; and scratch databases.

The snapshot holds every table's columns (type as the database spells it, nullability, server
default), primary key, unique constraints and foreign keys with their names, every index (its
SQL on SQLite, whose reflection skips indexes on an expression; its columns and expressions on
PostgreSQL) and the triggers. It imports only SQLAlchemy: ``scripts/make_release_fixture.py``
loads this file into the release it records, so both sides take the same picture.
"""
from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, text

NOT_OURS = {"alembic_version", "sqlite_sequence"}


def _squeeze(sql: str | None) -> str | None:
    return re.sub(r"\s+", " ", sql).strip() if sql else sql


def snapshot(connection: Connection) -> dict[str, Any]:
    with warnings.catch_warnings():  # SQLite's reflection skips indexes on an expression: read below
        warnings.simplefilter("ignore")
        return _snapshot(connection)


def _snapshot(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    dialect = connection.dialect
    tables: dict[str, Any] = {}
    for name in sorted(set(inspector.get_table_names()) - NOT_OURS):
        columns = [{"name": c["name"], "type": c["type"].compile(dialect=dialect), "nullable": c["nullable"],
                    "default": _squeeze(c.get("default"))} for c in inspector.get_columns(name)]
        pk = inspector.get_pk_constraint(name)
        tables[name] = {
            "columns": sorted(columns, key=lambda c: c["name"]),
            "primary_key": {"name": pk.get("name"), "columns": pk["constrained_columns"]},
            "unique": sorted([{"name": u["name"], "columns": u["column_names"]}
                              for u in inspector.get_unique_constraints(name)], key=repr),
            "foreign_keys": sorted([{"name": f["name"], "columns": f["constrained_columns"],
                                     "refers_to": [f["referred_table"], *f["referred_columns"]]}
                                    for f in inspector.get_foreign_keys(name)], key=repr),
            "indexes": _indexes(connection, name),
        }
    return {"dialect": dialect.name, "tables": tables, "triggers": _triggers(connection)}


def _indexes(connection: Connection, table: str) -> list[Any]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                       "AND tbl_name = :t AND sql IS NOT NULL ORDER BY name"), {"t": table})
        return [{"name": r[0], "sql": _squeeze(r[1])} for r in rows]
    return sorted([{"name": i["name"], "unique": bool(i["unique"]),
                    "columns": [c if c is not None else e for c, e in
                                zip(i["column_names"], i.get("expressions") or i["column_names"], strict=True)]}
                   for i in inspect(connection).get_indexes(table) if not i.get("duplicates_constraint")],
                  key=lambda i: i["name"])


def _triggers(connection: Connection) -> list[Any]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
                                       "ORDER BY name"))
        return [{"name": r[0], "table": r[1], "sql": _squeeze(r[2])} for r in rows]
    rows = connection.execute(text(
        "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY t.tgname"))
    return [{"name": r[0], "table": r[1], "sql": r[2]} for r in rows]


def snapshot_of(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return snapshot(connection)
    finally:
        engine.dispose()


@contextmanager
def scratch_database(base_url: str, directory: Path) -> Iterator[str]:
    """An empty database of the suite's kind: a file in ``directory`` on SQLite; on PostgreSQL
    a database of its own (``base_url`` names the server), dropped afterwards."""
    if not base_url.startswith("postgresql"):
        yield f"sqlite:///{directory / f'scratch_{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"oneseal_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
