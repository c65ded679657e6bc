"""SQLite's WAL checkpoints, off the request path.

In WAL mode every commit appends to the log; a checkpoint copies the log back into the
database file. Left to SQLite, the commit that crosses ``wal_autocheckpoint`` pages runs the
checkpoint itself and its request waits for it (about 30 ms at 8,000 pages, once in some 700
completions: ``scripts/simulate_projects.py``'s worst step). A service's connections turn the
automatic checkpoint off and a :class:`Checkpointer` thread runs a PASSIVE checkpoint on a
connection of its own whenever the log has grown past a threshold: it copies what no reader
still needs, never waits for a reader or a writer, and writers go on appending meanwhile. Once
the whole log is copied, the next writer starts it again from the beginning.

How long the log is and how much of it is still to copy are read from the wal-index header in
the ``-shm`` file (its frame count and how many of them are already back in the database: the
layout is SQLite's documented file format, https://www.sqlite.org/walformat.html). The log
file's size cannot say it: a log started again keeps its size, so a size test once past the
threshold would checkpoint every turn from then on, each on a new connection that parses the
whole schema again, with nothing to copy.

One thread per database and process, started on first use in the process that uses it (a
forked server process starts its own), stopped when the database is disposed or collected.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import struct
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

log = logging.getLogger(__name__)

#: check the log this often…
INTERVAL_S = 0.25
#: …and checkpoint once it holds this many bytes: 8,000 pages of 4 KB, as the automatic
#: checkpoint did (a completion rewrites the same hot pages again and again; a checkpoint copies
#: each once, so fewer, larger checkpoints copy less in all)
THRESHOLD_BYTES = 8_000 * 4096
#: the wal-index header's first copy: the page size (u16 at 14; 1 means 65,536) and the last
#: valid frame (u32 at 16); the checkpoint info after both copies: frames copied back (u32 at 96),
#: all in the machine's byte order
_PAGE_SIZE_AT, _LAST_FRAME_AT, _COPIED_AT, _HEADER_BYTES = 14, 16, 96, 100
#: each frame of the log: a 24-byte header before its page
_FRAME_HEADER = 24


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on one SQLite file from a daemon thread."""

    def __init__(self, path: Path, *, interval: float = INTERVAL_S, threshold: int = THRESHOLD_BYTES,
                 writers_paused: Callable[[], AbstractContextManager[bool]] | None = None) -> None:
        self.path = path
        #: has this process's writers wait (the context says whether they do) while the log's tail is copied
        self.writers_paused = writers_paused
        self.shm = Path(f"{path}-shm")
        self.interval = interval
        self.threshold = threshold
        self.checkpoints = 0  # how many ran (read by the tests and benchmarks)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(target=_run, args=(weakref.ref(self), self._stop, self.interval),
                                            name="sqlite-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def due(self) -> bool:
        """Whether the log has grown past the threshold since it last started again, and still
        holds pages not copied back. While a writer keeps appending, a PASSIVE checkpoint ends
        a few pages short of the log's end, and the log starts again only once one copies it
        all: so, once past the threshold, every turn checkpoints until one does."""
        log_state = self.log_state()
        return log_state is not None and log_state[0] >= self.threshold and log_state[1] > 0

    def backlog_bytes(self) -> int | None:
        """Bytes of log not yet copied back into the database; None when there is no log."""
        log_state = self.log_state()
        return None if log_state is None else log_state[1]

    def log_state(self) -> tuple[int, int] | None:
        """(bytes in the log since it last started again, bytes of them not yet copied back),
        read from the wal-index header (never a lock nor a connection); None when there is no
        log. A header read while a writer changes it may be off by one commit: the next turn
        reads it again."""
        try:
            with self.shm.open("rb") as shm:
                header = shm.read(_HEADER_BYTES)
        except FileNotFoundError:
            return None
        if len(header) < _HEADER_BYTES:
            return None
        (page_size,) = struct.unpack_from("=H", header, _PAGE_SIZE_AT)
        (last_frame,) = struct.unpack_from("=I", header, _LAST_FRAME_AT)
        (copied,) = struct.unpack_from("=I", header, _COPIED_AT)
        frame = (65_536 if page_size == 1 else page_size) + _FRAME_HEADER
        return last_frame * frame, max(0, last_frame - copied) * frame

    def checkpoint(self) -> tuple[int, int, int] | None:
        """Copy the log back: (busy, pages in the log, pages copied) of the last pass, or None if
        the file is gone or another checkpoint holds it.

        PASSIVE passes while writers go on, each copying what was there when it began; what the
        writers appended meanwhile is copied by a last pass while this process's writers wait
        for their turn (:class:`~app.persistence.engine.db.WriterTurns`): a short tail, copied in
        a few milliseconds, once per threshold of log. The next writer then finds the log copied
        whole and starts it again. Without that pass a writer that never pauses for as long as a
        pass takes would never find it so, and the log's file would grow without end."""
        try:
            # mode=rw: never create a database that is no longer there
            connection = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=0,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.OperationalError:
            return None
        try:
            self.checkpoints += 1
            result = _passive(connection)  # the bulk, while writers go on
            if self._tail_left(result):
                result = _passive(connection)  # what they appended meanwhile
            if self.writers_paused is not None and result is not None and result[0] == 0:
                # and the rest with no writer of this process between: a writer that began
                # during a pass appends after the log's end even once the pass has copied it all
                with self.writers_paused() as paused:
                    if paused:
                        result = _passive(connection)
            return result
        except sqlite3.OperationalError as err:  # another process's checkpoint holds the lock: next time
            log.debug("checkpoint skipped: %s", err)
            return None
        finally:
            connection.close()


    def _tail_left(self, result: tuple[int, int, int] | None) -> bool:
        """Whether the log holds pages the pass did not copy: it stopped short (a reader's
        snapshot), or writers appended after it began (its own figures cannot say that)."""
        if result is None or result[0] != 0:
            return False
        log_state = self.log_state()
        return result[1] > result[2] or (log_state is not None and log_state[1] > 0)


def _passive(connection: sqlite3.Connection) -> tuple[int, int, int] | None:
    # every row read: the statement ends and holds no read lock on the log (which would keep
    # the next writer from starting it again)
    rows = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return (int(rows[0][0]), int(rows[0][1]), int(rows[0][2])) if rows else None


def _run(ref: weakref.ref[Checkpointer], stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        checkpointer = ref()
        if checkpointer is None:  # its database was collected
            return
        try:
            if checkpointer.due():
                checkpointer.checkpoint()
        except Exception:  # never let the thread die: the next turn tries again
            log.exception("background checkpoint failed")
        del checkpointer
