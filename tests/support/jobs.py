"""Background jobs under test: the Celery runner on the real Redis of this machine, each test on
its own queue and key prefix (so parallel runs never collide), with a real worker thread; and
the database rows the jobs leave behind."""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from app.jobs.broker import Runner
from app.jobs.context import JobContext
from app.jobs.handlers import Handlers
from app.persistence.models import AuditEvent

#: a Redis database of its own for the suite; every key also carries the test's own prefix
REDIS_URL = os.environ.get("ONESEAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_fail() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (start it: redis-server --daemonize yes): {err}")
    return client


@contextmanager
def celery_runner(ext: Any, handlers: Handlers | None = None, **settings: Any) -> Iterator[Runner]:
    """A Celery runner whose jobs run on the test's database, runtime (its clock) and handlers."""
    client = redis_or_fail()
    prefix = f"oneseal-test-{uuid.uuid4().hex[:10]}"
    values = {"broker_url": REDIS_URL, "broker_prefix": prefix, "job_retry_base_seconds": 0, **settings}
    configured = replace(ext.runtime.settings, **values)
    runtime = replace(ext.runtime, settings=configured)
    ctx = JobContext(ext.db, runtime, handlers or Handlers())
    runner = Runner(configured, context=lambda: ctx)
    try:
        yield runner
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@contextmanager
def worker_thread(runner: Runner, concurrency: int = 1) -> Iterator[Any]:
    """A real Celery worker consuming the runner's queue in a thread of this process."""
    from celery.contrib.testing.worker import start_worker

    pool = "solo" if concurrency == 1 else "threads"
    with start_worker(runner.app, concurrency=concurrency, pool=pool, perform_ping_check=False,
                      shutdown_timeout=30) as worker:
        yield worker


def purge(runner: Runner) -> int:
    """Throw away every message waiting in the runner's queue (a broker that lost them)."""
    with runner.app.connection_for_write() as conn:
        return int(conn.default_channel.queue_purge(runner.settings.broker_prefix) or 0)


def waiting(runner: Runner) -> int:
    """Messages in the runner's queue (the channel's client adds the key prefix itself)."""
    with runner.app.connection_for_write() as conn:
        return int(conn.default_channel.client.llen(runner.settings.broker_prefix))


def wait_for(condition: Callable[[], Any], seconds: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {seconds} s: {what}")
        time.sleep(0.05)


def events(ext: Any, action: str, case_id: int | None = None) -> int:
    with ext.db.session(write=False) as session:
        statement = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if case_id is not None:
            statement = statement.where(AuditEvent.case_id == case_id)
        return session.scalar(statement) or 0
