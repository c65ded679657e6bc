"""The audit trail's lock is held only over the appends and the commit (PostgreSQL): an event
recorded during a step is written when the step's transaction commits, in call order, and not
at all when it rolls back; a reader of the trail in the same transaction sees it; on SQLite the
event is written at once (the writer holds the database anyway). Registrations take the year's
case number last, so they no longer queue on the counter row over their whole step."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from app.persistence.audit.chain import append_event, append_event_now, events_for_case, verify_chain, write_pending
from app.persistence.models import AuditEvent
from tests.support.cases import register

CHAIN_LOCK = 7422001


def _count(ext) -> int:
    with ext.db.session(write=False) as session:
        return session.scalar(select(func.count(AuditEvent.id))) or 0


def _holds_chain_lock(session) -> bool:
    return bool(session.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND pid = pg_backend_pid()"),
        {"key": CHAIN_LOCK}).scalar())


def test_an_event_is_written_with_its_commit_and_the_lock_only_taken_then(ext, clock):
    before = _count(ext)
    with ext.db.unit_of_work() as session:
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_one")
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_two")
        if not ext.db.is_sqlite:
            assert not _holds_chain_lock(session)  # recorded, not yet written: nobody waits on us
            with ext.db.session(write=False) as other:
                assert other.scalar(select(func.count(AuditEvent.id))) == before
    assert _count(ext) == before + 2
    with ext.db.session(write=False) as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)))
        assert actions == ["probe_two", "probe_one"]
        assert verify_chain(session)[1] is None


def test_a_rolled_back_transaction_leaves_no_event_and_the_next_one_is_not_given_its_events(ext, clock):
    before = _count(ext)
    with pytest.raises(RuntimeError):
        with ext.db.unit_of_work() as session:
            append_event(session, occurred_at=clock.now(), actor="system", action="probe_lost")
            raise RuntimeError("the step failed")
    session = ext.db.session(write=True)
    try:
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_dropped")
        session.rollback()
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_kept")
        session.commit()
    finally:
        session.close()
    with ext.db.session(write=False) as reader:
        actions = list(reader.scalars(select(AuditEvent.action).where(AuditEvent.id > 0)
                                      .order_by(AuditEvent.id.desc()).limit(1)))
    assert actions == ["probe_kept"] and _count(ext) == before + 1


def test_a_reader_in_the_same_transaction_sees_what_it_recorded_and_an_immediate_event_keeps_the_order(api, ext, clock):
    case = register(api, "XK-0001")
    with ext.db.unit_of_work() as session:
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_queued", case_id=case["id"])
        assert events_for_case(session, case["id"])[-1].action == "probe_queued"
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_after", case_id=case["id"])
        written = append_event_now(session, occurred_at=clock.now(), actor="system", action="probe_now",
                                   case_id=case["id"])
        write_pending(session)  # nothing left
        if not ext.db.is_sqlite:
            assert _holds_chain_lock(session)
    with ext.db.session(write=False) as session:
        events = events_for_case(session, case["id"])
        assert [e.action for e in events[-3:]] == ["probe_queued", "probe_after", "probe_now"]
        assert events[-1].id == written.id and events[-1].hash == written.hash
        assert verify_chain(session)[1] is None


def test_a_long_step_does_not_hold_up_other_writers(api, ext, clock):
    """While one transaction has recorded an event and is still working (a signature, say),
    another registers a case and commits (on SQLite the writers take turns: PostgreSQL only)."""
    if ext.db.is_sqlite:
        pytest.skip("SQLite writers take turns on the database's lock")
    case = register(api, "XK-0001")
    recorded, done = threading.Event(), threading.Event()

    def long_step() -> None:
        with ext.db.unit_of_work() as session:
            append_event(session, occurred_at=clock.now(), actor="system", action="probe_slow", case_id=case["id"])
            recorded.set()
            assert done.wait(30)

    slow = threading.Thread(target=long_step)
    slow.start()
    try:
        assert recorded.wait(30)
        other = register(api, "XK-0001")  # its number and its event, while the other step still runs
        assert other["number"] > case["number"]
    finally:
        done.set()
        slow.join()
    with ext.db.session(write=False) as session:
        assert verify_chain(session)[1] is None
        last = session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
        assert last == "probe_slow"  # written at its commit, after the registration's


def test_simultaneous_registrations_get_consecutive_numbers(api, ext):
    from tests.support.races import race

    items = api.get("/api/v1/items", as_user="window").get_json()["items"]
    materials = [m["code"] for m in next(i for i in items if i["code"] == "XK-0001")["materials"]]
    body = {"item_code": "XK-0001", "applicant": {"name": "并发申请人"}, "materials": materials}
    answers = race(api, [("window", "/api/v1/cases", body)] * 6)
    assert [a.status for a in answers] == [201] * 6, [a.body for a in answers]
    numbers = sorted(a.body["number"] for a in answers)
    serials = [int(n.split("-")[1]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 6)) and not any(n.startswith("~") for n in numbers)


def test_the_database_chains_events_exactly_as_the_service_hashes_them(ext, clock):
    """PostgreSQL computes each hash from the text the service sends around the previous hash;
    verification recomputes it in Python: an event with Chinese text, numbers, nesting, an
    escaped control character and a request id verifies."""
    from app.observability.context import bind_request_id, unbind
    from app.persistence.audit.chain import event_hash, hashed_around_prev

    fields = {"occurred_at": clock.now(), "actor": "window", "action": "probe_unicode", "case_id": None,
              "element_id": "审查", "before": {"面积": 120.5, "层": [1, 2, {"子": None}]},
              "after": {"意见": "同意\n“予以受理”\u0007", "big": 10**18, "f": 1e-7}, "request_id": "req-12345678"}
    head, tail = hashed_around_prev(fields)
    import hashlib
    prev = "ab" * 32
    assert hashlib.sha256((head + prev + tail).encode("utf-8")).hexdigest() == event_hash(
        prev, fields["occurred_at"], "window", "probe_unicode", None, "审查", fields["before"], fields["after"],
        "req-12345678")
    token = bind_request_id("req-12345678")
    try:
        with ext.db.unit_of_work() as session:
            append_event(session, occurred_at=fields["occurred_at"], actor="window", action="probe_unicode",
                         element_id="审查", before=fields["before"], after=fields["after"])
            append_event(session, occurred_at=clock.now(), actor="system", action="probe_next")
    finally:
        unbind(token)
    with ext.db.session(write=False) as session:
        assert verify_chain(session)[1] is None
        stored = session.scalar(select(AuditEvent).where(AuditEvent.action == "probe_unicode"))
        assert stored.after == fields["after"] and stored.request_id == "req-12345678"


def test_a_savepoint_inside_the_step_neither_writes_nor_loses_the_events(ext, clock):
    """A savepoint's end is not the commit (SQLAlchemy calls before_commit for both): the events
    recorded before it are written with the transaction; those recorded inside a savepoint that
    rolls back go with it, as SQLite's inserts do."""
    before = _count(ext)
    with ext.db.unit_of_work() as session:
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_before")
        with session.begin_nested():
            pass  # released: a counter's first row made in its own savepoint, say
        if not ext.db.is_sqlite:
            assert not _holds_chain_lock(session)
        try:
            with session.begin_nested():
                append_event(session, occurred_at=clock.now(), actor="system", action="probe_undone")
                raise ValueError("the savepoint's statement failed")
        except ValueError:
            pass
        append_event(session, occurred_at=clock.now(), actor="system", action="probe_after")
    with ext.db.session(write=False) as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)))
        assert actions == ["probe_after", "probe_before"] and _count(ext) == before + 2
        assert verify_chain(session)[1] is None


def test_two_first_refusals_of_the_year_at_once_each_keep_their_event(api, ext):
    """The first refusal letter of an item's year makes its number counter in a savepoint; two
    at once: one savepoint fails and is retried — both steps keep their task_completed event."""
    from tests.support.races import race

    items = api.get("/api/v1/items", as_user="window").get_json()["items"]
    materials = [m["code"] for m in next(i for i in items if i["code"] == "XK-0002")["materials"]]
    cases = [api.post("/api/v1/cases", as_user="window", json={
        "item_code": "XK-0002", "applicant": {"name": f"补办申请人{n}"}, "materials": materials}).get_json()
        for n in range(2)]
    answers = race(api, [("window", f"/api/v1/tasks/{c['tasks'][0]['id']}/complete",
                          {"decision": "reject", "opinion": "不符合条件"}) for c in cases])
    assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
    with ext.db.session(write=False) as session:
        for case in cases:
            events = [e.action for e in events_for_case(session, case["id"])]
            assert events.count("task_completed") == 1, events
        assert verify_chain(session)[1] is None
