"""The seals the bureau signed with: recorded at first use (public part only), listed for
anyone, and trusted when a signed PDF is checked (so a rotated seal's documents still verify)."""
from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.documents.seal_keys import Seal, SealInfo, SealKeeper
from app.persistence.tables.certificates import SealRecord


class SealView(TypedDict):
    fingerprint: str
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    certificate_pem: str
    chain_pem: str
    source: str
    first_used_at: str | None
    current: bool


def record_seal_use(session: Session, seal: Seal, now: datetime) -> None:
    """The seal's row, written the first time it signs (once per process afterwards: a lookup)."""
    if session.scalar(select(SealRecord.id).where(SealRecord.fingerprint == seal.info.fingerprint)) is not None:
        return
    info = seal.info
    try:
        with session.begin_nested():
            session.add(SealRecord(fingerprint=info.fingerprint, subject=info.subject, issuer=info.issuer,
                                   serial=info.serial, not_before=info.not_before, not_after=info.not_after,
                                   certificate_pem=info.certificate_pem, chain_pem=info.chain_pem,
                                   source=info.source, first_used_at=now))
    except IntegrityError:  # another step recorded it first
        pass


def _view(info: SealInfo, first_used: datetime | None, current: bool) -> SealView:
    return {"fingerprint": info.fingerprint, "subject": info.subject, "issuer": info.issuer, "serial": info.serial,
            "not_before": info.not_before.isoformat(), "not_after": info.not_after.isoformat(),
            "certificate_pem": info.certificate_pem, "chain_pem": info.chain_pem, "source": info.source,
            "first_used_at": first_used.isoformat() if first_used else None, "current": current}


def all_seals(session: Session, keeper: SealKeeper) -> list[SealView]:
    """Every seal ever used (and the current one, used or not), oldest first."""
    current = keeper.current().info.fingerprint if keeper.configured else None
    views: dict[str, SealView] = {}
    for row in session.scalars(select(SealRecord).order_by(SealRecord.first_used_at, SealRecord.id)):
        info = SealInfo(row.fingerprint, row.subject, row.issuer, row.serial, row.not_before, row.not_after,
                        row.certificate_pem, row.chain_pem, row.source)
        views[row.fingerprint] = _view(info, row.first_used_at, row.fingerprint == current)
    for info in keeper.known():
        if info.fingerprint not in views:
            views[info.fingerprint] = _view(info, None, info.fingerprint == current)
    return list(views.values())


def trusted_chains(session: Session, keeper: SealKeeper) -> tuple[list[str], set[str]]:
    """The chains (PEM) to validate against, and the fingerprints of the bureau's seals."""
    seals = all_seals(session, keeper)
    return [s["chain_pem"] for s in seals], {s["fingerprint"] for s in seals}
