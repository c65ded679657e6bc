"""Tables of the approval–supervision push (监管推送): the departments' endpoints, the events the
bureau pushes (the outbox, written with the change each reports), one delivery per event and
receiving department with every attempt, and the findings supervisors push back."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class SupervisionEndpoint(Base):
    """Where a supervising department receives the bureau's events, and its shared secret."""

    __tablename__ = "supervision_endpoints"

    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    #: the HMAC key of both directions; never returned by the API
    secret: Mapped[str] = mapped_column(String(256))
    #: item codes of other departments this one also subscribes to
    items: Mapped[list[Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class SupervisionEvent(Base):
    """One event the bureau pushes; its body never changes once written."""

    __tablename__ = "supervision_events"

    #: a UUID: the ``OneSeal-Event-Id`` every delivery of it carries
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    #: the licence (or refusal letter) number the event is about: its order key
    licence_number: Mapped[str] = mapped_column(String(48))
    item_code: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    finding_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_supervision_events_licence", "licence_number"),
                      Index("ix_supervision_events_occurred", "occurred_at"))


class SupervisionDelivery(Base):
    """The event for one department: pending until a 2xx answer, then delivered; after too many
    failures an incident (``failed``) until an administrator redelivers it."""

    __tablename__ = "supervision_deliveries"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("supervision_events.id"))
    department: Mapped[str] = mapped_column(String(64))
    #: the licence's line (its first number, kept when a change or renewal supersedes it with a
    #: new one): deliveries of one licence to one department go in id order
    licence_number: Mapped[str] = mapped_column(String(48))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    #: not before: the next attempt after a failure, or the end of an attempt's lease
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("event_id", "department"),
        Index("ix_supervision_deliveries_due", "state", "available_at"),
        Index("ix_supervision_deliveries_order", "department", "licence_number", "id"),
    )


class DeliveryAttempt(Base):
    """One try at a delivery: when, the answer (HTTP status) or the error, how long it took."""

    __tablename__ = "supervision_attempts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("supervision_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: a user who asked for it (重新投递), else the worker
    by: Mapped[str | None] = mapped_column(String(64))


class SupervisionFinding(Base):
    """A supervisor's finding about a licence (变更/撤回/撤销/注销) and the case it opened."""

    __tablename__ = "supervision_findings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    licence_number: Mapped[str] = mapped_column(String(48), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    #: [{"name", "description"}]
    evidence: Mapped[list[Any]]
    received_at: Mapped[datetime]
    #: the user who posted it, or ``department:<code>`` for a signed call from its own system
    received_by: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    resolved_at: Mapped[datetime | None]
    #: the case's result when it ended (e.g. ``revoked``, ``upheld``)
    outcome: Mapped[str | None] = mapped_column(String(32))
