"""Work to do once a transaction has committed, and only then (counting a completion in the
metrics, say): a rolled-back transaction drops it. Registered on every session factory of
:class:`app.persistence.engine.db.Database`."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

_KEY = "oneseal_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the session's current transaction commits; never if it rolls back."""
    session.info.setdefault(_KEY, []).append(callback)


def _run(session: Session) -> None:
    for callback in session.info.pop(_KEY, ()):
        callback()


def _drop(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction ended without a commit (or after it ran)
        session.info.pop(_KEY, None)


def install(factory: sessionmaker[Any]) -> None:
    event.listen(factory, "after_commit", _run)
    event.listen(factory, "after_transaction_end", _drop)
