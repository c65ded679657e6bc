"""Certificate numbers: year, item, kind and a sequence per year and item, never reused.

The counter row is moved on with one ``UPDATE … SET last = last + 1`` (a row lock on
PostgreSQL, the database lock on SQLite), so two steps issuing at once get two numbers. The
statement returns the new value itself (``RETURNING``, PostgreSQL and SQLite 3.35+); a database
without it reads the row again under the same lock.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.licences.certificates import DocumentKind, certificate_number
from app.persistence.tables.certificates import CertificateCounter


def next_number(session: Session, year: int, item_code: str, kind: DocumentKind) -> str:
    return certificate_number(year, item_code, kind, _next_sequence(session, year, item_code, kind.value))


def _next_sequence(session: Session, year: int, item_code: str, kind: str) -> int:
    key = (CertificateCounter.year == year, CertificateCounter.item_code == item_code,
           CertificateCounter.kind == kind)
    move = (update(CertificateCounter).where(*key).values(last=CertificateCounter.last + 1)
            .execution_options(synchronize_session=False))
    returning = session.get_bind().dialect.update_returning
    for _attempt in range(3):
        if returning:
            value = session.scalar(move.returning(CertificateCounter.last))
            if value is not None:
                return int(value)
        elif getattr(session.execute(move), "rowcount", 0) == 1:
            value = session.scalar(select(CertificateCounter.last).where(*key))
            assert value is not None
            return int(value)
        try:
            with session.begin_nested():
                session.add(CertificateCounter(year=year, item_code=item_code, kind=kind, last=1))
            return 1
        except IntegrityError:  # another step created the row first: move it on instead
            continue
    raise RuntimeError("certificate counter could not be moved")
