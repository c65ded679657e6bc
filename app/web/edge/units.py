"""The database session of a request: one unit of work, committed or rolled back as a whole.

A domain error rolls the unit back (and keeps the incident it carries, in a transaction of its
own); a concurrent update becomes a conflict; a busy database a ``database_busy`` answer that
the API retries and the pages show as 503; a connection the database dropped (a restart, a
failover, a backend terminated) a 503 ``database_unreachable`` that is not retried here: a
write whose COMMIT was cut off may have landed, and its client retries with its
``Idempotency-Key``. Both tell the client when to retry (``Retry-After``). Nothing is
half-written.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import Conflict, IncidentReport, OneSealError, Unavailable
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.services.stepping.incidents import record_refusal

log = logging.getLogger(__name__)


def ext() -> Any:
    """The application's database and runtime (``app.Extension``)."""
    return current_app.extensions["oneseal"]


#: seconds a client is told to wait before trying again when the database is busy or unreachable
RETRY_AFTER_SECONDS = 1


class DatabaseBusy(Unavailable):
    """SQLite locked, a PostgreSQL deadlock or serialization failure: a moment to retry."""


class DatabaseUnreachable(Unavailable):
    """The connection to the database was lost during the request (SQLAlchemy invalidated it:
    the pool opens a new one for the next request)."""


def database_unreachable() -> DatabaseUnreachable:
    return DatabaseUnreachable("database_unreachable", "与数据库的连接中断，请稍后重试（提交类操作请先刷新，确认是否已保存）",
                               retry_after=RETRY_AFTER_SECONDS)


@dataclass
class Call:
    """What a handler receives: its session, the runtime and who is asking (None on public routes)."""

    session: Session
    runtime: Runtime
    actor: Actor

    def writing(self) -> Any:
        """A write unit of its own, for a page whose form changes something (see :func:`unit`)."""
        return unit(write=True)


def is_busy(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "could not serialize" in text


def record_incident(report: IncidentReport) -> None:
    """Keep the incident of a rolled-back step, in a transaction of its own."""
    try:
        with ext().db.unit_of_work() as session:
            record_refusal(session, report, ext().runtime.clock.now())
    except Exception:  # the client still gets the step's own error; the log keeps this one
        log.exception("could not record the incident: %s", report.message)


@contextmanager
def unit(write: bool) -> Iterator[Session]:
    """A session for the block: a write unit commits at its end, a read unit just closes.

    Errors leave as domain errors, after the rollback: :class:`Conflict` for an update that
    lost a race, :class:`DatabaseBusy` for a busy database.
    """
    session: Session = ext().db.session(write=write)
    try:
        yield session
        if write:
            session.commit()
        # a read unit just closes: close() ends the transaction without expiring loaded rows
    except OneSealError as err:
        session.rollback()
        if err.incident is not None:
            record_incident(err.incident)
            err.incident = None  # kept once, however many units it leaves
        raise
    except StaleDataError:
        session.rollback()
        raise Conflict("case_version_stale", "办件已被他人同时更新，请刷新后重试") from None
    except IntegrityError as err:
        session.rollback()
        log.info("integrity conflict: %s", err.orig)
        raise Conflict("conflict", "数据已被他人同时修改，请刷新后重试") from None
    except DBAPIError as err:
        _roll_back(session)
        if err.connection_invalidated:
            log.warning("database connection lost: %s", err.orig)
            raise database_unreachable() from None
        if not isinstance(err, OperationalError) or not is_busy(err):
            raise
        log.warning("database busy: %s", err.orig)
        raise DatabaseBusy("database_busy", "系统繁忙，请稍后重试（未保存任何更改）",
                           retry_after=RETRY_AFTER_SECONDS) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        _close(session)


def _roll_back(session: Session) -> None:
    """Roll the unit back after a database error; a connection already lost has nothing to roll back."""
    try:
        session.rollback()
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise


def _close(session: Session) -> None:
    """Close the unit: its connection back to the pool after a ROLLBACK that ends any transaction
    left open (a read unit's). A connection the database dropped meanwhile fails that ROLLBACK and
    is discarded; what the unit did (a read answered, a write committed) stands."""
    try:
        session.close()
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
        log.warning("database connection lost as the unit closed: %s", err.orig)
