"""Write a few known rows with prepared statements instead of the unit of work's flush.

A task completion changes the same rows every time: the case (versioned), the task done, the
tasks that became ready. The ORM's flush works out that plan again for every completion and
costs more than the SQL it sends. :func:`write_rows` sends one prepared INSERT or UPDATE per
row and leaves each object as a flush would have: persistent, clean, its version moved on.

The semantics are the flush's own: only changed columns are written, a versioned row is
updated only at the version it was read at (else :class:`StaleDataError`, a 409 at the edge),
and a change made to an object after this is flushed by the ORM as usual.

Each statement goes out prepared (:func:`~app.persistence.engine.prepared.send`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, inspect
from sqlalchemy.orm import InstanceState, Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.exc import StaleDataError

from app.persistence.engine.base import Base
from app.persistence.engine.prepared import send

Row = TypeVar("Row", bound=Base)


@contextmanager
def written_once(session: Session, *rows: Base) -> Iterator[None]:
    """Change ``rows`` (and anything else) inside the block; each row is then written once.

    Nothing is flushed while the block runs, however many times its rows change; at the end
    each of ``rows`` is written by one prepared statement (a versioned row only at the version
    it was read at, else :class:`StaleDataError`), then the rest of what the block changed is
    flushed by the session as usual.
    """
    with session.no_autoflush:
        yield
    write_rows(session, *rows)
    session.flush()


def new_row(cls: type[Row], **values: Any) -> Row:
    """A new ``cls`` object holding ``values``, for :func:`write_rows` to insert: what
    ``cls(**values)`` makes, without the attribute events a constructor fires for each value (a
    new row has no history to keep; a change made to it afterwards is tracked as usual)."""
    mapper = inspect(cls)
    columns = mapped_columns(mapper)
    unknown = [key for key in values if key not in columns]
    if unknown:
        raise TypeError(f"{cls.__name__} has no column {', '.join(unknown)}")
    row = mapper.class_manager.new_instance()
    instance_state(row).dict.update(values)
    return cast(Row, row)


def write_rows(session: Session, *rows: Base) -> None:
    """INSERT the new rows and UPDATE the changed ones among ``rows``, in that order.

    A new row is one not yet in the session (transient) with its key set; afterwards it is in
    the session as if loaded. A changed row is a persistent one with attributes set since it
    was read; afterwards it is clean. Other rows are left alone.
    """
    states = [inspect(row) for row in rows]
    for state in states:
        if state.transient:
            _insert(session, state)
    for state in states:
        if state.persistent and state.modified:
            _update(session, state)


def _insert(session: Session, state: InstanceState[Any]) -> None:
    mapper = state.mapper
    table = _table(mapper)
    values = {column.key: state.dict[key] for key, column in mapped_columns(mapper).items() if key in state.dict}
    if any(values.get(column.key) is None for column in table.primary_key):
        raise ValueError(f"{mapper.class_.__name__}: write_rows inserts rows with their key set")
    send(session.connection(), _insert_statement(mapper), values)
    row = state.obj()
    make_transient_to_detached(row)  # as if just loaded: persistent once added, with no history
    session.add(row)


def _update(session: Session, state: InstanceState[Any]) -> None:
    mapper = state.mapper
    row = state.obj()
    columns = mapped_columns(mapper)
    # the attributes set since the row was read to a value other than the one read (committed_state
    # holds the values read): what the ORM's history calls "added", decided by the same comparison
    # of each column's type (a value set again unchanged is not written)
    same, values = _comparisons(mapper), state.dict
    params = {columns[key].key: values[key] for key, read in state.committed_state.items()
              if key in columns and key in values and same[key](values[key], read) is not True}
    if params:
        for column in _table(mapper).primary_key:
            params[f"b_{column.key}"] = getattr(row, mapper.get_property_by_column(column).key)
        version_key = _version_key(mapper)
        if version_key is not None:  # written only at the version it was read at, moved on by one
            read_at = getattr(row, version_key)
            params["b_version"], params[columns[version_key].key] = read_at, read_at + 1
        statement = _update_statement(mapper, version_key is not None)
        if send(session.connection(), statement, params) != 1:
            raise StaleDataError(f"{mapper.class_.__name__} {state.key} 已被他人更新或删除")
        if version_key is not None:
            state.dict[version_key] = read_at + 1
    # What the flush does once it has written a row: its values are now the committed ones and
    # it leaves the session's dirty list. SQLAlchemy has no public call for this one step: the
    # public set_committed_value() clears an attribute's history but leaves the row in the
    # dirty list, so the next flush would plan it again (both pinned by tests/unit/test_row_writes.py).
    state._commit_all(state.dict, session.identity_map)


@lru_cache(maxsize=None)
def _comparisons(mapper: Mapper[Any]) -> dict[str, Any]:
    """Attribute name → its column type's comparison (``TypeEngine.compare_values``), the one the
    ORM's attribute history uses."""
    return {key: column.type.compare_values for key, column in mapped_columns(mapper).items()}


@lru_cache(maxsize=None)
def mapped_columns(mapper: Mapper[Any]) -> dict[str, Any]:
    """Attribute name → column, for each mapped column of the mapper's one table, in the
    mapper's order (the order :mod:`app.persistence.engine.row_loads` reads them in)."""
    _table(mapper)  # one table: the rows written and read here are plain rows
    return {prop.key: prop.columns[0] for prop in mapper.column_attrs}


def _table(mapper: Mapper[Any]) -> Table:
    table = mapper.local_table
    assert isinstance(table, Table) and mapper.tables == [table], mapper
    return table


@lru_cache(maxsize=None)
def _version_key(mapper: Mapper[Any]) -> str | None:
    column = mapper.version_id_col
    return None if column is None else mapper.get_property_by_column(column).key


@lru_cache(maxsize=None)
def _insert_statement(mapper: Mapper[Any]) -> Any:
    return _table(mapper).insert()


@lru_cache(maxsize=None)
def _update_statement(mapper: Mapper[Any], versioned: bool) -> Any:
    table = _table(mapper)
    condition = and_(*(column == bindparam(f"b_{column.key}") for column in table.primary_key))
    if versioned and mapper.version_id_col is not None:
        condition = and_(condition, mapper.version_id_col == bindparam("b_version"))
    return table.update().where(condition)
