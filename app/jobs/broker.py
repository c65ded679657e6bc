"""The Celery runner (``ONESEAL_BROKER_URL``, Redis): the jobs of :mod:`app.jobs` as tasks.

Celery beat sends the scans (``scan_timers``, ``scan_deadlines``, ``scan_outbox``) every few
seconds; a scan reads the due work from the database and sends one task per case or message,
once while it is under way (:mod:`app.jobs.claims`). Tasks are acknowledged after they run
(``acks_late``) and given back when their worker dies (``reject_on_worker_lost``), so a killed
worker's job is done by another; a lost message is found again by the next scan once its claim
ends. A per-case job that fails is retried after base·2ⁿ seconds, up to ``job_max_retries``
times, each failure counted on its incident (visible after a few in a row); then it waits for
the next scan. A message's delivery keeps its own backoff in the outbox row. Nothing is dropped.

Each worker process builds its own database engines and runtime on its first task.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import redis
from celery import Celery, Task

from app.config import Settings
from app.jobs import cases, figures, outbox, push, supervision
from app.jobs.claims import Claims
from app.jobs.context import JobContext, build_context
from app.jobs.runs import JobFailed

log = logging.getLogger(__name__)

SCAN_TIMERS, SCAN_DEADLINES, SCAN_OUTBOX = "oneseal.scan_timers", "oneseal.scan_deadlines", "oneseal.scan_outbox"
#: an auditor's scenario run (app/scenarios/runs.execute_run), sent when the run is asked for
SCENARIO_RUN = "oneseal.scenario_run"
#: the bureau's jobs: beat asks hourly; licences expire, and the day's supervision runs once a working day
SUPERVISE = "oneseal.supervise"
#: the roll-ups of the figures that changes have marked, computed again (beat)
REFRESH_FIGURES = "oneseal.refresh_figures"
FIRE_TIMERS, CHECK_DEADLINE, DELIVER = "oneseal.fire_timers", "oneseal.check_deadline", "oneseal.deliver"
#: the supervision push: a scan of due deliveries (beat, and the web process after a commit that
#: wrote some), and one attempt at one delivery
SCAN_PUSH, DELIVER_PUSH = "oneseal.scan_push", "oneseal.deliver_push"


def retry_delay(retries: int, settings: Settings) -> int:
    """Seconds before retry number ``retries + 1``: base·2^retries, at most the max."""
    return int(min(settings.job_retry_max_seconds, settings.job_retry_base_seconds * 2 ** min(retries, 30)))


class Runner:
    """One Celery app with its tasks, the context they run in, and their claims."""

    def __init__(self, settings: Settings, context: Callable[[], JobContext] | None = None) -> None:
        if not settings.broker_url:
            raise ValueError("ONESEAL_BROKER_URL is not set")
        self.settings = settings
        self._make_context = context or (lambda: build_context(settings))
        self._context: JobContext | None = None
        self._claims: Claims | None = None
        self._pid = 0
        self._sandboxes: Any = None
        self._sandbox_pid = 0
        self._lock = threading.Lock()
        self.app = celery_app(settings)
        self._define_tasks()

    @property
    def ctx(self) -> JobContext:
        with self._lock:
            if self._context is None:
                self._context = self._make_context()
            return self._context

    @property
    def sandboxes(self) -> Any:
        """The scenario sandboxes of this worker process (templates kept between runs)."""
        with self._lock:
            if self._sandboxes is None or self._sandbox_pid != os.getpid():
                from app.scenarios.running.sandbox import SandboxFactory

                ctx = self._context or self._make_context()
                self._context = ctx
                self._sandboxes = SandboxFactory(ctx.runtime, ctx.db.url,
                                                 ctx.runtime.settings.instance_dir / "sandboxes")
                self._sandbox_pid = os.getpid()
            return self._sandboxes

    @property
    def claims(self) -> Claims:
        with self._lock:
            if self._claims is None or self._pid != os.getpid():
                client = redis.Redis.from_url(self.settings.broker_url)
                self._claims = Claims(client, self.settings.broker_prefix, self.settings.job_claim_seconds)
                self._pid = os.getpid()
            return self._claims

    def _define_tasks(self) -> None:
        # shared=False: Celery would otherwise lend these tasks (and this runner's context) to
        # every Celery app made later in the process
        app, settings = self.app, self.settings

        def scan(job: str, found: Callable[[JobContext], list[int]], task: Task) -> int:
            sent = 0
            for key in found(self.ctx):
                if self.claims.claim(job, key):
                    try:
                        task.apply_async((key,))
                    except Exception:
                        self.claims.release(job, key)
                        raise
                    sent += 1
            return sent

        def case_job(task: Task, job: str, case_id: int, run: Callable[[JobContext, int], Any]) -> Any:
            try:
                result = run(self.ctx, case_id)
            except JobFailed as failed:
                retries = task.request.retries
                if retries < settings.job_max_retries:
                    delay = retry_delay(retries, settings)
                    self.claims.hold(job, case_id, delay + settings.job_claim_seconds)
                    raise task.retry(countdown=delay, exc=failed.cause, max_retries=settings.job_max_retries)
                # out of retries: the incident is open; the next scan after this starts over
                log.error("job %s for case %s failed %s times; the next scan tries again", job,
                          case_id, retries + 1)
                self.claims.hold(job, case_id, settings.job_retry_max_seconds)
                return None
            self.claims.release(job, case_id)
            return result

        @app.task(name=FIRE_TIMERS, bind=True, shared=False)
        def fire_timers(task: Task, case_id: int) -> bool | None:
            return case_job(task, cases.TIMER, case_id, cases.fire_timers)

        @app.task(name=CHECK_DEADLINE, bind=True, shared=False)
        def check_deadline(task: Task, case_id: int) -> str | None:
            return case_job(task, cases.DEADLINE, case_id, cases.check_deadline)

        @app.task(name=DELIVER, shared=False)
        def deliver(message_id: int) -> bool:
            try:
                return outbox.deliver(self.ctx, message_id)
            except JobFailed:
                return False  # the row keeps its attempts and its next time; the scan finds it then
            finally:
                self.claims.release(outbox.OUTBOX, message_id)

        @app.task(name=DELIVER_PUSH, shared=False)
        def deliver_push(delivery_id: int) -> bool | None:
            try:
                delivered = push.deliver(self.ctx, delivery_id)
            finally:
                self.claims.release(push.PUSH, delivery_id)
            if delivered:  # the next event of the same licence may be due now
                scan_push.apply_async(expires=settings.scan_outbox_seconds)
            return delivered

        @app.task(name=SCAN_PUSH, shared=False)
        def scan_push() -> int:
            return scan(push.PUSH, push.due_deliveries, deliver_push)

        @app.task(name=SCAN_TIMERS, shared=False)
        def scan_timers() -> int:
            return scan(cases.TIMER, cases.cases_with_due_timers, fire_timers)

        @app.task(name=SCAN_DEADLINES, shared=False)
        def scan_deadlines() -> int:
            return scan(cases.DEADLINE, cases.cases_to_check, check_deadline)

        @app.task(name=SCAN_OUTBOX, shared=False)
        def scan_outbox() -> int:
            return scan(outbox.OUTBOX, outbox.due_messages, deliver)

        @app.task(name=SUPERVISE, shared=False)
        def supervise() -> str:
            """Hourly: licences whose term ended marked expired, and the day's supervision once."""
            try:
                supervision.expire_licences(self.ctx)
                return supervision.supervise(self.ctx) if supervision.due(self.ctx) else ""
            except JobFailed:
                return ""  # kept as an incident; the next hour's scan tries again

        @app.task(name=REFRESH_FIGURES, shared=False)
        def refresh_figures() -> int:
            """The roll-ups changes have marked, computed again (one task at a time is enough:
            two at once take turns on the months' rows and the second finds little left)."""
            try:
                return figures.refresh_figures(self.ctx)
            except JobFailed:
                return 0  # kept as an incident; the next scan tries again

        @app.task(name=SCENARIO_RUN, shared=False)
        def scenario_run(run_id: int) -> None:
            """Run an auditor's scenario run: ``execute_run`` claims it by compare-and-set, so a
            message delivered twice runs it once; its own failures it records on the run."""
            from app.scenarios.workshop.runs import execute_run

            execute_run(self.ctx.db, self.ctx.runtime, self.sandboxes, run_id)

        self.fire_timers, self.check_deadline, self.deliver = fire_timers, check_deadline, deliver
        self.scenario_run = scenario_run
        self.deliver_push, self.scan_push = deliver_push, scan_push
        self.supervise = supervise
        self.refresh_figures = refresh_figures
        self.scan_timers, self.scan_deadlines, self.scan_outbox = scan_timers, scan_deadlines, scan_outbox


def celery_app(settings: Settings) -> Celery:
    """The Celery app of the settings: Redis broker, one queue, late acknowledgement, beat's scans."""
    prefix = settings.broker_prefix
    app = Celery("oneseal", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=prefix,
        task_ignore_result=True,
        # a task is acknowledged after it ran, and given back if its worker process dies
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"global_keyprefix": f"{prefix}:",
                                  "visibility_timeout": settings.broker_visibility_seconds},
        timezone="UTC",
        beat_schedule_filename=str(settings.instance_dir / f"{prefix}-beat-schedule"),
        beat_schedule={
            # a scan not run within its interval is dropped: the next one finds the same work
            "scan-timers": {"task": SCAN_TIMERS, "schedule": timedelta(seconds=settings.scan_timers_seconds),
                            "options": {"expires": settings.scan_timers_seconds}},
            "scan-deadlines": {"task": SCAN_DEADLINES, "schedule": timedelta(seconds=settings.scan_deadlines_seconds),
                               "options": {"expires": settings.scan_deadlines_seconds}},
            "scan-outbox": {"task": SCAN_OUTBOX, "schedule": timedelta(seconds=settings.scan_outbox_seconds),
                            "options": {"expires": settings.scan_outbox_seconds}},
            "scan-push": {"task": SCAN_PUSH, "schedule": timedelta(seconds=settings.scan_outbox_seconds),
                          "options": {"expires": settings.scan_outbox_seconds}},
            "refresh-figures": {"task": REFRESH_FIGURES,
                                "schedule": timedelta(seconds=settings.refresh_figures_seconds),
                                "options": {"expires": settings.refresh_figures_seconds}},
            "supervise": {"task": SUPERVISE, "schedule": timedelta(hours=1), "options": {"expires": 3600}},
        },
    )
    return app


def push_nudge(settings: Settings) -> Callable[[], None]:
    """For the web process: after a commit that wrote supervision-push deliveries, ask the
    workers to scan for them now rather than at beat's next scan (the message may be lost:
    the scan comes anyway)."""
    holder: dict[str, Celery] = {}

    def nudge() -> None:
        app = holder.get("app")
        if app is None:
            app = holder["app"] = celery_app(settings)
        app.send_task(SCAN_PUSH, queue=settings.broker_prefix, expires=settings.scan_outbox_seconds)
    return nudge


def run_worker(settings: Settings, *, beat: bool = False, concurrency: int | None = None,
               name: str | None = None, loglevel: str = "INFO") -> None:
    """Run a Celery worker until SIGTERM (a warm stop: the jobs under way finish first)."""
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    runner = Runner(settings)
    argv = ["worker", f"--loglevel={loglevel}", "--queues", settings.broker_prefix,
            "--hostname", name or f"oneseal-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if beat:
        argv.append("--beat")
    runner.app.worker_main(argv)


def run_beat(settings: Settings, *, loglevel: str = "INFO") -> None:
    """Run Celery beat alone: one per installation, whatever the number of workers."""
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    Runner(settings).app.start(["beat", f"--loglevel={loglevel}"])
