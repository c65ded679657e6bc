"""Per-case jobs — fire a case's due timers, move its deadline state — and the scans that find
them from database rows (a due ``next_timer_at``; a deadline due to move). Each job locks its
case and re-reads it (see the services), so it is idempotent: a second run, or a second worker,
finds nothing left to do."""
from __future__ import annotations

from app.jobs.context import JobContext
from app.jobs.runs import run_case_job
from app.services.clock import deadlines
from app.services.stepping import timers

TIMER, DEADLINE = "timer", "deadline"


def fire_timers(ctx: JobContext, case_id: int) -> bool:
    """Fire the case's due timers; False if none was due (already fired, or the case ended)."""
    return run_case_job(ctx, TIMER, case_id,
                        lambda session, now: timers.fire_due_timers(session, ctx.runtime, case_id, now))


def check_deadline(ctx: JobContext, case_id: int) -> str | None:
    """Move the case's deadline to 预警 / 超期 if it is due to; the new state, or None."""
    threshold = ctx.settings.deadline_warning_days
    return run_case_job(ctx, DEADLINE, case_id,
                        lambda session, now: deadlines.check_deadline(session, ctx.runtime, case_id, now, threshold))


def cases_with_due_timers(ctx: JobContext, limit: int = 500) -> list[int]:
    with ctx.db.session(write=False) as session:
        return timers.cases_with_due_timers(session, ctx.now(), limit)


def cases_to_check(ctx: JobContext, limit: int = 500) -> list[int]:
    with ctx.db.session(write=False) as session:
        return deadlines.cases_to_check(session, ctx.runtime, ctx.now(), ctx.settings.deadline_warning_days, limit)
