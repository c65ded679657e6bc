"""How long a due BPMN timer waits before it fires, with ``oneseal worker --beat`` on Celery and
Redis at beat's default scan interval.

Usage: python scripts/bench_timer_latency.py [--cases N] [--spread SECONDS] [--database-url URL]
                                            [--broker-url URL]

Registers N cases of 出版物零售业务经营许可 and returns each for supplement (退回补正) with the
one-time notice, on a clock set 30 days back, so each case's 30-day timer (视为撤回申请) falls due
at a real moment in the next ``--spread`` seconds, spread at random. Then it starts
``oneseal worker --beat`` in a process of its own (real clock, the default
``ONESEAL_SCAN_TIMERS_SECONDS``) and waits until every timer has fired. The delay of a timer is
the time of its ``timer_fired`` audit event less the moment it fell due (the saved workflow's
``next_timer_at``). The worker is stopped with SIGTERM (a warm stop) and its Redis keys removed.
The last line is ``timers=<n> scan_interval_s=<n> delay_p50_s=<n> delay_mean_s=<n> delay_max_s=<n>``.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.config import Settings  # noqa: E402
from app.domain.timing.clock import FixedClock  # noqa: E402
from app.persistence.cases import tasks as task_queries  # noqa: E402
from app.persistence.engine.db import Database  # noqa: E402
from app.persistence.models import AuditEvent, WorkflowState  # noqa: E402
from app.services.access.auth import actor_for_username  # noqa: E402
from app.services.actor import SYSTEM  # noqa: E402
from app.services.casework.claims import claim_task  # noqa: E402
from app.services.casework.completion import Completion, complete_task  # noqa: E402
from app.services.demo import load_demo  # noqa: E402
from app.services.intake.application import Application  # noqa: E402
from app.services.intake.registration import register_case  # noqa: E402
from app.services.processes.modeler import deploy_shipped  # noqa: E402
from app.services.runtime import build_runtime  # noqa: E402

ITEM = "XK-0009"
NOTICE = [{"material": "M02", "reason": "营业执照已过期"}]
SUPPLEMENT_DAYS = 30


def returned_case(db: Database, runtime, clock: FixedClock, at: datetime, index: int, materials: list[str]) -> int:
    clock.set(at)
    with db.unit_of_work() as session:
        window = actor_for_username(session, "window")
        reviewer = actor_for_username(session, "reviewer_culture_tourism")
        case = register_case(session, runtime, window, Application(ITEM, {"name": f"测试申请人{index}"}, materials))
        case_id = case.id
    for actor, completion in ((window, Completion(decision="approve", opinion="予以受理")),
                              (reviewer, Completion(decision="return", opinion="需补正", notice=NOTICE))):
        with db.unit_of_work() as session:
            (task,) = task_queries.ready_tasks_of_case(session, case_id)
            claim_task(session, runtime, actor, task.id)
        with db.unit_of_work() as session:
            complete_task(session, runtime, actor, task.id, completion)
    return case_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--spread", type=float, default=60.0, help="timers fall due within this many seconds")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--broker-url", default=os.environ.get("ONESEAL_BROKER_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="oneseal-timers-"))
    url = args.database_url or f"sqlite:///{workdir / 'oneseal.db'}"
    settings = Settings.load(database_url=url, instance_dir=workdir / "instance", secret_key="bench",
                             password_method="pbkdf2:sha256:1000", broker_url="")
    clock = FixedClock(datetime.now(UTC))
    db = Database(url)
    db.create_schema()
    runtime = build_runtime(settings, clock=clock)
    with db.unit_of_work() as session:
        deploy_shipped(session, runtime, SYSTEM)
        load_demo(session, runtime, "bench-password", with_cases=False)
    materials = [m.code for m in runtime.catalogue.item(ITEM).materials]

    rng = random.Random(7)
    start = datetime.now(UTC) + timedelta(seconds=15)  # the worker's start-up is not measured
    ids = [returned_case(db, runtime, clock,
                         start + timedelta(seconds=rng.uniform(0, args.spread)) - timedelta(days=SUPPLEMENT_DAYS), i,
                         materials)
           for i in range(args.cases)]
    with db.session(write=False) as session:
        due = dict(session.execute(select(WorkflowState.case_id, WorkflowState.next_timer_at)
                                   .where(WorkflowState.case_id.in_(ids))).all())
    assert all(due.values()), due

    prefix = f"oneseal-bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ONESEAL_DATABASE_URL": url, "ONESEAL_BROKER_URL": args.broker_url,
           "ONESEAL_BROKER_PREFIX": prefix, "ONESEAL_INSTANCE_DIR": str(workdir / "instance"),
           "ONESEAL_SECRET_KEY": "bench"}
    env.pop("ONESEAL_SCAN_TIMERS_SECONDS", None)  # beat's default
    log = open(workdir / "worker.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--beat", "--concurrency", "1"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    fired: dict[int, datetime] = {}
    try:
        deadline = time.monotonic() + (start - datetime.now(UTC)).total_seconds() + args.spread + 120
        while len(fired) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.2)
            with db.session(write=False) as session:
                fired = dict(session.execute(select(AuditEvent.case_id, AuditEvent.occurred_at).where(
                    AuditEvent.action == "timer_fired", AuditEvent.case_id.in_(ids))).all())
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        log.close()
        client = redis.Redis.from_url(args.broker_url)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        db.dispose()
    if len(fired) < len(ids):
        sys.exit(f"only {len(fired)} of {len(ids)} timers fired; see {workdir / 'worker.log'}")
    delays = sorted((fired[i] - due[i]).total_seconds() for i in ids)
    interval = Settings.scan_timers_seconds
    print(f"worker stopped by SIGTERM with exit code {code}")
    print("delays (s):", " ".join(f"{d:.2f}" for d in delays))
    print(f"timers={len(delays)} scan_interval_s={interval} delay_p50_s={statistics.median(delays):.2f} "
          f"delay_mean_s={statistics.mean(delays):.2f} delay_max_s={max(delays):.2f}")


if __name__ == "__main__":
    main()
