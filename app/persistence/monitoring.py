"""What a metrics scrape reads from the database: counts, never rows."""
from __future__ import annotations

import importlib

from sqlalchemy import Table, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from app.persistence.models import Base, Incident

#: the outbox (deliveries written with the change they announce) and the column that marks a
#: message done; counted only once such a table is part of the models
OUTBOX_TABLES = ("outbox", "outbox_messages")
OUTBOX_DONE_COLUMNS = ("delivered_at", "sent_at", "processed_at", "done_at")


def open_incidents_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(Incident.kind, func.count()).where(Incident.resolved_at.is_(None))
                           .group_by(Incident.kind))
    return {kind: count for kind, count in rows}


def _outbox() -> tuple[Table, str] | None:
    try:  # the outbox's model (app/persistence/outbox.py, with the background jobs), if this release has it
        importlib.import_module("app.persistence.outbox")
    except ModuleNotFoundError:
        pass
    for name in OUTBOX_TABLES:
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        for column in OUTBOX_DONE_COLUMNS:
            if column in table.c:
                return table, column
    return None


def outbox_backlog(session: Session) -> int | None:
    """Messages of the outbox not yet delivered; None when there is no outbox (yet), or the
    database does not have the table (a schema not upgraded)."""
    found = _outbox()
    if found is None:
        return None
    table, done = found
    try:
        with session.begin_nested():
            return session.scalar(select(func.count()).select_from(table).where(table.c[done].is_(None)))
    except (OperationalError, ProgrammingError):
        return None
