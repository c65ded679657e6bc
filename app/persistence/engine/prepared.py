"""Statements sent as their SQL text, compiled once: the few a completion sends every time.

A compiled construct executed by SQLAlchemy looks its compiled form up in a cache and builds its
parameters again on every call (some 10 µs a statement, a few per cent of a completion), and its
execution and result machinery costs more again (over a hundred Python calls for a one-row
read). For a statement whose shape repeats, :func:`send` and :func:`fetch` compile it once per
set of values and database and hand the SQL text, with the values converted by the columns' own
types, to a cursor of the driver connection SQLAlchemy holds, inside the transaction SQLAlchemy
began on it. A driver error is raised as SQLAlchemy raises it (``IntegrityError``,
``OperationalError``… with the driver's error as ``orig``) and a connection the database dropped
is invalidated, as SQLAlchemy does. When something listens to the connection's statements
(``before_cursor_execute`` on the engine: a test counting them), or outside a transaction, the statement goes
through SQLAlchemy's execution instead. A statement that would take a value SQLAlchemy supplies
itself (a column default, ``onupdate``) or renames its parameters is sent the usual way.
``tests/unit/test_row_writes.py`` pins that a row so written holds, column by column, what the
ORM would have stored, and that a read gives what SQLAlchemy's gives.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError


@dataclass(frozen=True)
class _Prepared:
    """One statement's SQL for one database: its parameters in the order the SQL takes them (by
    name where the driver's style is named), each one's conversion by its type, the values the
    statement itself holds (``status = 'ready'``, ``revision + 1``) and, for a query, each
    result column's conversion."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    constants: dict[str, Any]
    #: a query's conversion of each result column; None for a statement that returns no rows
    readers: tuple[Callable[[Any], Any] | None, ...] | None = None

    def parameters(self, values: dict[str, Any]) -> Any:
        given = {**self.constants, **values} if self.constants else values
        converted = [value if process is None else process(value)
                     for process, value in zip(self.processors, [given[name] for name in self.names])]
        return tuple(converted) if self.positional else dict(zip(self.names, converted))


def send(connection: Connection, statement: Any, values: dict[str, Any]) -> int:
    """Execute ``statement`` (an INSERT or UPDATE construct, built once) with one row of
    ``values``, as ``connection.execute`` would; the number of rows it changed."""
    prepared = _prepared(statement, tuple(values), connection.dialect)
    if prepared is None or not _sendable(connection):
        return connection.execute(statement, values).rowcount
    cursor = _execute(connection, prepared.sql, prepared.parameters(values))
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def insert(connection: Connection, statement: Any, values: dict[str, Any]) -> int:
    """Execute ``statement`` (an INSERT of one row into a table with an integer key, built
    once) with ``values``; the new row's key. Straight to the driver where it tells the key
    (SQLite's ``lastrowid``), else as ``connection.execute`` would."""
    prepared = _prepared(statement, tuple(values), connection.dialect)
    if prepared is None or connection.dialect.name != "sqlite" or not _sendable(connection):
        key = connection.execute(statement, values).inserted_primary_key
        if key is None:
            raise RuntimeError("row inserted without a key")
        return int(key[0])
    cursor = _execute(connection, prepared.sql, prepared.parameters(values))
    try:
        return int(cursor.lastrowid)
    finally:
        cursor.close()


def fetch(connection: Connection, statement: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` (a SELECT of columns, built once) with ``values``, each value
    converted by its column's type: what ``connection.execute(...).all()`` gives, as tuples."""
    prepared = _prepared(statement, tuple(values), connection.dialect)
    if prepared is None or prepared.readers is None or not _sendable(connection):
        return [tuple(row) for row in connection.execute(statement, values)]
    readers = prepared.readers
    cursor = _execute(connection, prepared.sql, prepared.parameters(values))
    try:
        return [tuple(value if read is None or value is None else read(value) for read, value in zip(readers, raw))
                for raw in cursor.fetchall()]
    finally:
        cursor.close()


def execute_plain(connection: Connection, sql: str) -> None:
    """``sql`` without parameters or rows (``BEGIN IMMEDIATE``), straight to the driver, its
    errors raised as SQLAlchemy's; for a connection event, where SQLAlchemy's own execution
    would only add its machinery."""
    _execute(connection, sql, ()).close()


def _sendable(connection: Connection) -> bool:
    """Whether a statement may go straight to the driver: inside the transaction SQLAlchemy has
    begun on this connection, with nobody listening to the engine's statements (a listener, such
    as a test counting them, gets them the usual way). The engine's listeners, not the
    connection's joined view of them: that view is built again for every connection, a
    request's worth of Python calls; nothing here listens on a single connection."""
    events = connection.engine.dispatch
    return (connection.in_transaction() and not events.before_cursor_execute
            and not events.after_cursor_execute)


def _execute(connection: Connection, sql: str, parameters: Any) -> Any:
    """``sql`` on a cursor of the connection's driver connection, in its transaction; a driver
    error is raised as SQLAlchemy raises it (``sqlalchemy.exc.OperationalError``…), and a
    connection the database dropped is invalidated, as SQLAlchemy does."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    dialect = connection.dialect
    try:
        cursor.execute(sql, parameters)
    except dialect.loaded_dbapi.Error as err:
        dropped = dialect.is_disconnect(err, dbapi_connection, cursor)
        cursor.close()
        if dropped:
            connection.invalidate(err)
        raise DBAPIError.instance(sql, parameters, err, dialect.loaded_dbapi.Error, dialect=dialect,
                                  connection_invalidated=dropped) from err
    return cursor


@lru_cache(maxsize=256)
def _prepared(statement: Any, keys: tuple[str, ...], dialect: Dialect) -> _Prepared | None:
    """``statement`` compiled for ``dialect`` with values for ``keys``; None when SQLAlchemy
    must take part in sending it: a value it fills in itself (a column default, ``onupdate``),
    a parameter it renames or expands, or a result column it reads specially."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
            or compiled.literal_execute_params or getattr(compiled, "escaped_bind_names", None)):
        return None
    positional = compiled.positiontup is not None
    names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
    constants: dict[str, Any] = {}
    for name in set(names) - set(keys):
        bind = compiled.binds[name]
        if bind.callable is not None or bind.value is None:
            return None
        constants[name] = bind.value
    processors = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    readers = None
    if getattr(statement, "is_select", False):
        readers = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in statement.selected_columns)
    return _Prepared(compiled.string, names, processors, positional, constants, readers)
