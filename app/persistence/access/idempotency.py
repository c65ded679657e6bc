"""Answers kept for requests sent with an ``Idempotency-Key``, and the lock that makes a retry
wait for the first request's answer instead of running beside it."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.persistence.models import IdempotencyRecord

#: the first of the two advisory-lock keys: the class of locks held for idempotency keys (the
#: audit chain's single-key lock lives in another key space)
_LOCK_CLASS = 7422002
_LOCK_NOT_AVAILABLE = "55P03"


def _lock_key(actor: str, key: str) -> int:
    digest = hashlib.sha256(f"{actor}\0{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def hold_key(session: Session, actor: str, key: str, wait_seconds: float) -> bool:
    """Take the key for this transaction (released at commit or rollback). While another request
    with the same key runs, wait for it up to ``wait_seconds``; False when it is still running.

    On PostgreSQL this is an advisory lock per (actor, key). On SQLite every write transaction
    already holds the database's write lock (``BEGIN IMMEDIATE``), so the retry is queued there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    lock = _lock_key(actor, key)
    if session.scalar(text(f"SELECT pg_try_advisory_xact_lock({_LOCK_CLASS}, {lock})")):
        return True
    try:
        session.execute(text(f"SET LOCAL lock_timeout = '{max(1, int(wait_seconds * 1000))}ms'"))
        session.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, {lock})"))
        session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    except OperationalError as err:
        if getattr(err.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return False  # the transaction is aborted: the caller rolls back
        raise
    return True


def find_answer(session: Session, actor: str, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.actor == actor,
                                                          IdempotencyRecord.key == key))


def store_answer(session: Session, actor: str, key: str, request_hash: str, status: int, body: str,
                 now: datetime) -> None:
    session.add(IdempotencyRecord(actor=actor, key=key, request_hash=request_hash, status_code=status,
                                  body=body, created_at=now))
