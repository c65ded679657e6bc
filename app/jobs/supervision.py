"""Jobs of the whole bureau, of no one case: the day's efficiency supervision (效能监察), run once
a working day whoever asks first (the in-process worker's pass, or Celery beat's hourly scan; a
``supervision_runs`` row makes it once a day across workers), and licences whose term ended
marked expired (到期失效)."""
from __future__ import annotations

from app.jobs.context import JobContext
from app.jobs.runs import run_case_job
from app.services.certificates.expiry import expire_due
from app.services.statistics.supervision import run_daily_supervision, supervision_due

SUPERVISION = "supervision"
EXPIRY = "certificate_expiry"


def due(ctx: JobContext) -> bool:
    with ctx.db.session(write=False) as session:
        return supervision_due(session, ctx.runtime, ctx.now())


def supervise(ctx: JobContext) -> str:
    """Run today's supervision (if not run yet); what it did, in Chinese."""
    done = run_case_job(ctx, SUPERVISION, None,
                        lambda session, now: run_daily_supervision(session, runtime=ctx.runtime, now=now))
    return str(done) if done is not None else ""


def expire_licences(ctx: JobContext) -> int:
    """Licences whose term has ended, marked expired; how many."""
    return run_case_job(ctx, EXPIRY, None, lambda session, now: expire_due(session, now))
