"""``oneseal worker``: fires due BPMN timers and moves deadlines to 预警 / 超期.

An edge like the web app and the CLI: it owns the transactions. Each job (one case's timers,
one case's deadline) is its own unit of work, so one failing case never holds up the others.
Several workers may run against one database: each job locks its case and re-reads it, so a
timer fires once and a warning or escalation happens once. A job that fails is retried on
every pass and recorded as an incident (``incidents`` table) until it succeeds; it is never
dropped. SIGINT/SIGTERM finish the current job and stop.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from app.persistence.db import Database
from app.persistence.incidents import record_failure, record_success
from app.services.certificates.expiry import expire_due
from app.services.clock.deadlines import (
    OVERDUE,
    WARNING,
    cases_to_check,
    check_deadline,
)
from app.services.runtime import Runtime
from app.services.stepping.timers import cases_with_due_timers, fire_due_timers

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    timers: int = 0
    warnings: int = 0
    overdue: int = 0
    failures: int = 0
    #: licences whose term ended, marked expired (到期失效)
    expired: int = 0

    def __str__(self) -> str:
        return (f"定时事件 {self.timers} 个，预警 {self.warnings} 件，超期督办 {self.overdue} 件，"
                f"证照到期 {self.expired} 件，失败 {self.failures} 项")


class Worker:
    def __init__(self, db: Database, runtime: Runtime, *, batch: int = 500) -> None:
        self.db = db
        self.runtime = runtime
        self.batch = batch
        self.threshold = runtime.settings.deadline_warning_days
        self.stopping = threading.Event()

    def run_pass(self) -> PassReport:
        report = PassReport()
        now = self.runtime.clock.now()
        with self.db.session(write=False) as session:
            timers = cases_with_due_timers(session, now, self.batch)
            deadlines = cases_to_check(session, self.runtime, now, self.threshold, self.batch)
        for case_id in timers:
            if self.stopping.is_set():
                return report
            fired = self._job("timer", case_id, report,
                              partial(fire_due_timers, runtime=self.runtime, case_id=case_id, now=now))
            report.timers += 1 if fired else 0
        for case_id in deadlines:
            if self.stopping.is_set():
                return report
            state = self._job("deadline", case_id, report,
                              partial(check_deadline, runtime=self.runtime, case_id=case_id, now=now,
                                      threshold=self.threshold))
            report.warnings += state == WARNING
            report.overdue += state == OVERDUE
        if not self.stopping.is_set():  # case 0: the registry's job, not a case's
            report.expired = self._job("certificate_expiry", 0, report, partial(expire_due, now=now)) or 0
        return report

    def _job(self, kind: str, case_id: int, report: PassReport, action: Callable[[Session], Any]) -> Any:
        now = self.runtime.clock.now()
        try:
            with self.db.unit_of_work() as session:
                result = action(session)
                record_success(session, kind, case_id, now)
            return result
        except Exception as err:  # background work must go on; the failure is kept, not dropped
            report.failures += 1
            log.exception("worker job %s for case %s failed", kind, case_id)
            try:
                with self.db.unit_of_work() as session:
                    record_failure(session, kind, case_id, f"{type(err).__name__}: {err}", now)
            except Exception:
                log.exception("could not record the failure of job %s for case %s", kind, case_id)
            return None

    def run_forever(self, interval: float) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        while not self.stopping.is_set():
            report = self.run_pass()
            log.info("worker pass: %s", report)
            self.stopping.wait(interval)
