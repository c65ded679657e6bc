"""SQLite's WAL checkpoints, off the request path.

In WAL mode every commit appends to the log; a checkpoint copies the log back into the
database file. Left to SQLite, the commit that crosses ``wal_autocheckpoint`` pages runs the
checkpoint itself and its request waits for it (about 30 ms at 8,000 pages, once in some 700
completions: ``scripts/simulate_projects.py``'s worst step). A service's connections turn the
automatic checkpoint off and a :class:`Checkpointer` thread runs PASSIVE checkpoints on a
connection of its own once the log has grown past a threshold: they copy what no reader still
needs, never wait for a reader or a writer, and writers go on appending meanwhile. Once the whole
log is copied, the next writer starts it again from the beginning.

How long the log is since it last started again is read from the ``-wal`` file itself: its
header's salts, and a binary search for the last frame that carries them (SQLite's documented
format, https://www.sqlite.org/walformat.html). Not the file's size: a log started again keeps
it, so a size test once past the threshold would checkpoint every turn from then on, each on a
new connection that parses the whole schema again. And never the ``-shm`` file: SQLite's
connections hold POSIX locks on it, and closing any other descriptor of it in this process
would drop them all (https://www.sqlite.org/howtocorrupt.html, 2.2); the ``-wal`` file carries
no lock.

One thread per database and process, started on first use in the process that uses it (a
forked server process starts its own, and so does a database used again after ``dispose``),
stopped when the database is disposed or collected.
"""
from __future__ import annotations

import logging
import os
import sqlite3
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
#: how long stopping waits for a checkpoint in progress (a pass over 32 MB takes well under a second)
STOP_WAIT_S = 30.0
#: the log's header, and each frame's before its page: the salts at 16–23 and 8–15 (big-endian)
_LOG_HEADER, _FRAME_HEADER = 32, 24

#: (salts of the log's present start, frames written since it started, bytes a frame)
LogState = tuple[bytes, int, int]


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on one SQLite file from a daemon thread."""

    def __init__(self, path: Path, *, interval: float = INTERVAL_S, threshold: int = THRESHOLD_BYTES,
                 writers_paused: Callable[[], AbstractContextManager[bool]] | None = None) -> None:
        self.path = path
        self.wal = Path(f"{path}-wal")
        #: has this process's writers wait (the context says whether they do) while the log's tail is copied
        self.writers_paused = writers_paused
        self.interval = interval
        self.threshold = threshold
        self.checkpoints = 0  # how many ran (read by the tests and benchmarks)
        self._copied_whole: LogState | None = None  # the log as the last checkpoint left it, all copied
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _running(self) -> bool:
        return (self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()
                and not self._stop.is_set())

    def ensure_running(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._running():
            return
        with self._lock:
            if self._running():
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(target=_run, args=(weakref.ref(self), self._stop, self.interval),
                                            name="sqlite-checkpoint", daemon=True)
            self._pid = os.getpid()
            self._thread.start()

    def stop(self, wait: float = STOP_WAIT_S) -> None:
        """Stop the thread; wait up to ``wait`` seconds for a checkpoint it is running to end, so
        that once the database is disposed nothing of this process writes its file (a copy of
        it taken then is whole)."""
        self._stop.set()
        thread = self._thread
        if (thread is not None and wait > 0 and self._pid == os.getpid()
                and thread is not threading.current_thread()):
            thread.join(wait)
            if thread.is_alive():
                log.warning("SQLite 日志检查点线程 %.0f 秒内未结束：%s", wait, self.path)

    def due(self) -> bool:
        """Whether the log has grown past the threshold since it last started again, unless the
        last checkpoint copied all of it and nothing was written since. While writers keep
        appending, the log starts again only once a checkpoint has copied it whole: so, once past
        the threshold, every turn checkpoints until one has."""
        state = self.log_state()
        return state is not None and self.log_bytes(state) >= self.threshold and state != self._copied_whole

    def log_bytes(self, state: LogState | None = None) -> int:
        """Bytes the log holds since it last started again (0 with no log)."""
        state = state if state is not None else self.log_state()
        return 0 if state is None else state[1] * state[2]

    def log_state(self) -> LogState | None:
        """The log's salts, how many frames carry them (those written since it last started
        again: later frames are an earlier start's), found by a binary search on the frames'
        headers, and the bytes of a frame; None with no log. Read while a writer appends, the
        count may miss its last frames: the next turn reads it again."""
        try:
            fd = os.open(self.wal, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            header = os.pread(fd, _LOG_HEADER, 0)
            if len(header) < _LOG_HEADER:
                return None
            salts, frame = header[16:24], int.from_bytes(header[8:12], "big") + _FRAME_HEADER
            low, high = 0, max(0, (os.fstat(fd).st_size - _LOG_HEADER) // frame)
            while low < high:  # frames before ``low`` carry the salts, from ``high`` on none does
                middle = (low + high) // 2
                if os.pread(fd, 8, _LOG_HEADER + middle * frame + 8) == salts:
                    low = middle + 1
                else:
                    high = middle
            return salts, low, frame
        finally:
            os.close(fd)

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
            if self.writers_paused is None or result is None or result[0] != 0:
                self._note_copied_whole(result)
                return result
            # and the rest with no writer of this process between: a writer that began during a
            # pass appends after the log's end even once the pass has copied all it saw
            with self.writers_paused() as paused:
                if paused:
                    result = _passive(connection)
                self._note_copied_whole(result)
            return result
        except sqlite3.OperationalError as err:  # another process's checkpoint holds the lock: next time
            log.debug("checkpoint skipped: %s", err)
            return None
        finally:
            connection.close()

    def _note_copied_whole(self, result: tuple[int, int, int] | None) -> None:
        """Remember the log as it is if the pass copied all of it: not due again until written."""
        state = self.log_state()
        if result is not None and result[0] == 0 and result[1] == result[2] and state is not None \
                and state[1] == result[1]:
            self._copied_whole = state

    def _tail_left(self, result: tuple[int, int, int] | None) -> bool:
        """Whether the log holds pages the pass did not copy: it stopped short (a reader's
        snapshot), or writers appended after it began (its own figures cannot say that)."""
        if result is None or result[0] != 0:
            return False
        state = self.log_state()
        return result[1] > result[2] or (state is not None and state[1] > result[1])


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
