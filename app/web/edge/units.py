"""The database session of a request: one unit of work, committed or rolled back as a whole.

A domain error rolls the unit back (and keeps the incident it carries, in a transaction of its
own); a concurrent update becomes a conflict; a busy database a ``database_busy`` answer that
the API retries and the pages show as 503. Nothing is half-written.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
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


class DatabaseBusy(Unavailable):
    """SQLite locked, a PostgreSQL deadlock or serialization failure: a moment to retry."""


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
    except OperationalError as err:
        session.rollback()
        if not is_busy(err):
            raise
        log.warning("database busy: %s", err.orig)
        raise DatabaseBusy("database_busy", "系统繁忙，请稍后重试（未保存任何更改）") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
