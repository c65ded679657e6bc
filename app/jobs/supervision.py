"""The day's efficiency supervision (效能监察) as a job: run once a working day, whoever asks
first (the in-process worker's pass, or Celery beat's hourly scan); a ``supervision_runs`` row
makes it once a day across workers."""
from __future__ import annotations

from app.jobs.context import JobContext
from app.jobs.runs import JobFailed, keep_failure
from app.observability import metrics
from app.persistence.incidents import record_success
from app.services.statistics.supervision import run_daily_supervision, supervision_due

SUPERVISION = "supervision"


def due(ctx: JobContext) -> bool:
    with ctx.db.session(write=False) as session:
        return supervision_due(session, ctx.runtime, ctx.now())


def supervise(ctx: JobContext) -> str:
    """Run today's supervision (if not run yet); what it did, in Chinese."""
    now = ctx.now()
    try:
        with ctx.db.unit_of_work() as session:
            done = run_daily_supervision(session, runtime=ctx.runtime, now=now)
            record_success(session, SUPERVISION, None, now)
        metrics.job_finished(SUPERVISION, True)
        return str(done) if done is not None else ""
    except Exception as err:  # kept as an incident; the next pass or scan tries again
        metrics.job_finished(SUPERVISION, False)
        attempts = keep_failure(ctx, SUPERVISION, err, now)
        raise JobFailed(SUPERVISION, 0, err, attempts) from err
