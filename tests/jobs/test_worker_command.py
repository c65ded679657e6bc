"""``oneseal worker`` with a broker: a real Celery worker and beat in their own processes fire a
due timer, and SIGTERM stops them after the work under way (a warm stop, exit code 0).
Without a broker ``--beat`` is refused."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import redis
from click.testing import CliRunner

from app.cli import main
from tests.support.jobs import REDIS_URL, events, redis_or_fail, wait_for
from tests.support.time_limits import returned


def test_beat_needs_a_broker(settings, monkeypatch):
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("ONESEAL_BROKER_URL", raising=False)
    result = CliRunner().invoke(main, ["worker", "--beat"])
    assert result.exit_code == 2 and "ONESEAL_BROKER_URL" in result.output
    assert CliRunner().invoke(main, ["beat"]).exit_code == 2


def test_the_celery_worker_and_beat_fire_a_due_timer_and_stop_on_sigterm(api, ext, clock, settings, tmp_path):
    redis_or_fail()
    clock.set(datetime.now(UTC) - timedelta(days=31))  # returned 31 days ago by the real clock
    case = returned(api, clock)
    prefix = f"oneseal-test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "ONESEAL_DATABASE_URL": settings.database_url, "ONESEAL_BROKER_URL": REDIS_URL,
           "ONESEAL_BROKER_PREFIX": prefix, "ONESEAL_INSTANCE_DIR": str(tmp_path / "worker"),
           "ONESEAL_SECRET_KEY": "test-secret", "ONESEAL_SCAN_TIMERS_SECONDS": "1"}
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
