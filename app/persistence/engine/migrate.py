"""Schema migrations (Alembic): upgrade, downgrade, the current revision, new revisions, and
adopting a database that a release made before migrations existed.

Each call opens its own engine and one transaction: an upgrade from any revision to the head
happens wholly or not at all (on SQLite too: the transaction is ``BEGIN IMMEDIATE``, so a second
upgrader waits and then finds nothing to do; on PostgreSQL an advisory lock does the same).
SQLite's foreign keys are off while tables are rebuilt, and checked before the commit.
"""
from __future__ import annotations

import sqlite3
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect, pool, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.domain.errors import OneSealError
from app.persistence.models import Base, UTCDateTime

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
#: the schema of the last release made without migrations (commit 0e509ab)
FIRST_REVISION = "0001"
#: any number; two upgraders of one PostgreSQL database take turns on it
_PG_LOCK_KEY = 0x0AE5EA1
#: tables that are not the application's
_NOT_OURS = {"alembic_version", "sqlite_sequence"}


class SchemaError(OneSealError):
    """The database's schema cannot be brought to this release's as it is."""

    kind = "schema"


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str | None
    #: the database had the tables of the release before migrations and was stamped ``0001``
    adopted: bool = False


#: how long a migration's connection tries to put a new SQLite file into WAL mode
WAL_WAIT_SECONDS = 30.0


def _into_wal(dbapi_connection: Any) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another upgrader holds the file: on a new
    file SQLite answers "database is locked" at once rather than waiting its busy timeout
    (two ``oneseal db upgrade`` started together on an empty file)."""
    deadline = time.monotonic() + WAL_WAIT_SECONDS
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def migration_engine(url: str) -> Engine:
    """An engine for migrations only: no pool; on SQLite, transactions we begin ourselves
    (so DDL is transactional) with foreign keys off (a rebuilt table may be dropped)."""
    if not url.startswith("sqlite"):
        return create_engine(url, poolclass=pool.NullPool)
    engine = create_engine(url, poolclass=pool.NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        _into_wal(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration scripts"
    return head


def configure_context(context: Any, connection: Connection) -> None:
    """What ``env.py`` configures Alembic with. The models' metadata is given only to write a
    new revision: a migration names every constraint itself, and 0001 must leave unnamed what
    its release left unnamed (the metadata's naming convention would name them)."""
    writing = context.config.attributes.get("writing_revision", False)
    context.configure(connection=connection, target_metadata=Base.metadata if writing else None,
                      **comparison_options(), transactional_ddl=True,
                      process_revision_directives=_number_revision if writing else None)


def comparison_options() -> dict[str, Any]:
    return {"render_as_batch": True, "compare_type": True, "render_item": _render_item}


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    # migrations must not import the models: a UTC column is a timezone-aware datetime
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _number_revision(context: Any, revision: Any, directives: list[Any]) -> None:
    """New revisions are numbered after the head (0003, 0004…); an autogenerated one that found
    no difference is not written."""
    script = directives[0]
    if context.config.attributes.get("autogenerate") and script.upgrade_ops.is_empty():
        directives[:] = []
        return
    script.rev_id = f"{int(head_revision()) + 1:04d}"


@contextmanager
def _migrating(url: str) -> Iterator[Connection]:
    engine = migration_engine(url)
    try:
        with engine.begin() as connection, warnings.catch_warnings():
            # a table rebuilt on SQLite loses its indexes on an expression; the migration makes them again
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield connection
            if connection.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise SchemaError("schema_foreign_keys", "迁移后外键不一致，已回滚："
                                      + "、".join(f"{row[0]}#{row[1]}→{row[2]}" for row in broken[:10]))
    except CommandError as err:
        raise SchemaError("schema_command", f"迁移未执行：{err}") from err
    except DBAPIError as err:  # the transaction was rolled back: every migration of this run undone
        raise SchemaError("schema_migration_failed", f"迁移失败，数据库未改变：{str(err.orig).strip()}") from err
    finally:
        engine.dispose()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def stored_revision(session: Session) -> str | None:
    """The revision recorded in the database; None when it has none (no ``alembic_version``)."""
    if not inspect(session.connection()).has_table("alembic_version"):
        return None
    return session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def database_revision(url: str) -> str | None:
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def application_tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - _NOT_OURS


def upgrade(url: str, revision: str = "head") -> UpgradeResult:
    """Bring the database to ``revision``; adopt it first if the release before migrations made it."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with _migrating(url) as connection:
        before = current_revision(connection)
        adopted = False
        if before is None and application_tables(connection):
            _check_adoptable(connection)
            command.stamp(alembic_config(connection), FIRST_REVISION)
            adopted = True
        command.upgrade(alembic_config(connection), revision)
        return UpgradeResult(before, current_revision(connection), adopted)


def downgrade(url: str, revision: str) -> UpgradeResult:
    with _migrating(url) as connection:
        before = current_revision(connection)
        command.downgrade(alembic_config(connection), revision)
        return UpgradeResult(before, current_revision(connection))


def new_revision(url: str, message: str, *, autogenerate: bool) -> Path | None:
    """Write the next migration script; with ``autogenerate``, from the differences between the
    models and the database at ``url`` (which must be at the head). None: nothing differed."""
    with _migrating(url) as connection:
        config = alembic_config(connection)
        config.set_main_option("revision_environment", "true")  # env.py numbers it, even when empty
        config.attributes["writing_revision"] = True
        config.attributes["autogenerate"] = autogenerate
        script = command.revision(config, message=message, autogenerate=autogenerate)
        if isinstance(script, list):
            script = script[0] if script else None
        return Path(script.path) if script is not None else None


def _check_adoptable(connection: Connection) -> None:
    """A database without a revision but with tables: the release before migrations made it
    if its tables and their columns are exactly those migration 0001 creates; else refuse."""
    expected = first_revision_layout()
    found = _layout(connection)
    problems = [f"缺少表 {t}" for t in sorted(set(expected) - set(found))]
    problems += [f"多出表 {t}" for t in sorted(set(found) - set(expected))]
    for table in sorted(set(expected) & set(found)):
        problems += [f"表 {table} 缺少列 {c}" for c in sorted(expected[table] - found[table])]
        problems += [f"表 {table} 多出列 {c}" for c in sorted(found[table] - expected[table])]
    if problems:
        raise SchemaError("schema_unversioned",
                          "数据库没有迁移版本记录，其结构也不是上一发布版（0e509ab，迁移 0001）的结构，"
                          "无法自动接管；请从该发布版的备份恢复后再升级，或换用新的空数据库",
                          problems=problems)


def first_revision_layout() -> dict[str, set[str]]:
    """Tables and their columns as migration 0001 makes them (built in a scratch database)."""
    engine = create_engine("sqlite://", poolclass=pool.StaticPool)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), FIRST_REVISION)
            return _layout(connection)
    finally:
        engine.dispose()


def _layout(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in application_tables(connection)}
