"""The push queue: events written with their change, one delivery per receiving department,
taken for an attempt by compare-and-set, recorded after it.

Order: the deliveries of one licence to one department go one at a time, in the order the
events were written — a delivery is due only while no earlier delivery of the same licence to
the same department is still undelivered. Taking a delivery moves its ``available_at`` a lease
ahead (so two workers never send it at once, and a worker that dies mid-send leaves it to be
taken again once the lease ends: at least once, with the same event id).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased

from app.domain.licences.supervision_push import DeliveryState
from app.persistence.engine.changes import rows_changed
from app.persistence.tables.push import (
    DeliveryAttempt,
    SupervisionDelivery,
    SupervisionEndpoint,
    SupervisionEvent,
)


def add_event(session: Session, *, type: str, occurred_at: datetime, licence_number: str, item_code: str,
              case_id: int | None, body: dict[str, Any], departments: list[str],
              finding_id: str | None = None, event_id: str | None = None,
              order_key: str | None = None) -> SupervisionEvent:
    """The event and a pending delivery to each department, in the caller's transaction; the
    deliveries wait for the earlier ones of ``order_key`` (the licence's line: its first number,
    kept through changes and renewals that supersede it with a new one; else ``licence_number``)."""
    event_id = event_id or str(uuid.uuid4())
    event = SupervisionEvent(id=event_id, type=type, occurred_at=occurred_at, licence_number=licence_number,
                             item_code=item_code, case_id=case_id, finding_id=finding_id,
                             body={"id": event_id, **body})
    session.add(event)
    session.flush()  # the event before its deliveries (their foreign key)
    for department in dict.fromkeys(departments):
        session.add(SupervisionDelivery(event_id=event.id, department=department,
                                        licence_number=order_key or licence_number,
                                        state=DeliveryState.PENDING.value, created_at=occurred_at,
                                        available_at=occurred_at, attempts=0, last_error=None,
                                        delivered_at=None))
    session.flush()
    return event


def _no_earlier_open() -> Any:
    """No earlier delivery of the same licence to the same department is still undelivered."""
    earlier = aliased(SupervisionDelivery)
    return ~exists().where(earlier.department == SupervisionDelivery.department,
                           earlier.licence_number == SupervisionDelivery.licence_number,
                           earlier.id < SupervisionDelivery.id,
                           earlier.state != DeliveryState.DELIVERED.value)


def due_deliveries(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Deliveries to attempt now: pending, due, first of their licence, with an endpoint to go to."""
    return list(session.scalars(
        select(SupervisionDelivery.id)
        .join(SupervisionEndpoint, SupervisionEndpoint.department == SupervisionDelivery.department)
        .where(SupervisionDelivery.state == DeliveryState.PENDING.value, SupervisionDelivery.available_at <= now,
               _no_earlier_open())
        .order_by(SupervisionDelivery.id).limit(limit)))


def next_due_at(session: Session) -> datetime | None:
    """When the earliest pending delivery with an endpoint becomes due (for a waiting worker)."""
    return session.scalar(select(func.min(SupervisionDelivery.available_at))
                          .join(SupervisionEndpoint, SupervisionEndpoint.department == SupervisionDelivery.department)
                          .where(SupervisionDelivery.state == DeliveryState.PENDING.value))


@dataclass(frozen=True)
class TakenDelivery:
    """A delivery taken for one attempt, detached from any session."""

    id: int
    event_id: str
    event_type: str
    department: str
    body: dict[str, Any]
    url: str
    secret: str
    #: failed attempts before this one
    attempts: int


def take_many(session: Session, delivery_ids: list[int], now: datetime, lease: timedelta) -> list[TakenDelivery]:
    """Take the due deliveries among ``delivery_ids`` until ``now + lease``, in id order; those not
    due, not first of their licence, without an endpoint or held by another worker are left."""
    if not delivery_ids:
        return []
    taken = list(session.scalars(update(SupervisionDelivery).where(
        SupervisionDelivery.id.in_(delivery_ids), SupervisionDelivery.state == DeliveryState.PENDING.value,
        SupervisionDelivery.available_at <= now, _no_earlier_open())
        .values(available_at=now + lease).returning(SupervisionDelivery.id)
        .execution_options(synchronize_session=False)))
    if not taken:
        return []
    rows = session.execute(
        select(SupervisionDelivery.id, SupervisionDelivery.event_id, SupervisionDelivery.department,
               SupervisionDelivery.attempts, SupervisionEvent.type, SupervisionEvent.body,
               SupervisionEndpoint.url, SupervisionEndpoint.secret)
        .join(SupervisionEvent, SupervisionEvent.id == SupervisionDelivery.event_id)
        .join(SupervisionEndpoint, SupervisionEndpoint.department == SupervisionDelivery.department)
        .where(SupervisionDelivery.id.in_(taken)).order_by(SupervisionDelivery.id))
    # a delivery whose endpoint was deleted meanwhile is not returned: it waits for a new one
    return [TakenDelivery(id=row.id, event_id=row.event_id, event_type=row.type, department=row.department,
                          body=dict(row.body), url=row.url, secret=row.secret, attempts=row.attempts)
            for row in rows]


def record_attempt(session: Session, delivery_id: int, number: int, at: datetime, *, status_code: int | None,
                   error: str | None, duration_ms: int, by: str | None = None) -> None:
    session.add(DeliveryAttempt(delivery_id=delivery_id, number=number, attempted_at=at, status_code=status_code,
                                error=error[:2000] if error else None, duration_ms=duration_ms, by=by))


def mark_delivered(session: Session, delivery_ids: list[int], now: datetime) -> None:
    if not delivery_ids:
        return
    session.execute(update(SupervisionDelivery).where(SupervisionDelivery.id.in_(delivery_ids))
                    .values(state=DeliveryState.DELIVERED.value, delivered_at=now, last_error=None)
                    .execution_options(synchronize_session=False))


def mark_failed(session: Session, delivery_id: int, error: str, retry_at: datetime, max_attempts: int) -> SupervisionDelivery:
    """Count a failed attempt: wait until ``retry_at``, or after ``max_attempts`` become an incident."""
    row = session.get_one(SupervisionDelivery, delivery_id, with_for_update=True, populate_existing=True)
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= max_attempts:
        row.state = DeliveryState.FAILED.value
    else:
        row.available_at = retry_at
    return row


def redeliver(session: Session, delivery_id: int, now: datetime) -> bool:
    """A failed delivery pending again at once, with a fresh count of attempts; False if not failed."""
    return rows_changed(session, update(SupervisionDelivery).where(
        SupervisionDelivery.id == delivery_id, SupervisionDelivery.state == DeliveryState.FAILED.value)
        .values(state=DeliveryState.PENDING.value, attempts=0, available_at=now)
        .execution_options(synchronize_session=False)) == 1


def wake_department(session: Session, department: str, now: datetime) -> int:
    """A department's endpoint was set: its pending deliveries are due now (not at their backoff)."""
    return rows_changed(session, update(SupervisionDelivery).where(
        SupervisionDelivery.department == department, SupervisionDelivery.state == DeliveryState.PENDING.value,
        SupervisionDelivery.available_at > now)
        .values(available_at=now).execution_options(synchronize_session=False))


def backlog_by_state(session: Session) -> dict[str, int]:
    """Deliveries not yet delivered: pending and failed (incidents), for monitoring."""
    found = {DeliveryState.PENDING.value: 0, DeliveryState.FAILED.value: 0}
    for state, count in session.execute(select(SupervisionDelivery.state, func.count())
                                        .where(SupervisionDelivery.state != DeliveryState.DELIVERED.value)
                                        .group_by(SupervisionDelivery.state)):
        found[state] = count
    return found

