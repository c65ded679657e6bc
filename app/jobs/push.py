"""Delivering the supervision push (监管推送): one attempt at one delivery, at least once.

``deliver`` takes the delivery (a lease: no other worker sends it meanwhile, and a worker that
dies mid-send leaves it to be taken again when the lease ends), checks the address again (the
name may resolve elsewhere now), POSTs the event's JSON signed with the department's secret,
and records the attempt: a 2xx answer delivers it; anything else, a timeout or a refused
connection waits ``delivery_backoff_s``·2ⁿ seconds (at most an hour), and after
``delivery_max_attempts`` failures the delivery becomes an incident an administrator may
redeliver. Redirects are not followed (an answer 3xx is a failure). Every attempt is kept.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
import urllib3

from app.domain.supervision_push import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    DeliveryState,
    retry_wait,
    signature,
)
from app.jobs.context import JobContext
from app.observability import metrics
from app.persistence import push_queue
from app.persistence.incidents import record_failure, record_success
from app.services.supervision_push.endpoints import UnsafeUrl, allowed_hosts, check_url, own_hosts

log = logging.getLogger(__name__)
PUSH = "push"
USER_AGENT = "OneSeal-Supervision-Push/1"
MAX_BACKOFF_SECONDS = 3600


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender:
    """POSTs over HTTP(S), keeping connections to each receiver alive (one pool per process)."""

    def __init__(self) -> None:
        self._pool: urllib3.PoolManager | None = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> urllib3.PoolManager:
        with self._lock:
            if self._pool is None:
                self._pool = urllib3.PoolManager(num_pools=64, maxsize=4, retries=False)
            return self._pool

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        try:
            response = self.pool.request("POST", url, body=body, headers=headers, redirect=False,
                                         timeout=urllib3.Timeout(connect=timeout, read=timeout), preload_content=True)
        except urllib3.exceptions.HTTPError as err:
            log.info("push to %s failed: %s: %s", url, type(err).__name__, err)
            return Answer(None, _failure_words(err))
        return Answer(response.status, None if 200 <= response.status < 300 else f"接收方答复状态码 {response.status}")


def _failure_words(err: Exception) -> str:
    """What went wrong, in words an administrator reads on the desk (details go to the log)."""
    cause = getattr(err, "reason", None)
    if isinstance(err, urllib3.exceptions.TimeoutError) or isinstance(cause, urllib3.exceptions.TimeoutError):
        return "接收方超时未答复"
    if isinstance(err, urllib3.exceptions.NewConnectionError) or isinstance(
            cause, urllib3.exceptions.NewConnectionError):
        return "无法连接接收方（连接被拒绝或主机不可达）"
    if isinstance(err, urllib3.exceptions.SSLError) or isinstance(cause, urllib3.exceptions.SSLError):
        return "与接收方的加密连接失败（证书无效或协议不符）"
    if isinstance(err, urllib3.exceptions.ProtocolError):
        return "接收方中断了连接"
    return "投递出错，详见服务日志"


SENDER = Sender()


def due_deliveries(ctx: JobContext, limit: int = 500) -> list[int]:
    with ctx.db.session(write=False) as session:
        return push_queue.due_deliveries(session, ctx.now(), limit)


def deliver(ctx: JobContext, delivery_id: int, *, sender: Sender | None = None,
            by: str | None = None) -> bool | None:
    """One attempt: True delivered, False failed; None when the delivery is not due, not first of
    its licence, or held by another worker."""
    settings = ctx.settings
    with ctx.db.unit_of_work() as session:
        taken = push_queue.take(session, delivery_id, ctx.now(), timedelta(seconds=settings.delivery_lease_s))
    if taken is None:
        return None
    body = orjson.dumps(taken.body)
    started = time.perf_counter()
    try:
        check_url(taken.url, allowed_hosts(settings.supervision_allowed_hosts), own_hosts=own_hosts(ctx.runtime))
    except UnsafeUrl as err:
        answer = Answer(None, f"推送地址不可用：{err}")
    else:
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: taken.event_id,
                   SIGNATURE_HEADER: signature(taken.secret, stamp, body), "OneSeal-Event-Type": taken.event_type,
                   "User-Agent": USER_AGENT}
        answer = (sender or SENDER).post(taken.url, body, headers, float(settings.delivery_timeout_s))
    elapsed = int((time.perf_counter() - started) * 1000)
    now = ctx.now()
    with ctx.db.unit_of_work() as session:
        number = taken.attempts + 1
        push_queue.record_attempt(session, taken.id, number, now, status_code=answer.status, error=answer.error,
                                  duration_ms=elapsed, by=by)
        if answer.ok:
            push_queue.mark_delivered(session, taken.id, now)
            record_success(session, PUSH, None, now, outbox_id=taken.id)
        else:
            wait = retry_wait(number, settings.delivery_backoff_s, MAX_BACKOFF_SECONDS)
            row = push_queue.mark_failed(session, taken.id, answer.error or "投递失败", now + wait,
                                         settings.delivery_max_attempts)
            if row.state == DeliveryState.FAILED.value:
                record_failure(session, PUSH, None, f"监管推送 #{taken.id}（{taken.event_type}，{taken.department}）"
                               f"连续 {row.attempts} 次投递失败：{answer.error}", now, outbox_id=taken.id)
    metrics.job_finished(PUSH, answer.ok)
    if not answer.ok:
        log.warning("push delivery %s to %s failed (attempt %s): %s", taken.id, taken.department, number, answer.error)
    return answer.ok


def deliver_due(ctx: JobContext, limit: int = 500, stopping: threading.Event | None = None) -> tuple[int, int]:
    """Every delivery due now, one attempt each — and, once delivered, the next of the same
    licence, found by scanning again while the last scan delivered something; (delivered, failed)."""
    delivered = failed = 0
    while True:
        done, lost = _deliver_batch(ctx, limit, stopping)
        delivered, failed = delivered + done, failed + lost
        if not done or (stopping is not None and stopping.is_set()):
            return delivered, failed


def _deliver_batch(ctx: JobContext, limit: int, stopping: threading.Event | None) -> tuple[int, int]:
    delivered = failed = 0
    for delivery_id in due_deliveries(ctx, limit):
        if stopping is not None and stopping.is_set():
            break
        try:
            outcome = deliver(ctx, delivery_id)
        except Exception:  # the database went away mid-attempt: the lease ends and it is taken again
            log.exception("push delivery %s could not be recorded", delivery_id)
            failed += 1
            continue
        delivered += outcome is True
        failed += outcome is False
    return delivered, failed


def run_loop(ctx: JobContext, stopping: threading.Event) -> None:
    """Deliver as deliveries come due until ``stopping``: at once while there is work, else every
    ``delivery_poll_ms`` (the in-process runner's push thread)."""
    pause = max(ctx.settings.delivery_poll_ms, 10) / 1000
    while not stopping.is_set():
        try:
            delivered, failed = deliver_due(ctx, stopping=stopping)
        except Exception:  # the database unreachable for a moment: look again later
            log.exception("push scan failed")
            delivered = failed = 0
        if not delivered and not failed:
            stopping.wait(pause)
