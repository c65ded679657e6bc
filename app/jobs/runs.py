"""One job in its own unit of work. A failure is rolled back, kept as an incident in a
transaction of its own (visible after a few in a row), and raised as :class:`JobFailed` for
the runner to retry; a success resolves the job's incident in the job's own transaction."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from app.jobs.context import JobContext
from app.observability import metrics
from app.persistence.background.incidents import record_failure, record_success

log = logging.getLogger(__name__)
T = TypeVar("T")


class JobFailed(Exception):
    """A job failed; its incident is recorded. ``attempts``: failures in a row so far."""

    def __init__(self, kind: str, key: int | None, cause: BaseException, attempts: int) -> None:
        super().__init__(f"{kind} {key}: {type(cause).__name__}: {cause}")
        self.kind, self.key, self.cause, self.attempts = kind, key, cause, attempts


def describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def run_case_job(ctx: JobContext, kind: str, case_id: int | None,
                 action: Callable[[Session, datetime], T]) -> T:
    """``action(session, now)`` for one case (None: a job of the whole bureau) in one unit of work."""
    now = ctx.now()
    try:
        with ctx.db.unit_of_work() as session:
            result = action(session, now)
            record_success(session, kind, case_id, now)
        metrics.job_finished(kind, True)  # counted once the job's unit has committed
        return result
    except Exception as err:  # background work must go on: the failure is kept, then raised
        metrics.job_finished(kind, False)
        log.exception("job %s for case %s failed", kind, case_id)
        attempts = keep_failure(ctx, kind, err, now, case_id=case_id)
        raise JobFailed(kind, case_id, err, attempts) from err


def keep_failure(ctx: JobContext, kind: str, err: BaseException, now: datetime, *,
                 case_id: int | None = None, outbox_id: int | None = None, message: str | None = None) -> int:
    """Record the failure as an incident in a transaction of its own; the failures in a row."""
    try:
        with ctx.db.unit_of_work() as session:
            incident = record_failure(session, kind, case_id, message or describe(err), now, outbox_id=outbox_id)
            return incident.attempts
    except Exception:
        log.exception("could not record the failure of job %s (case %s, outbox %s)", kind, case_id, outbox_id)
        return 0
