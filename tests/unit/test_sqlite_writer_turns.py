"""SQLite: the writers of a process take turns, each from its BEGIN until its COMMIT has run."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from app.persistence.engine.db import Database
from tests.support.database import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single writer")


def test_a_writer_keeps_its_turn_until_its_commit_has_run(tmp_path: Path, monkeypatch):
    """Given back before the COMMIT ran, the next writer's BEGIN IMMEDIATE would find the
    database still locked and sleep in SQLite's busy handler (1, 2, 5 ms …)."""
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    turns = db.writer_turns
    assert turns is not None
    seen: list[tuple[str, bool]] = []
    dialect = db.write_engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback
    monkeypatch.setattr(dialect, "do_commit", lambda c: (seen.append(("commit", turns.held())), commit(c)))
    monkeypatch.setattr(dialect, "do_rollback", lambda c: (seen.append(("rollback", turns.held())), rollback(c)))
    try:
        with db.unit_of_work() as session:
            session.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
        assert ("commit", True) in seen and ("commit", False) not in seen and not turns.held()
        seen.clear()
        with pytest.raises(RuntimeError), db.unit_of_work() as session:
            session.execute(text("INSERT INTO scratch DEFAULT VALUES"))
            raise RuntimeError("the step failed")
        assert seen and all(held for _, held in seen) and not turns.held()
    finally:
        db.dispose()


def test_the_checkpoint_s_pause_waits_for_the_writer_s_commit(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    turns = db.writer_turns
    assert turns is not None
    with db.unit_of_work() as session:
        session.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
    inside, release, paused = threading.Event(), threading.Event(), []

    def write() -> None:
        with db.unit_of_work() as session:
            session.execute(text("INSERT INTO scratch DEFAULT VALUES"))
            inside.set()
            release.wait(5)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(5)
        with turns.paused(timeout=0.05) as taken:
            paused.append(taken)  # the writer is still in its transaction: not taken
        release.set()
        writer.join(5)
        with turns.paused(timeout=5) as taken:
            paused.append(taken)
            with db.session(write=False) as session:  # the row is committed
                assert session.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 1
        assert paused == [False, True]
    finally:
        release.set()
        writer.join(5)
        db.dispose()


def test_a_writer_that_finds_the_database_locked_is_told_it_is_busy(tmp_path: Path):
    """Another process holds the write lock past the busy timeout: the ``BEGIN IMMEDIATE`` our
    begin event sends to the driver fails as SQLAlchemy's ``OperationalError`` (what the edge
    answers as 503 ``database_busy``), and the writer's turn is given back."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from app.web.edge.units import is_busy

    path = tmp_path / "busy.db"
    db = Database(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with db.unit_of_work() as session:
            session.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
        other.execute("BEGIN IMMEDIATE")
        connection = db.write_engine.connect()
        try:
            connection.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
            with pytest.raises(OperationalError) as raised:
                connection.begin()
            assert isinstance(raised.value.orig, sqlite3.OperationalError) and is_busy(raised.value)
        finally:
            connection.close()
        assert db.writer_turns is not None and not db.writer_turns.held()
    finally:
        other.close()
        db.dispose()
