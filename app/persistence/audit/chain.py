"""The audit trail: append (in the caller's transaction) and verify the hash chain.

Each event carries the id of the request (or job) that wrote it (``request_id``, read from
:mod:`app.observability.context`), so an event leads to that request's log lines and back.
The id is inside the hash: like every other field of an event it cannot be changed unseen,
and an investigation that follows it from a log line to the trail can rely on it. It enters
the hashed payload only when present (key ``request``), so events of earlier releases and
events written outside a request hash exactly as before and the chain stays one chain.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from app.observability.context import MAX_LENGTH as REQUEST_ID_LENGTH
from app.observability.context import current_request_id
from app.persistence.engine.batches import in_batches
from app.persistence.engine.prepared import insert
from app.persistence.models import AuditEvent

GENESIS = "0" * 64


def _canonical(event_fields: dict[str, Any]) -> bytes:
    return json.dumps(event_fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8")


def _payload(prev_hash: str, occurred_at: datetime, actor: str, action: str, case_id: int | None,
             element_id: str | None, before: dict[str, Any], after: dict[str, Any],
             request_id: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "prev": prev_hash, "at": occurred_at.isoformat(timespec="microseconds"), "actor": actor,
        "action": action, "case": case_id, "element": element_id, "before": before, "after": after,
    }
    if request_id is not None:
        payload["request"] = request_id
    return payload


def event_hash(prev_hash: str, occurred_at: datetime, actor: str, action: str,
               case_id: int | None, element_id: str | None, before: dict[str, Any],
               after: dict[str, Any], request_id: str | None = None) -> str:
    payload = _payload(prev_hash, occurred_at, actor, action, case_id, element_id, before, after, request_id)
    return hashlib.sha256(_canonical(payload)).hexdigest()


def hashed_around_prev(fields: dict[str, Any]) -> tuple[str, str]:
    """The text an event's hash is taken of, before and after the previous event's hash: the
    hash is sha256(head + prev + tail), exactly :func:`event_hash` (for the database to chain
    events it is given, see :func:`write_pending`)."""
    marker = uuid.uuid4().hex  # 128 random bits: found nowhere else in the text
    text_ = _canonical(_payload(marker, fields["occurred_at"], fields["actor"], fields["action"], fields["case_id"],
                                fields["element_id"], fields["before"], fields["after"],
                                fields["request_id"])).decode("utf-8")
    head, tail = text_.split(marker)
    return head, tail


def lock_chain(session: Session) -> None:
    """Serialize appends so two transactions never chain onto the same predecessor.

    Taken by :func:`append_event`; a caller that reads the trail to decide whether to append
    (record a change only once) takes it first, so the read and the append are one step.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7422001)"))
    # SQLite writers already hold the database write lock (BEGIN IMMEDIATE).


#: session.info key: (transaction, hash of the last event this transaction appended)
_TIP = "oneseal_audit_chain_tip"

#: one prepared statement for every append: the ORM's unit of work adds nothing to an insert-only row
_TABLE = AuditEvent.metadata.tables[AuditEvent.__tablename__]  # the Table (``__table__`` is typed FromClause)
_INSERT = _TABLE.insert()
#: the stored tip: the hash of the last event
_TIP_SELECT = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)


@dataclass(frozen=True)
class AppendedEvent:
    """An event just written, as stored (``id`` is its place in the trail)."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    case_id: int | None
    element_id: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    prev_hash: str
    hash: str
    request_id: str | None = None


def _chain_tip(session: Session) -> str:
    """The hash the next event chains onto.

    Within one transaction it is the event this transaction appended last, kept in memory: the
    chain lock is held since that append, so no other writer can have moved the tip. The first
    append of a transaction takes the lock and reads the stored tip, unless the transaction's
    first statement already read it (:func:`known_chain_tip`).
    """
    transaction = session.get_transaction()
    cached = session.info.get(_TIP)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    lock_chain(session)
    return session.connection().scalar(_TIP_SELECT) or GENESIS


def chain_tip_query() -> Any:
    """The stored tip as a scalar subquery, for a query that reads it along with other rows."""
    return _TIP_SELECT.scalar_subquery()


def known_chain_tip(session: Session, tip: str | None) -> None:
    """Record the tip read by this transaction's first statement, sparing the append a query.

    Only where that read already holds the chain lock: a SQLite writer holds the database
    lock from ``BEGIN IMMEDIATE`` on, so nobody can append between the read and the append.
    On PostgreSQL the lock is taken at the first append, and the tip is read after it.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.info[_TIP] = (session.get_transaction(), tip or GENESIS)


def append_event(session: Session, *, occurred_at: datetime, actor: str, action: str,
                 case_id: int | None = None, element_id: str | None = None,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Record an event in the caller's transaction: it commits (or not) with the change it records.

    On SQLite it is written at once (the writer holds the database's lock anyway). On
    PostgreSQL it is written when the transaction commits (:func:`write_pending`, called by the
    session before its commit, and by every reader of the trail first): the chain's lock, which
    every writer of the trail needs, is then held only over the appends and the commit, never
    over the rest of the step (an engine step, a signature). Either way the events are written
    in call order, so the trail's ids follow the chain.
    """
    before_text, after_text = _canonical(before or {}), _canonical(after or {})
    fields = _fields(occurred_at, actor, action, case_id, element_id, before_text, after_text)
    if session.get_bind().dialect.name == "postgresql":
        session.connection()  # the transaction begun (it may be the session's first act)
        transaction = session.get_transaction()
        queued: tuple[Any, list[_Recorded]] | None = session.info.get(_PENDING)
        if queued is None or queued[0] is not transaction:
            queued = session.info[_PENDING] = (transaction, [])
        queued[1].append((fields, before_text, after_text))
        return
    _insert_event(session, fields)


#: an event recorded for the commit: its fields, and its before and after as canonical JSON
_Recorded = tuple[dict[str, Any], bytes, bytes]


def append_event_now(session: Session, *, occurred_at: datetime, actor: str, action: str,
                     case_id: int | None = None, element_id: str | None = None,
                     before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AppendedEvent:
    """Write an event at once, after those this transaction has recorded before it, and return it
    as stored (for a caller that needs its id or hash, e.g. a notice numbered after its event)."""
    write_pending(session)
    return _insert_event(session, _fields(occurred_at, actor, action, case_id, element_id,
                                          _canonical(before or {}), _canonical(after or {})))


def write_pending(session: Session) -> None:
    """Write the events this transaction recorded and has not written yet, in order: on
    PostgreSQL in one call that takes the chain's lock, reads the tip, chains and inserts them
    (``oneseal_append_events``, migration 0011), so the lock waits on no round trip of ours
    before the commit's."""
    queued = session.info.pop(_PENDING, None)
    if queued is None or queued[0] is not session.get_transaction() or not queued[1]:
        return  # none, or left by a transaction that has ended (rolled back: dropped)
    events = []
    for fields, before_text, after_text in queued[1]:
        head, tail = hashed_around_prev(fields)
        events.append({"occurred_at": fields["occurred_at"].isoformat(timespec="microseconds"),
                       "actor": fields["actor"], "action": fields["action"], "case_id": fields["case_id"],
                       "element_id": fields["element_id"], "request_id": fields["request_id"],
                       "before": before_text.decode("utf-8"), "after": after_text.decode("utf-8"),
                       "head": head, "tail": tail})
    session.connection().execute(_APPEND_EVENTS, {"events": json.dumps(events, ensure_ascii=False)})
    session.info.pop(_TIP, None)  # the tip moved in the database: an immediate append reads it again


_APPEND_EVENTS = text("SELECT oneseal_append_events(CAST(:events AS jsonb))")


#: session.info key: (transaction, the events it recorded and has not written yet) (PostgreSQL)
_PENDING = "oneseal_audit_pending"
#: session.info key: the savepoints begun while events were recorded → how many were recorded then
_SAVEPOINTS = "oneseal_audit_savepoints"


def _before_commit(session: Session) -> None:
    """Write the recorded events when the transaction itself commits — not when a savepoint
    inside it is released (SQLAlchemy calls this hook for both): a savepoint's end is not the
    commit, and writing there would hold the chain's lock over the rest of the step."""
    if not session.in_nested_transaction():
        write_pending(session)


def _savepoint_begun(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        queued = session.info.get(_PENDING)
        count = len(queued[1]) if queued is not None and queued[0] is session.get_transaction() else 0
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = count


def _savepoint_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A savepoint rolled back takes the events recorded inside it along (as SQLite's inserts
    inside it are rolled back with it)."""
    begun = session.info.get(_SAVEPOINTS, {}).pop(previous_transaction, None)
    if previous_transaction.nested:
        session.info.pop(_TIP, None)  # the tip kept may be an event the savepoint took away: read it again
    queued = session.info.get(_PENDING)
    if begun is not None and queued is not None:
        del queued[1][begun:]


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SAVEPOINTS, None)


# every session, whatever made it: a recorded event is never left behind by a commit
sa_event.listen(Session, "before_commit", _before_commit)
sa_event.listen(Session, "after_transaction_create", _savepoint_begun)
sa_event.listen(Session, "after_soft_rollback", _savepoint_rolled_back)
sa_event.listen(Session, "after_transaction_end", _transaction_ended)


def _fields(occurred_at: datetime, actor: str, action: str, case_id: int | None, element_id: str | None,
            before_text: bytes, after_text: bytes) -> dict[str, Any]:
    request_id = current_request_id()
    return {"occurred_at": occurred_at.astimezone(UTC), "actor": actor, "action": action, "case_id": case_id,
            "element_id": element_id,
            # stored as JSON reads back: what verification recomputes the hash from
            "before": json.loads(before_text), "after": json.loads(after_text),
            "request_id": request_id[:REQUEST_ID_LENGTH] if request_id is not None else None}


def _insert_event(session: Session, fields: dict[str, Any]) -> AppendedEvent:
    prev = _chain_tip(session)
    digest = event_hash(prev, fields["occurred_at"], fields["actor"], fields["action"], fields["case_id"],
                        fields["element_id"], fields["before"], fields["after"], fields["request_id"])
    key = insert(session.connection(), _INSERT, {**fields, "prev_hash": prev, "hash": digest})
    session.info[_TIP] = (session.get_transaction(), digest)
    return AppendedEvent(key, fields["occurred_at"], fields["actor"], fields["action"], fields["case_id"],
                         fields["element_id"], fields["before"], fields["after"], prev, digest, fields["request_id"])


@dataclass(frozen=True)
class ChainBreak:
    """The first event at which the chain stops holding, and what was done there."""

    event_id: int
    #: ``altered`` | ``removed`` | ``inserted`` | ``reordered``
    kind: str
    reason: str


def verify_chain(session: Session, batch: int = 2_000) -> tuple[int, ChainBreak | None]:
    """Recompute the chain; return (events checked, first break or None).

    Each event must hash to its stored hash (else it was edited: ``altered``) and must name
    the hash of the event stored before it. When it names another hash, that hash tells what
    happened: the hash of a later event (``reordered``), of an earlier event (the events in
    between were ``inserted``), or of no stored event (its predecessor was ``removed``).
    """
    write_pending(session)
    previous: AuditEvent | None = None
    checked = 0
    for event in _iter_events(session, batch):
        recomputed = event_hash(event.prev_hash, event.occurred_at, event.actor, event.action,
                                event.case_id, event.element_id, event.before, event.after, event.request_id)
        if recomputed != event.hash:
            return checked, ChainBreak(event.id, "altered",
                                       "事件内容与其哈希不符：该事件被篡改（内容被修改，或系统外伪造）")
        if event.prev_hash != (previous.hash if previous else GENESIS):
            return checked, _diagnose(session, event, previous)
        previous = event
        checked += 1
    return checked, None


def _diagnose(session: Session, event: AuditEvent, previous: AuditEvent | None) -> ChainBreak:
    """``event`` does not follow ``previous``: find what its recorded predecessor became."""
    after = f"#{previous.id}" if previous else "链首"
    if event.prev_hash == GENESIS:  # it claims to open the chain: whatever precedes it was inserted
        first = session.scalar(select(func.min(AuditEvent.id))) or event.id  # the event itself at least
        return ChainBreak(first, "inserted", f"该事件是插入的：#{event.id} 原本是链首，其前的事件不属于原链")
    named_id = session.scalar(select(AuditEvent.id).where(AuditEvent.hash == event.prev_hash))
    if named_id is None:
        return ChainBreak(event.id, "removed",
                          f"前一事件缺失：{after}与本事件之间的事件被删除（或{after}被改动后重算了哈希）")
    if named_id > event.id:
        return ChainBreak(event.id, "reordered", f"顺序被调换：本事件原本紧接在 #{named_id} 之后")
    first_inserted = session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.id > named_id)) or event.id
    return ChainBreak(first_inserted, "inserted",
                      f"该事件是插入的：#{event.id} 原本紧接在 #{named_id} 之后，其间的事件不属于原链"
                      f"（也可能是 #{event.id} 被伪造成接在 #{named_id} 之后）")


def _iter_events(session: Session, batch: int) -> Iterator[AuditEvent]:
    return (row[0] for row in in_batches(session, select(AuditEvent), AuditEvent.id, batch))


def stored_hash(session: Session, event_id: int) -> str | None:
    """The hash stored for one event (to check an anchor recorded outside the system)."""
    return session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))


def chain_head(session: Session) -> AuditEvent | None:
    """The last event: its id and hash are the anchor to write down outside the system."""
    write_pending(session)
    return session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


_EVENTS_OF_CASE = select(AuditEvent).where(AuditEvent.case_id == bindparam("b_case")).order_by(AuditEvent.id)


def events_for_case(session: Session, case_id: int) -> list[AuditEvent]:
    write_pending(session)
    return list(session.scalars(_EVENTS_OF_CASE, {"b_case": case_id}))
