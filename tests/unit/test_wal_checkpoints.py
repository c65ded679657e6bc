"""SQLite's log is checkpointed by a thread of the service, never by a request's commit."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.persistence.engine.checkpoints import Checkpointer
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


def _service(path: Path) -> tuple[Database, Checkpointer]:
    """A service's database (its log checkpointed by a thread) and its checkpointer."""
    db = Database(f"sqlite:///{path}", background_checkpoints=True)
    assert db.checkpointer is not None
    return db, db.checkpointer


def _by_hand(db: Database) -> None:
    """The thread starts with the first session and stops at its next turn: the test runs the
    checks and checkpoints itself."""
    db.session().close()
    assert db.checkpointer is not None
    db.checkpointer.stop()


@contextmanager
def _snapshot(db: Database) -> Iterator[Any]:
    """A read transaction held open (a read mark on the log at its present end); its cursor."""
    reader = db.read_engine.raw_connection()
    try:
        cursor = reader.cursor()
        cursor.execute("BEGIN")
        cursor.execute("SELECT count(*) FROM scratch").fetchone()
        yield cursor
    finally:
        reader.close()


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
    """A log started again keeps its file's size: its length is read from the frames, so the
    thread does not checkpoint (on a new connection parsing the schema) every turn from then on."""
    db, checkpointer = _service(tmp_path / "service.db")
    assert checkpointer.log_state() is None and checkpointer.log_bytes() == 0  # no log yet
    checkpointer.threshold = 1024 * 1024
    try:
        _by_hand(db)
        _fill(db, 1_000)  # some 3 MB of log
        assert checkpointer.log_bytes() > checkpointer.threshold and checkpointer.due()
        busy, in_log, copied = checkpointer.checkpoint() or (1, -1, -2)
        assert busy == 0 and in_log == copied
        state = checkpointer.log_state()
        assert state is not None and state[1] == in_log  # every frame counted
        assert not checkpointer.due()  # all copied, nothing written since
        _fill(db, 10)  # the next writer starts the log again from its beginning: the file keeps its size
        wal_size = (tmp_path / "service.db-wal").stat().st_size
        assert wal_size > checkpointer.threshold
        assert 0 < checkpointer.log_bytes() < checkpointer.threshold and not checkpointer.due()
        _fill(db, 1_000)
        assert checkpointer.due()
    finally:
        db.dispose()


def test_the_thread_checkpoints_once_for_a_log_that_stopped_growing(tmp_path: Path):
    db, checkpointer = _service(tmp_path / "service.db")
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


def test_a_long_log_with_a_tail_left_to_copy_is_due_until_copied_whole(tmp_path: Path):
    """A PASSIVE checkpoint stops short of what a reader (or a writer meanwhile) still needs; the
    log starts again only once all of it is copied, so the thread keeps at it while it is long."""
    db, checkpointer = _service(tmp_path / "service.db")
    checkpointer.threshold = 1024 * 1024
    _by_hand(db)
    try:
        _fill(db, 1_000)  # some 3 MB of log
        with _snapshot(db):
            _fill(db, 5)  # a short tail after the snapshot
            busy, in_log, copied = checkpointer.checkpoint() or (0, 0, 0)
            assert in_log > copied  # the reader's snapshot held the tail back
            assert checkpointer.due()  # the log is long and not all copied: again next turn
        busy, in_log, copied = checkpointer.checkpoint() or (1, -1, -2)
        assert busy == 0 and in_log == copied and not checkpointer.due()
    finally:
        db.dispose()


def _log_generation(wal: Path) -> int:
    """The log's checkpoint sequence number (its header, bytes 12–15): one more each time the log
    starts again from its beginning."""
    with wal.open("rb") as log_file:
        return int.from_bytes(log_file.read(32)[12:16], "big")


def test_after_a_checkpoint_the_log_starts_again_under_a_writer_that_never_pauses(tmp_path: Path):
    """The last pass has this process's writers wait: the next one finds the log copied whole and
    starts it again, however busy the writers (else the log's file grows without end)."""
    db, checkpointer = _service(tmp_path / "service.db")
    _by_hand(db)
    _fill(db, 1)
    stop, commits, failures = threading.Event(), [0], []

    def write() -> None:
        try:
            while not stop.is_set():
                with db.unit_of_work() as session:
                    session.execute(text("INSERT INTO scratch (body) VALUES (:body)"), [{"body": "页" * 1000}] * 4)
                commits[0] += 1
        except Exception as err:  # pragma: no cover - reported below
            failures.append(err)

    writer = threading.Thread(target=write)
    writer.start()
    wal = tmp_path / "service.db-wal"
    try:
        while commits[0] < 50 and writer.is_alive():
            time.sleep(0.005)
        for _ in range(3):
            generation = _log_generation(wal)
            result = checkpointer.checkpoint()
            assert result is not None and result[0] == 0 and result[1] == result[2]
            seen = commits[0]
            while commits[0] < seen + 2 and writer.is_alive():
                time.sleep(0.001)
            assert _log_generation(wal) > generation
    finally:
        stop.set()
        writer.join()
        db.dispose()
    assert not failures


def test_reading_the_log_s_length_keeps_every_lock_of_this_process(tmp_path: Path):
    """POSIX locks belong to the process and the file: closing any descriptor of the ``-shm``
    file would drop those of every SQLite connection here, and another process could then start
    the log again under a read transaction of ours (https://www.sqlite.org/howtocorrupt.html 2.2)."""
    path = tmp_path / "locks.db"
    db, checkpointer = _service(path)
    _by_hand(db)
    _fill(db, 200)
    other = (f"import sqlite3; c = sqlite3.connect({str(path)!r}, isolation_level=None, timeout=0); "
             "c.execute('INSERT INTO scratch (body) VALUES (1)'); "
             "print(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0])")
    try:
        with _snapshot(db) as cursor:  # our read mark on the log
            busy = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, check=True).stdout
            assert busy.strip() == "1"  # another process cannot start the log again under our reader…
            for _ in range(3):
                checkpointer.due()
                checkpointer.log_state()
            busy = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, check=True).stdout
            assert busy.strip() == "1"  # …nor after this process read the log's length
            assert cursor.execute("SELECT count(*) FROM scratch").fetchone()[0] == 200
    finally:
        db.dispose()


def test_a_database_used_again_after_dispose_checkpoints_again(tmp_path: Path):
    """``oneseal serve`` disposes the engines the app was built with (no connection crosses a
    fork) and then serves on them: the thread stopped with them must start again."""
    db, checkpointer = _service(tmp_path / "service.db")
    try:
        db.session().close()
        db.dispose()
        checkpointer.threshold = 64 * 1024
        checkpointer.interval = 0.01
        _fill(db, 200)  # used again: some 600 KB of log
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.checkpoints >= 1
    finally:
        db.dispose()


def test_a_checkpointer_of_its_own_is_not_due_again_for_a_log_it_copied_whole(tmp_path: Path):
    """Without the writers' turns to wait on (a checkpointer made on its own), a log copied whole
    and not written since is not checkpointed again either."""
    path = tmp_path / "plain.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT)")
    for _ in range(100):
        writer.execute("INSERT INTO scratch (body) VALUES (?)", ("页" * 1000,))
    checkpointer = Checkpointer(path, threshold=64 * 1024)
    try:
        assert checkpointer.due()
        busy, in_log, copied = checkpointer.checkpoint() or (1, -1, -2)
        assert busy == 0 and in_log == copied and not checkpointer.due()
        writer.execute("INSERT INTO scratch (body) VALUES ('x')")  # the log starts again: short
        assert not checkpointer.due()
    finally:
        writer.close()


def test_once_disposed_no_checkpoint_is_still_writing_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A database file is copied as soon as its database is disposed (the benchmark's template,
    the scenario sandbox's base): a checkpoint still copying pages into it then would leave a
    torn copy. ``dispose`` waits for the thread's checkpoint to end."""
    db, checkpointer = _service(tmp_path / "service.db")
    checkpointer.threshold = 64 * 1024
    checkpointer.interval = 0.01
    started, finished = threading.Event(), threading.Event()
    copy = Checkpointer.checkpoint

    def slow(self: Checkpointer) -> Any:
        started.set()
        time.sleep(0.3)
        try:
            return copy(self)
        finally:
            finished.set()

    monkeypatch.setattr(Checkpointer, "checkpoint", slow)
    try:
        _fill(db, 200)
        assert started.wait(10)
    finally:
        db.dispose()
    assert finished.is_set()
    assert not (tmp_path / "service.db-wal").exists()  # the last connection closed: the log copied back and gone
    copied = tmp_path / "copy.db"
    copied.write_bytes((tmp_path / "service.db").read_bytes())
    with sqlite3.connect(copied) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM scratch").fetchone() == (200,)
