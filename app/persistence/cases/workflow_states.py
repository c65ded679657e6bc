"""Saved workflows: read and written by prepared statements, listed in batches.

A case's workflow is read once and written once per step, always whole; the ORM's identity
map and change tracking add nothing to that, so the hot path uses plain statements. Each save
moves the row's ``revision`` on and is made only at the revision the step read: a step that
ran on a state someone else has replaced since can never overwrite it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.domain.errors import Conflict, NotFound
from app.persistence.engine.batches import in_batches
from app.persistence.engine.prepared import send
from app.persistence.models import WorkflowState

_TABLE = WorkflowState.metadata.tables[WorkflowState.__tablename__]  # the Table (``__table__`` is typed FromClause)
_SELECT = (select(_TABLE.c.state, _TABLE.c.serializer_version, _TABLE.c.next_timer_at, _TABLE.c.revision)
           .where(_TABLE.c.case_id == bindparam("b_case")))
_UPDATE = (_TABLE.update().where(_TABLE.c.case_id == bindparam("b_case"),
                                 _TABLE.c.revision == bindparam("b_revision"))
           .values(revision=_TABLE.c.revision + 1))
_INSERT = _TABLE.insert()


@dataclass(frozen=True)
class StoredState:
    """The serializer's JSON of one case, with the serializer version that wrote it."""

    state: str
    serializer_version: str
    #: when its earliest waiting timer fires
    next_timer_at: datetime | None = None
    #: the row's revision when it was read (see :func:`save_state`)
    revision: int = 0


def load_state(session: Session, case_id: int) -> StoredState:
    row = session.connection().execute(_SELECT, {"b_case": case_id}).first()
    if row is None:
        raise NotFound("workflow_state_missing", "办件的流程状态缺失", case_id=case_id)
    return StoredState(row.state, row.serializer_version, row.next_timer_at, row.revision)


def save_state(session: Session, *, case_id: int, process_version_id: int, state: str,
               serializer_version: str, next_timer_at: datetime | None, now: datetime,
               previous: StoredState | None = None) -> None:
    """Replace the case's saved workflow, or create it when ``previous`` is None (a new case).

    ``previous`` is the row as this step read it: the save is made only at its revision, so a
    step that ran on a superseded state raises :class:`Conflict` and its transaction is rolled
    back. It also spares rewriting the timer column, and its index, when the timer has not moved.
    """
    values: dict[str, Any] = {"state": state, "serializer_version": serializer_version, "updated_at": now,
                              "next_timer_at": next_timer_at}
    connection = session.connection()
    if previous is None:
        send(connection, _INSERT, {"case_id": case_id, "process_version_id": process_version_id,
                                   "revision": 0, **values})
        return
    if previous.next_timer_at == next_timer_at:
        del values["next_timer_at"]
    if send(connection, _UPDATE, {"b_case": case_id, "b_revision": previous.revision, **values}) != 1:
        raise Conflict("case_state_stale", "办件的流程状态已被他人同时更新，请刷新后重试",
                       case_id=case_id, revision=previous.revision)


def iter_workflow_states(session: Session, batch: int = 200) -> Iterator[WorkflowState]:
    """All saved workflows by case id, ``batch`` rows at a time (memory stays bounded)."""
    return (row[0] for row in in_batches(session, select(WorkflowState), WorkflowState.case_id, batch))
