"""SQLite's log is checkpointed by a thread of the service, never by a request's commit."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app.persistence.engine.db import SQLITE_CHECKPOINT_PAGES, Database
from tests.support.database import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write-ahead log")


def _fill(db: Database, rows: int) -> None:
    with db.unit_of_work() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS scratch (id INTEGER PRIMARY KEY, body TEXT)"))
        for start in range(0, rows, 500):
            session.execute(text("INSERT INTO scratch (body) VALUES (:body)"),
                            [{"body": "页" * 1000} for _ in range(min(500, rows - start))])


def _pragma(db: Database, name: str) -> int:
    with db.session(write=False) as session:
        return int(session.execute(text(f"PRAGMA {name}")).scalar_one())


def test_a_service_never_checkpoints_in_a_commit(tmp_path: Path):
    service = Database(f"sqlite:///{tmp_path / 'service.db'}", background_checkpoints=True)
    plain = Database(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert _pragma(service, "wal_autocheckpoint") == 0
        assert _pragma(plain, "wal_autocheckpoint") == SQLITE_CHECKPOINT_PAGES
        assert plain.checkpointer is None
    finally:
        service.dispose()
        plain.dispose()


def test_the_background_checkpoint_copies_the_log_back(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'service.db'}", background_checkpoints=True)
    assert db.checkpointer is not None
    db.checkpointer.threshold = 64 * 1024
    db.checkpointer.interval = 0.01
    try:
        _fill(db, 2_000)  # some 6 MB of log, far past the threshold; the commit did not copy it
        deadline = time.monotonic() + 10
        while db.checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert db.checkpointer.checkpoints > 0
        for _ in range(100):  # the thread's own checkpoint may be under way: this one then reports busy
            busy, in_log, copied = db.checkpointer.checkpoint() or (1, -1, -2)
            if busy == 0:
                break
            time.sleep(0.02)
        assert busy == 0 and in_log == copied  # everything the log held is in the database file
        with db.session(write=False) as session:
            assert session.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 2_000
    finally:
        db.dispose()


def test_a_database_that_is_gone_is_not_made_again(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'gone.db'}", background_checkpoints=True)
    assert db.checkpointer is not None and db.checkpointer.checkpoint() is None
    assert not (tmp_path / "gone.db").exists()
    db.dispose()


def test_a_log_copied_back_is_not_due_again_until_it_grows_past_the_threshold(tmp_path: Path):
    """A log started again keeps its file's size: the backlog is read from the wal-index, so the
    thread does not checkpoint (on a new connection parsing the schema) every turn from then on."""
    db = Database(f"sqlite:///{tmp_path / 'service.db'}", background_checkpoints=True)
    checkpointer = db.checkpointer
    assert checkpointer is not None
    assert checkpointer.backlog_bytes() is None  # no log yet
    checkpointer.threshold = 1024 * 1024
    try:
        db.session().close()  # the thread starts with the first session…
        checkpointer.stop()  # …and stops at its next turn: this test runs the checks itself
        _fill(db, 1_000)  # some 3 MB of log
        backlog = checkpointer.backlog_bytes()
        assert backlog is not None and backlog > checkpointer.threshold and checkpointer.due()
        busy, in_log, copied = checkpointer.checkpoint() or (1, -1, -2)
        assert busy == 0 and in_log == copied
        assert checkpointer.backlog_bytes() == 0 and not checkpointer.due()
        _fill(db, 10)  # the next writer starts the log again from its beginning: the file keeps its size
        wal_size = (tmp_path / "service.db-wal").stat().st_size
        assert wal_size > checkpointer.threshold
        assert 0 < (checkpointer.backlog_bytes() or 0) < checkpointer.threshold and not checkpointer.due()
        _fill(db, 1_000)
        assert checkpointer.due()
    finally:
        db.dispose()


def test_the_thread_checkpoints_once_for_a_log_that_stopped_growing(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'service.db'}", background_checkpoints=True)
    checkpointer = db.checkpointer
    assert checkpointer is not None
    checkpointer.threshold = 64 * 1024
    checkpointer.interval = 0.01
    try:
        _fill(db, 200)  # some 600 KB of log, past the threshold
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.checkpoints >= 1
        time.sleep(0.3)  # some 30 turns of the thread with nothing new in the log
        assert checkpointer.checkpoints == 1
    finally:
        db.dispose()
