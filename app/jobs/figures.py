"""The roll-ups of the figures (效能统计) computed again where committed changes marked them: every
pass of the in-process worker and every ``ONESEAL_REFRESH_FIGURES_SECONDS`` under Celery beat, so
that a reader of the figures, which refreshes whatever is left first, finds little to do."""
from __future__ import annotations

from app.jobs.context import JobContext
from app.jobs.runs import run_case_job
from app.services.statistics.rollup import catch_up, has_pending

FIGURES = "figures"


def refresh_figures(ctx: JobContext) -> int:
    """The marked roll-up rows computed again (none: no write transaction at all); how many."""
    with ctx.db.session(write=False) as session:
        if not has_pending(session):
            return 0
    return run_case_job(ctx, FIGURES, None, lambda session, _now: catch_up(session, ctx.runtime.calendar))
