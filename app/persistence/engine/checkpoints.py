"""SQLite's WAL checkpoints, off the request path.

In WAL mode every commit appends to the log; a checkpoint copies the log back into the
database file. Left to SQLite, the commit that crosses ``wal_autocheckpoint`` pages runs the
checkpoint itself and its request waits for it (about 30 ms at 8,000 pages, once in some 700
completions: ``scripts/simulate_projects.py``'s worst step). A service's connections turn the
automatic checkpoint off and a :class:`Checkpointer` thread runs a PASSIVE checkpoint on a
connection of its own whenever the log has grown past a threshold: it copies what no reader
still needs, never waits for a reader or a writer, and writers go on appending meanwhile. Once
the whole log is copied, the next writer starts it again from the beginning.

How much of the log is still to copy is read from the wal-index header in the ``-shm`` file
(its frame count and how many of them are already back in the database: the layout is SQLite's
documented file format, https://www.sqlite.org/walformat.html). The log file's size cannot say
it: a log started again keeps its size, so a size test once past the threshold would checkpoint
every turn from then on, each on a new connection that parses the whole schema again.

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

    def __init__(self, path: Path, *, interval: float = INTERVAL_S, threshold: int = THRESHOLD_BYTES) -> None:
        self.path = path
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
        backlog = self.backlog_bytes()
        return backlog is not None and backlog >= self.threshold

    def backlog_bytes(self) -> int | None:
        """Bytes of log not yet copied back into the database, read from the wal-index header
        (never a lock nor a connection); None when there is no log. A header read while a writer
        changes it may be off by one commit: the next turn reads it again."""
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
        page_size = 65_536 if page_size == 1 else page_size
        return max(0, last_frame - copied) * (page_size + _FRAME_HEADER)

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint: (busy, pages in the log, pages copied), or None if the file is gone."""
        try:
            # mode=rw: never create a database that is no longer there
            connection = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=0,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.OperationalError:
            return None
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
            return (int(row[0]), int(row[1]), int(row[2])) if row else None
        except sqlite3.OperationalError as err:  # another process's checkpoint holds the lock: next time
            log.debug("checkpoint skipped: %s", err)
            return None
        finally:
            connection.close()


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
