"""The seam between asking for a scenario run and running it: a queue with one method, ``submit``.

The job itself is :func:`app.scenarios.workshop.runs.execute_run` ``(db, runtime, factory, run_id)``; it
finds everything it needs in the database (the queued run), claims it with a compare-and-set and
may be called by any executor, any number of times. Until the job engine of the operations work
(Celery, ``app/jobs``) takes it over, runs execute in the service's own process:

- :class:`ThreadRunQueue`: a bounded pool of threads (``ONESEAL_SCENARIO_WORKERS``, default 2),
  so runs queue and several auditors run at once without holding a web worker;
- :class:`InlineRunQueue`: at once in the caller's thread (tests, the command line);
- :class:`CeleryRunQueue`: with ``ONESEAL_BROKER_URL``, a message to the background workers
  (``oneseal.scenario_run`` of :mod:`app.jobs.broker`), so runs leave the web processes altogether.

Runs left ``queued`` by a stopped process (or whose message was lost) are submitted again by
:meth:`RunQueue.resume`, which the service calls at its first run request.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from app.persistence.audit import scenarios as scenario_store
from app.persistence.engine.db import Database
from app.scenarios.workshop.runs import close_stalled, execute_run
from app.scenarios.running.sandbox import SandboxFactory
from app.services.runtime import Runtime

log = logging.getLogger(__name__)
EXTENSION = "oneseal-scenario-runs"


class RunQueue(Protocol):
    factory: SandboxFactory

    def submit(self, run_id: int) -> None: ...

    def resume(self) -> None: ...


class _Base:
    def __init__(self, db: Database, runtime: Runtime) -> None:
        self.db = db
        self.runtime = runtime
        # sandboxes under the service's instance folder: its templates are kept between runs
        self.factory = SandboxFactory(runtime, db.url, runtime.settings.instance_dir / "sandboxes")
        self._resumed = False

    def _run(self, run_id: int) -> None:
        try:
            execute_run(self.db, self.runtime, self.factory, run_id)
        except Exception:  # execute_run records its own failures; this is the last guard of a worker thread
            log.exception("scenario run %s could not be recorded", run_id)

    def resume(self) -> None:
        """Close runs a stopped process left running; submit the queued ones again (once)."""
        if self._resumed:
            return
        self._resumed = True
        with self.db.unit_of_work() as session:
            close_stalled(session, self.runtime)
            queued = scenario_store.queued_runs(session)
        for run_id in queued:
            self.submit(run_id)

    def submit(self, run_id: int) -> None:
        raise NotImplementedError


class InlineRunQueue(_Base):
    def submit(self, run_id: int) -> None:
        self._run(run_id)


class ThreadRunQueue(_Base):
    def __init__(self, db: Database, runtime: Runtime, workers: int) -> None:
        super().__init__(db, runtime)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="oneseal-scenarios")

    def submit(self, run_id: int) -> None:
        self._pool.submit(self._run, run_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.factory.close()


class CeleryRunQueue(_Base):
    """Runs go to the Celery workers; only the message leaves this process."""

    def __init__(self, db: Database, runtime: Runtime) -> None:
        super().__init__(db, runtime)
        from app.jobs.broker import celery_app

        self._app = celery_app(runtime.settings)

    def submit(self, run_id: int) -> None:
        from app.jobs.broker import SCENARIO_RUN

        self._app.send_task(SCENARIO_RUN, args=(run_id,), queue=self.runtime.settings.broker_prefix)


_lock = threading.Lock()


def run_queue(extensions: dict[str, Any], db: Database, runtime: Runtime) -> RunQueue:
    """The queue of one service (kept in its Flask ``extensions``), made on first use."""
    with _lock:
        queue: RunQueue | None = extensions.get(EXTENSION)
        if queue is None:
            settings = runtime.settings
            mode = settings.scenario_jobs or ("inline" if settings.testing else
                                              "celery" if settings.broker_url else "thread")
            if mode == "inline":
                queue = InlineRunQueue(db, runtime)
            elif mode == "celery":
                queue = CeleryRunQueue(db, runtime)
            else:
                queue = ThreadRunQueue(db, runtime, settings.scenario_workers)
            extensions[EXTENSION] = queue
        return queue
