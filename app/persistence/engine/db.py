"""Database wiring: engines, sessions and the schema, for SQLite and PostgreSQL.

SQLite runs in WAL mode. Writers open their transaction with ``BEGIN IMMEDIATE`` so two
writers queue on the busy timeout instead of failing with "database is locked" when one
upgrades a read lock; readers use a second engine with plain deferred transactions. A service
(``background_checkpoints``) checkpoints the log from a thread of its own instead of in the
commit that fills it (:mod:`app.persistence.engine.checkpoints`).
On PostgreSQL both are the same engine. The edge (web request, CLI command) owns commits.
The schema is made and changed by the migrations only (``app/persistence/engine/migrate.py``).
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.observability import metrics
from app.persistence.engine import commit_hooks
from app.persistence.engine.checkpoints import Checkpointer
from app.persistence.engine.prepared import execute_plain

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: WAL pages (4 KB each) after which a commit checkpoints the log back into the database
SQLITE_CHECKPOINT_PAGES = 8_000

def _sqlite_engine(url: str, *, turns: WriterTurns | None, autocheckpoint: int) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15},
                           pool_size=8, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Without a background checkpointer: checkpoint at 32 MB of WAL rather than 4 MB: a
        # completion rewrites the same hot pages (index leaves, the cases' pages) again and
        # again, and one checkpoint copies each once. A completion that runs a checkpoint waits
        # for it (about 30 ms at this size, once in some 700 completions instead of 7 ms once in
        # 30): the p99 of a completion halves (scripts/bench_engine.py). With one (a service):
        # 0, no commit ever checkpoints; the thread does.
        cursor.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
        cursor.close()

    if turns is None:  # the readers
        @event.listens_for(engine, "begin")
        def _on_begin_read(connection: Any) -> None:
            execute_plain(connection, "BEGIN")
        return engine

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        turns.take(connection.info)
        try:
            execute_plain(connection, "BEGIN IMMEDIATE")
        except BaseException:
            turns.give_back(connection.info)
            raise

    # Given back when the connection returns to the pool, after its COMMIT or ROLLBACK has run
    # (a session returns it at the end of each transaction): the engine's "commit" and
    # "rollback" events come before the statement, and a writer let in then would find the
    # database still locked and sleep in SQLite's busy handler.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        turns.give_back(record.info)

    return engine


class WriterTurns:
    """The writers of one process take turns on a lock before ``BEGIN IMMEDIATE``.

    SQLite makes a writer that finds the database locked sleep and try again (1, 2, 5 … then
    100 ms at a time, up to the busy timeout), so with several threads writing a request can
    lose its turn again and again and wait hundreds of milliseconds. Waiting on a lock of the
    process instead, each writer is woken as soon as the one before it commits. Writers of
    other processes still queue on SQLite's busy timeout. The turn is held from BEGIN until the
    connection is back in the pool, after its COMMIT or ROLLBACK (SQLite's write lock is held
    until then anyway). The background checkpoint takes it too, for the short last pass that
    lets the log start again (:meth:`paused`).
    """

    _HELD = "oneseal_writer_turn"

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def take(self, info: dict[str, Any]) -> None:
        if info.get(self._HELD):
            return
        if not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        info[self._HELD] = True

    def give_back(self, info: dict[str, Any]) -> None:
        if info.pop(self._HELD, False):
            self._lock.release()

    def held(self) -> bool:
        return self._lock.locked()

    @contextmanager
    def paused(self, timeout: float = 1.0) -> Iterator[bool]:
        """No writer of this process begins while held (True), once the one writing now has
        committed; False if that took longer than ``timeout`` (nothing is held then)."""
        taken = self._lock.acquire(timeout=timeout)
        try:
            yield taken
        finally:
            if taken:
                self._lock.release()


class Database:
    """Owns the engines and session factories of one database URL.

    ``background_checkpoints`` (SQLite files): no commit checkpoints the log; a thread of this
    process does, started on the first session (see :mod:`app.persistence.engine.checkpoints`).
    """

    def __init__(self, url: str, *, background_checkpoints: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.checkpointer: Checkpointer | None = None
        self.writer_turns: WriterTurns | None = None  # SQLite: this process's writers, one at a time
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            turns = self.writer_turns = WriterTurns()
            if background_checkpoints and path and path != ":memory:" and "mode=memory" not in path:
                self.checkpointer = Checkpointer(Path(path), writers_paused=turns.paused)
            autocheckpoint = 0 if self.checkpointer is not None else SQLITE_CHECKPOINT_PAGES
            self.write_engine = _sqlite_engine(url, turns=turns, autocheckpoint=autocheckpoint)
            self.read_engine = _sqlite_engine(url, turns=None, autocheckpoint=autocheckpoint)
        else:
            self.write_engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self.read_engine = self.write_engine
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        commit_hooks.install(self._writer)
        commit_hooks.install(self._reader)
        self._pools = [_CountedPool("write" if self.is_sqlite else "main", self.write_engine)]
        if self.is_sqlite:
            self._pools.append(_CountedPool("read", self.read_engine))

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        if self.checkpointer is not None:
            self.checkpointer.ensure_running()
        return (self._writer if write else self._reader)()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A write transaction: commit on success, roll back on any error."""
        session = self.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def create_schema(self) -> None:
        """Bring the schema to the newest migration (``oneseal db upgrade``): the tables of an
        empty database, what is missing in an older one."""
        from app.persistence.engine.migrate import upgrade

        upgrade(self.url)

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        for counted in self._pools:
            counted.closed()
            counted.engine.dispose()


class _CountedPool:
    """Connections in use and the pool's size, for ``/metrics`` (summed over live processes).
    The size counts from the first connection taken until the pool is disposed."""

    def __init__(self, name: str, engine: Engine) -> None:
        self.name, self.engine, self.counted_size = name, engine, 0
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _checkout(self, *_: Any) -> None:
        if not self.counted_size:
            size = getattr(self.engine.pool, "size", None)
            self.counted_size = size() if callable(size) else 1
            metrics.pool_opened(self.name, self.counted_size)
        metrics.pool_connection_checked_out(self.name)

    def _checkin(self, *_: Any) -> None:
        metrics.pool_connection_checked_in(self.name)

    def closed(self) -> None:
        if self.counted_size:
            metrics.pool_closed(self.name, self.counted_size)
            self.counted_size = 0
