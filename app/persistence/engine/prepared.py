"""Statements sent as their SQL text, compiled once: the few a completion sends every time.

A compiled construct executed by SQLAlchemy looks its compiled form up in a cache and builds its
parameters again on every call (some 10 µs a statement, a few per cent of a completion). For a
statement whose shape repeats, :func:`send` compiles it once per set of values and database and
sends the SQL text with the values converted by the columns' own types, for that database: the
connection's events, error translation and transaction are SQLAlchemy's as for any statement.
A statement that would take a value SQLAlchemy supplies itself (a column default, ``onupdate``)
or renames its parameters is sent the usual way. ``tests/unit/test_row_writes.py`` pins that a
row so written holds, column by column, what the ORM would have stored.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, CursorResult, Dialect


@dataclass(frozen=True)
class _Prepared:
    """One statement's SQL for one database, its parameters in the order the SQL takes them
    (by name where the driver's style is named) and each one's conversion by its column type."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    def parameters(self, values: dict[str, Any]) -> Any:
        converted = [value if process is None else process(value)
                     for process, value in zip(self.processors, [values[name] for name in self.names])]
        return tuple(converted) if self.positional else dict(zip(self.names, converted))


def send(connection: Connection, statement: Any, values: dict[str, Any]) -> CursorResult[Any]:
    """Execute ``statement`` (an INSERT or UPDATE construct, built once) with one row of
    ``values``, as ``connection.execute`` would."""
    prepared = _prepared(statement, tuple(values), connection.dialect)
    if prepared is None:
        return connection.execute(statement, values)
    return connection.exec_driver_sql(prepared.sql, prepared.parameters(values))


@lru_cache(maxsize=256)
def _prepared(statement: Any, keys: tuple[str, ...], dialect: Dialect) -> _Prepared | None:
    """``statement`` compiled for ``dialect`` with values for ``keys``; None when it would take
    a value not among them (a default or ``onupdate`` that SQLAlchemy fills in)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    positional = compiled.positiontup is not None
    names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
    if not set(names) <= set(keys) or getattr(compiled, "escaped_bind_names", None):
        return None
    processors = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    return _Prepared(compiled.string, names, processors, positional)
