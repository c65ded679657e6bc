"""Tables of the certificate registry (电子证照库): the certificates and refusal letters the
bureau issued under its seal, their history, the counters behind their numbers, the seals ever
used (public part only: keys are never stored), and the applications about a licence
(变更, 延续, 注销) that a case decides."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class Certificate(Base):
    """A signed document in the registry: a licence (证照) or a refusal letter (不予许可决定书).
    ``status`` moves only through :mod:`app.services.certificates.status`."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``2026-XK-0001-Z00001``: year, item, Z (licence) or N (refusal), sequence
    number: Mapped[str] = mapped_column(String(48), unique=True)
    check_code: Mapped[str] = mapped_column(String(16))
    #: ``certificate`` | ``refusal``
    kind: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(32))
    item_name: Mapped[str] = mapped_column(String(200))
    #: 证照类型 (食品经营许可证) or 不予行政许可决定书
    type_name: Mapped[str] = mapped_column(String(200))
    holder: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text, default="")
    #: what is printed: [{"label": …, "value": …}] (a refusal: its reasons under ``reason``)
    fields: Mapped[list[Any]]
    issued_at: Mapped[datetime]
    issued_on: Mapped[date]
    valid_until: Mapped[date | None]
    issued_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    status_since: Mapped[datetime]
    #: the certificate this one replaced (变更, 延续)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    #: SHA-256 of the signing certificate of the seal that signed it
    seal_fingerprint: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    #: 出件: when and how it was delivered
    delivered_at: Mapped[datetime | None]
    delivery: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_certificates_status_valid_until", "status", "valid_until"),
        Index("ix_certificates_holder", "holder"),
        Index("ix_certificates_item_issued", "item_code", "issued_at"),
        Index("ix_certificates_issued", "issued_at"),
    )


class CertificateEvent(Base):
    """One step of a certificate's life: issued, delivered, superseded, revoked, cancelled,
    expired … with the case that decided it (the audit trail has the same, hash-chained)."""

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    status_before: Mapped[str | None] = mapped_column(String(16))
    status_after: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")


class CertificateCounter(Base):
    """The last sequence number given per year, item and kind of document."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class SealRecord(Base):
    """A seal that signed at least one document: its certificate and chain, never its key."""

    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    certificate_pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str] = mapped_column(Text)
    #: ``demo`` | ``pkcs12``
    source: Mapped[str] = mapped_column(String(16))
    first_used_at: Mapped[datetime]


class LicenceApplication(Base):
    """What a 变更 / 延续 / 注销 case asks about an issued licence."""

    __tablename__ = "licence_applications"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    #: ``change`` | ``renewal`` | ``cancellation``
    action: Mapped[str] = mapped_column(String(16))
    #: 变更: the new holder name and scope (None: unchanged)
    holder: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
