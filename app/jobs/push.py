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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import orjson
import urllib3

from app.domain.licences.supervision_push import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    DeliveryState,
    retry_wait,
    signature,
)
from app.config import Settings
from app.jobs.context import JobContext
from app.observability import metrics
from app.persistence.background import push_queue
from app.persistence.background.incidents import record_failure, resolve_many
from app.services.supervision_push.endpoints import (
    Resolver,
    UnsafeUrl,
    allowed_hosts,
    check_url,
    own_hosts,
    resolve,
)

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

    def __init__(self, resolver: Resolver = resolve) -> None:
        self.resolver = resolver
        self._pool: urllib3.PoolManager | None = None
        self._lock = threading.Lock()
        #: URL → the address its check approved: the POST goes there (no second look-up a
        #: hostile name server could answer differently: DNS rebinding)
        self._pinned: dict[str, str] = {}

    @property
    def pool(self) -> urllib3.PoolManager:
        with self._lock:
            if self._pool is None:
                self._pool = urllib3.PoolManager(num_pools=64, maxsize=4, retries=False)
            return self._pool

    def refusal(self, url: str, allowed: set[str], own: frozenset[str]) -> str | None:
        """Why ``url`` may not be sent to now (its name may resolve elsewhere than when it was set)."""
        try:
            addresses = check_url(url, allowed, own_hosts=own, resolver=self.resolver)
        except UnsafeUrl as err:
            return f"推送地址不可用：{err}"
        with self._lock:
            if addresses:
                self._pinned[url] = addresses[0]
            else:
                self._pinned.pop(url, None)
        return None

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        with self._lock:
            pinned = self._pinned.get(url)
        limits = urllib3.Timeout(connect=timeout, read=timeout)
        try:
            if pinned is None:  # a host the operators allowed by name
                response = self.pool.request("POST", url, body=body, headers=headers, redirect=False,
                                             timeout=limits, preload_content=True)
            else:
                response = self._post_to(pinned, url, body, headers, limits)
        except urllib3.exceptions.HTTPError as err:
            log.info("push to %s failed: %s: %s", url, type(err).__name__, err)
            return Answer(None, _failure_words(err))
        return Answer(response.status, None if 200 <= response.status < 300 else f"接收方答复状态码 {response.status}")


    def _post_to(self, address: str, url: str, body: bytes, headers: dict[str, str],
                 limits: urllib3.Timeout) -> urllib3.BaseHTTPResponse:
        """POST to ``address`` itself, naming the host in ``Host`` and, over TLS, in SNI and the
        certificate check."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        tls = {"server_hostname": host, "assert_hostname": host} if parts.scheme == "https" else None
        pool = self.pool.connection_from_host(address, port, parts.scheme, pool_kwargs=tls)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return pool.urlopen("POST", path, body=body, headers={**headers, "Host": parts.netloc}, redirect=False,
                            retries=False, timeout=limits, preload_content=True, assert_same_host=False)


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
    return deliver_many(ctx, [delivery_id], sender=sender, by=by).get(delivery_id)


def deliver_many(ctx: JobContext, delivery_ids: list[int], *, sender: Sender | None = None,
                 by: str | None = None) -> dict[int, bool]:
    """One attempt at each delivery that can be taken (first of its licence, due, not held):
    taken in one transaction, sent side by side, recorded in one transaction; id → delivered."""
    settings = ctx.settings
    with ctx.db.unit_of_work() as session:
        taken = push_queue.take_many(session, delivery_ids, ctx.now(), timedelta(seconds=settings.delivery_lease_s))
    if not taken:
        return {}
    sender = sender or SENDER
    allowed, own = allowed_hosts(settings.supervision_allowed_hosts), own_hosts(ctx.runtime)
    checked = {url: sender.refusal(url, allowed, own) for url in {d.url for d in taken}}
    post = sender.post

    def attempt(delivery: push_queue.TakenDelivery) -> tuple[Answer, int]:
        started = time.perf_counter()
        refused = checked[delivery.url]
        if refused is not None:
            return Answer(None, refused), 0
        body = orjson.dumps(delivery.body)
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: delivery.event_id,
                   SIGNATURE_HEADER: signature(delivery.secret, int(time.time()), body),
                   "OneSeal-Event-Type": delivery.event_type, "User-Agent": USER_AGENT}
        answer = post(delivery.url, body, headers, float(settings.delivery_timeout_s))
        return answer, int((time.perf_counter() - started) * 1000)
    if len(taken) == 1:
        answers = [attempt(taken[0])]
    else:
        answers = list(_pool().map(attempt, taken))
    return _record(ctx, taken, answers, by)


def _record(ctx: JobContext, taken: list[push_queue.TakenDelivery], answers: list[tuple[Answer, int]],
            by: str | None) -> dict[int, bool]:
    settings = ctx.settings
    now = ctx.now()
    delivered = [d.id for d, (answer, _ms) in zip(taken, answers) if answer.ok]
    with ctx.db.unit_of_work() as session:
        for delivery, (answer, elapsed) in zip(taken, answers):
            push_queue.record_attempt(session, delivery.id, delivery.attempts + 1, now, status_code=answer.status,
                                      error=answer.error, duration_ms=elapsed, by=by)
        push_queue.mark_delivered(session, delivered, now)
        resolve_many(session, PUSH, delivered, now)
        for delivery, (answer, _ms) in zip(taken, answers):
            if answer.ok:
                continue
            number = delivery.attempts + 1
            wait = retry_wait(number, settings.delivery_backoff_s, MAX_BACKOFF_SECONDS)
            row = push_queue.mark_failed(session, delivery.id, answer.error or "投递失败", now + wait,
                                         settings.delivery_max_attempts)
            if row.state == DeliveryState.FAILED.value:
                record_failure(session, PUSH, None, f"监管推送 #{delivery.id}（{delivery.event_type}，"
                               f"{delivery.department}）连续 {row.attempts} 次投递失败：{answer.error}", now,
                               outbox_id=delivery.id)
            log.warning("push delivery %s to %s failed (attempt %s): %s", delivery.id, delivery.department,
                        number, answer.error)
    for delivery, (answer, _ms) in zip(taken, answers):
        metrics.job_finished(PUSH, answer.ok)
    return {d.id: answer.ok for d, (answer, _ms) in zip(taken, answers)}


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
#: deliveries sent side by side (each to the first undelivered event of its licence)
PARALLEL_SENDS = 8


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=PARALLEL_SENDS, thread_name_prefix="oneseal-push-send")
        return _POOL


def deliver_due(ctx: JobContext, limit: int = 500, stopping: threading.Event | None = None,
                sender: Sender | None = None) -> tuple[int, int]:
    """Every delivery due now, one attempt each — and, once delivered, the next of the same
    licence, found by scanning again while the last scan delivered something; (delivered, failed)."""
    delivered = failed = 0
    while True:
        done, lost = _deliver_batch(ctx, limit, stopping, sender)
        delivered, failed = delivered + done, failed + lost
        if not done or (stopping is not None and stopping.is_set()):
            return delivered, failed


def _deliver_batch(ctx: JobContext, limit: int, stopping: threading.Event | None,
                   sender: Sender | None) -> tuple[int, int]:
    delivered = failed = 0
    due = due_deliveries(ctx, limit)
    size = batch_size(ctx.settings)
    for start in range(0, len(due), size):
        if stopping is not None and stopping.is_set():
            break
        try:
            outcomes = deliver_many(ctx, due[start:start + size], sender=sender)
        except Exception:  # the database went away mid-attempt: the lease ends and they are taken again
            log.exception("push deliveries could not be recorded")
            failed += 1
            continue
        delivered += sum(outcomes.values())
        failed += sum(1 for ok in outcomes.values() if not ok)
    return delivered, failed


#: deliveries taken, sent and recorded together (at most)
BATCH = 50
#: kept from the lease for recording a batch's attempts
RECORD_MARGIN_S = 1


def batch_size(settings: Settings) -> int:
    """As many deliveries as are surely sent and recorded before their lease ends — each send
    may take the connect and the read timeout, ``PARALLEL_SENDS`` at a time — so that no other
    worker takes one again while this one still holds it."""
    per_round = 2 * max(settings.delivery_timeout_s, 1)
    rounds = max(1, (settings.delivery_lease_s - RECORD_MARGIN_S) // per_round)
    return min(BATCH, PARALLEL_SENDS * rounds)


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
