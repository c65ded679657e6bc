"""The outbox dispatcher: hands each due message to the handler of its kind, at least once.

``deliver`` takes the message (a lease, so no other worker delivers it meanwhile), calls the
handler outside any transaction, then records the delivery. A failure — the handler raised, or
no handler is registered for the kind — counts an attempt on the message, puts the next one off
(base·2ⁿ seconds, capped) and is kept as an incident (visible after a few in a row); the
message is never dropped. A worker that dies mid-delivery leaves the lease to run out, and the
message is taken again.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from app.jobs.context import JobContext
from app.jobs.runs import JobFailed, describe, keep_failure
from app.persistence.background import outbox
from app.observability import metrics
from app.persistence.background.incidents import record_success

log = logging.getLogger(__name__)
OUTBOX = "outbox"


class NoHandler(LookupError):
    pass


def backoff(attempts: int, base: int, cap: int) -> timedelta:
    """The wait after the ``attempts``-th failure in a row: base·2^(attempts-1), at most ``cap``."""
    return timedelta(seconds=min(cap, base * 2 ** min(max(attempts - 1, 0), 30)))


def deliver(ctx: JobContext, message_id: int) -> bool:
    """Deliver one message; False if it is delivered already, not due, or held by another worker."""
    settings = ctx.settings
    with ctx.db.unit_of_work() as session:
        message = outbox.take(session, message_id, ctx.now(), timedelta(seconds=settings.outbox_lease_seconds))
    if message is None:
        return False
    try:
        handler = ctx.handlers.get(message.kind)
        if handler is None:
            raise NoHandler(f"没有处理 {message.kind} 消息的程序")
        handler(message, ctx)
    except Exception as err:
        metrics.job_finished(OUTBOX, False)
        log.exception("delivery of outbox message %s (%s) failed", message.id, message.kind)
        now = ctx.now()
        with ctx.db.unit_of_work() as session:
            wait = backoff(message.attempts + 1, settings.outbox_retry_base_seconds,
                           settings.outbox_retry_max_seconds)
            attempts = outbox.mark_failed(session, message.id, describe(err), now + wait)
        text = f"消息 #{message.id}（{message.kind}" + (f"，办件 {message.case_id}" if message.case_id else "") \
            + f"）投递失败：{describe(err)}"
        keep_failure(ctx, OUTBOX, err, now, outbox_id=message.id, message=text)
        raise JobFailed(OUTBOX, message.id, err, attempts) from err
    now = ctx.now()
    with ctx.db.unit_of_work() as session:
        outbox.mark_delivered(session, message.id, now)
        record_success(session, OUTBOX, None, now, outbox_id=message.id)
    metrics.job_finished(OUTBOX, True)
    return True


def due_messages(ctx: JobContext, limit: int = 500) -> list[int]:
    with ctx.db.session(write=False) as session:
        return outbox.due_messages(session, ctx.now(), limit)
