"""``oneseal worker`` with a broker: a real Celery worker and beat in their own processes fire a
due timer, and SIGTERM stops them after the work under way (a warm stop, exit code 0); a worker
process killed in the middle of a job gives the job back, and it is done once. Without a broker
``--beat`` is refused."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import redis
from click.testing import CliRunner

from app.cli import main
from sqlalchemy import select

from app.persistence.models import Case
from tests.support.jobs import REDIS_URL, celery_runner, events, redis_or_fail, wait_for
from tests.support.time_limits import returned


def test_beat_needs_a_broker(settings, monkeypatch):
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("ONESEAL_BROKER_URL", raising=False)
    result = CliRunner().invoke(main, ["worker", "--beat"])
    assert result.exit_code == 2 and "ONESEAL_BROKER_URL" in result.output
    assert CliRunner().invoke(main, ["beat"]).exit_code == 2


def _worker_env(settings, tmp_path, prefix: str) -> dict[str, str]:
    return {**os.environ, "ONESEAL_DATABASE_URL": settings.database_url, "ONESEAL_BROKER_URL": REDIS_URL,
            "ONESEAL_BROKER_PREFIX": prefix, "ONESEAL_INSTANCE_DIR": str(tmp_path / "worker"),
            "ONESEAL_SECRET_KEY": "test-secret", "ONESEAL_SCAN_TIMERS_SECONDS": "1"}


def test_the_celery_worker_and_beat_fire_a_due_timer_and_stop_on_sigterm(api, ext, clock, settings, tmp_path):
    redis_or_fail()
    clock.set(datetime.now(UTC) - timedelta(days=31))  # returned 31 days ago by the real clock
    case = returned(api, clock)
    prefix = f"oneseal-test-{uuid.uuid4().hex[:10]}"
    env = _worker_env(settings, tmp_path, prefix)
    log = open(tmp_path / "worker.log", "w+b")
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--beat", "--concurrency", "1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: events(ext, "timer_fired", case["id"]), seconds=60, what="the timer fired")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
        log.close()
    assert events(ext, "timer_fired", case["id"]) == 1
    assert "oneseal.scan_timers" in output and "warm shutdown" in output.lower(), output[-3000:]


def test_a_job_whose_worker_process_is_killed_is_given_back_and_done_once(api, ext, clock, settings, tmp_path):
    clock.set(datetime.now(UTC) - timedelta(days=31))
    case = returned(api, clock)
    with celery_runner(ext) as celery:
        env = _worker_env(settings, tmp_path, celery.settings.broker_prefix)
        log = open(tmp_path / "worker.log", "w+b")
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--concurrency", "1"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: b"ready" in (tmp_path / "worker.log").read_bytes(), seconds=60, what="worker ready")
            (child,) = wait_for(lambda: _children(process.pid), what="the pool process")
            # the case is held, so the job waits on its lock inside the worker's pool process…
            with ext.db.session(write=True) as holder:
                holder.execute(select(Case).where(Case.id == case["id"]).with_for_update())
                celery.fire_timers.delay(case["id"])
                time.sleep(3)
                os.kill(child, signal.SIGKILL)  # …which dies in the middle of it
                wait_for(lambda: _children(process.pid) and _children(process.pid) != [child],
                         what="a new pool process")
                holder.rollback()
            wait_for(lambda: events(ext, "timer_fired", case["id"]), seconds=60, what="the job done again")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
            log.close()
    assert events(ext, "timer_fired", case["id"]) == 1
    assert "WorkerLostError" in output or "signal 9" in output, output[-3000:]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(p) for p in children.read().split()]
    except FileNotFoundError:
        return []
