"""Objects made from rows a prepared query read, as an ORM query would have loaded them.

The step's first read (a task, its case and their saved workflow, locked) goes out as one
prepared query (:func:`~app.persistence.engine.prepared.fetch`); loading its rows through the
ORM would cost more Python than the rest of the read. :func:`as_loaded` makes the object the
ORM would have made: every column set, persistent in the session, clean, its identity in the
session's map — SQLAlchemy's documented way to manufacture a loaded object without SQL
(``make_transient_to_detached``, then ``Session.add``). When the session already holds that
row, its own object is brought up to the values read, as a query with ``populate_existing``
does. ``tests/unit/test_row_loads.py`` pins that such an object is, attribute for attribute and
state for state, what the ORM's own load gives, and that its changes are written as usual.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

from app.persistence.engine.base import Base
from app.persistence.engine.row_writes import mapped_columns

Row = TypeVar("Row", bound=Base)


def columns_of(cls: type[Base]) -> tuple[ColumnElement[Any], ...]:
    """The columns of ``cls``'s table in the order :func:`as_loaded` takes their values."""
    return tuple(mapped_columns(inspect(cls)).values())


def as_loaded(session: Session, cls: type[Row], values: Sequence[Any]) -> Row:
    """The ``cls`` object of a row read with :func:`columns_of` (values in that order), as a
    query would have loaded it into ``session``."""
    mapper = inspect(cls)
    columns = mapped_columns(mapper)
    if len(values) != len(columns):
        raise ValueError(f"{cls.__name__}: {len(values)} values for {len(columns)} columns")
    read = dict(zip(columns, values))
    identity = mapper.identity_key_from_primary_key(tuple(read[key] for key in _key(mapper)))
    existing = session.identity_map.get(identity)
    if existing is not None:  # the session's own object, brought up to the row as read
        state = instance_state(existing)
        state.dict.update(read)
        # what a load with populate_existing leaves: these values are the committed ones
        state._commit_all(state.dict, session.identity_map)
        return cast(Row, existing)
    row = mapper.class_manager.new_instance()
    instance_state(row).dict.update(read)  # set as loaded: no attribute events, no history
    make_transient_to_detached(row)
    session.add(row)
    return cast(Row, row)


@lru_cache(maxsize=None)
def _key(mapper: Mapper[Any]) -> tuple[str, ...]:
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
