"""``oneseal worker`` without a broker: runs the jobs of :mod:`app.jobs` in process.

Each pass scans the database for work — due timers, deadlines due to move, due outbox
messages, and once a working day the efficiency supervision (效能监察) — and runs each job in its own unit of work, so one failing case never holds up the
others. Several workers may run against one database: each job locks and re-reads what it
changes, so a timer fires once, a warning or escalation happens once, and a message is taken by
one worker at a time. A job that fails is recorded as an incident (``incidents`` table) and
found again by the next pass until it succeeds; it is never dropped. SIGINT/SIGTERM finish the
current job and stop.

With ``ONESEAL_BROKER_URL`` the same jobs run as Celery tasks instead (:mod:`app.jobs.broker`).
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from app.jobs import cases, figures, outbox, push, supervision
from app.jobs.context import JobContext
from app.jobs.handlers import Handlers
from app.jobs.runs import JobFailed
from app.persistence.engine.db import Database
from app.services.clock.deadlines import OVERDUE, WARNING
from app.services.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class PassReport:
    timers: int = 0
    warnings: int = 0
    overdue: int = 0
    delivered: int = 0
    failures: int = 0
    #: what the day's efficiency supervision did, when it ran in this pass
    supervision: str = ""
    #: licences whose term ended, marked expired (到期失效)
    expired: int = 0
    #: roll-up rows of the figures computed again where changes had marked them
    figures: int = 0
    #: supervision-push deliveries made (监管推送)
    pushed: int = 0

    def __str__(self) -> str:
        return (f"定时事件 {self.timers} 个，预警 {self.warnings} 件，超期督办 {self.overdue} 件，"
                f"消息投递 {self.delivered} 条，监管推送 {self.pushed} 条，证照到期 {self.expired} 件，统计更新 {self.figures} 行，失败 {self.failures} 项"
                + (f"；{self.supervision}" if self.supervision else ""))


class Worker:
    def __init__(self, db: Database, runtime: Runtime, *, batch: int = 500,
                 handlers: Handlers | None = None) -> None:
        self.ctx = JobContext(db, runtime) if handlers is None else JobContext(db, runtime, handlers)
        self.batch = batch
        self.stopping = threading.Event()
        #: run_forever's push thread delivers the supervision push; a pass then leaves it alone
        self.pushing = False

    def run_pass(self) -> PassReport:
        report = PassReport()
        for case_id in cases.cases_with_due_timers(self.ctx, self.batch):
            if self.stopping.is_set():
                return report
            report.timers += self._job(report, lambda: cases.fire_timers(self.ctx, case_id)) is True
        for case_id in cases.cases_to_check(self.ctx, self.batch):
            if self.stopping.is_set():
                return report
            state = self._job(report, lambda: cases.check_deadline(self.ctx, case_id))
            report.warnings += state == WARNING
            report.overdue += state == OVERDUE
        for message_id in outbox.due_messages(self.ctx, self.batch):
            if self.stopping.is_set():
                return report
            report.delivered += self._job(report, lambda: outbox.deliver(self.ctx, message_id)) is True
        if not self.stopping.is_set() and not self.pushing:
            pushed, failed = push.deliver_due(self.ctx, self.batch, self.stopping)
            report.pushed, report.failures = pushed, report.failures + failed
        if not self.stopping.is_set():
            report.figures = self._job(report, lambda: figures.refresh_figures(self.ctx)) or 0
        if not self.stopping.is_set() and supervision.due(self.ctx):  # after the deadlines moved
            report.supervision = self._job(report, lambda: supervision.supervise(self.ctx)) or ""
        if not self.stopping.is_set():
            report.expired = self._job(report, lambda: supervision.expire_licences(self.ctx)) or 0
        return report

    @staticmethod
    def _job(report: PassReport, job: Callable[[], T]) -> T | None:
        try:
            return job()
        except JobFailed:  # kept as an incident; the next pass finds the work again
            report.failures += 1
        except Exception:  # e.g. the database unreachable for a moment: the next pass finds the work
            log.exception("worker job failed before its failure could be recorded")
            report.failures += 1
        return None

    def run_forever(self, interval: float) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        # the supervision push runs beside the passes, looking every few hundred milliseconds, so
        # an approval reaches its department within a second or two, whatever the pass interval
        pusher = threading.Thread(target=push.run_loop, args=(self.ctx, self.stopping), name="oneseal-push",
                                  daemon=True)
        pusher.start()
        self.pushing = True
        while not self.stopping.is_set():
            try:
                log.info("worker pass: %s", self.run_pass())
            except Exception:  # the scan could not read the database: try again next time
                log.exception("worker pass failed")
            self.stopping.wait(interval)
        pusher.join(timeout=30)
