"""Reading big tables in key order, a batch at a time, with memory that stays flat."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Row, Select
from sqlalchemy.orm import InstrumentedAttribute, Session

#: the first entity a select returns (the key is one of its columns), and the others
First = TypeVar("First")
Others = TypeVarTuple("Others")


def in_batches(session: Session, statement: Select[First, *Others], key: InstrumentedAttribute[Any],
               batch: int) -> Iterator[Row[First, *Others]]:
    """The rows of ``statement`` ordered by ``key`` (a column of the first entity it selects),
    fetched ``batch`` at a time by keyset: each batch starts after the last key seen."""
    last = None
    while True:
        page = statement.order_by(key).limit(batch)
        rows = session.execute(page if last is None else page.where(key > last)).all()
        if not rows:
            return
        yield from rows
        last = getattr(rows[-1][0], key.key)
        session.expunge_all()  # rows already handed out stay usable (detached)
