"""Measure the scenario workshop: the whole library (the shipped scenarios plus generated ones) run
in sandboxes, as a run of the library is executed by the service.

Usage: python scripts/bench_scenarios.py [--generated N] [--opens N] [--workers N]
A temporary service database gets the shipped diagrams, the demo users, the baseline scenarios
and N generated ones (registrations, acceptances, reviews and decisions of the catalogue's items
that run 承诺件标准流程, each with its own applicant). Printed: the time to make a sandbox (a copy
of the template with an app of its own, median and p95 of ``--opens`` openings, after the
template is built once) and the wall time of the whole run. ``--workers`` runs the library as
that many runs at once (several auditors). The last line is
``scenarios=<n> sandbox_setup_ms=<n> run_s=<n>``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app
from app.config import Settings
from app.domain.timing.clock import FixedClock
from app.persistence.audit import scenarios as scenario_store
from app.persistence.engine.db import Database
from app.scenarios.workshop.library import create_document, import_baseline
from app.scenarios.workshop.runs import execute_run, start_run
from app.scenarios.running.sandbox import SandboxFactory
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped

def generated(index: int, item: str, department: str) -> str:
    """受理 → 审查 → 决定 of an item of 承诺件标准流程, declared without site inspection."""
    return f"""# language: zh-CN
@流程:standard_promised @生成
功能: 生成的场景 {index}
  场景: 第 {index} 件：{item}
    假如综合窗口收到“申请人{index}号”申请“{item}”的全部材料，申报本案无需现场核查
    当“window”在“受理”环节作出“受理”决定，意见为“予以受理”
    那么办件状态为“审查中”
    当“reviewer_{department}”在“审查”环节作出“建议准予”决定，意见为“审查通过”
    那么当前待办环节为“决定”，由“分管领导”办理
    当“leader_{department}”在“决定”环节作出“准予”决定，意见为“同意”
    那么办件状态为“制证中”
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=100)
    parser.add_argument("--opens", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="oneseal-bench-scenarios-"))
    url = f"sqlite:///{folder / 'service.db'}"
    Database(url).create_schema()
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key="bench",
                             password_method="pbkdf2:sha256:1000", testing=True)
    app = create_app(settings, clock=FixedClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), step=timedelta(seconds=1)),
                     warm=False)
    ext = app.extensions["oneseal"]
    runtime = ext.runtime
    items = sorted((i.name, i.department) for i in runtime.catalogue.items.values()
                   if i.process == "standard_promised" and i.gaps_until is None)
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, runtime, SYSTEM)
        load_demo(session, runtime, "bench-password", with_cases=False)
        shipped = import_baseline(session, runtime, SYSTEM)
        for index in range(args.generated):
            create_document(session, runtime, SYSTEM, name=f"生成的场景{index:03d}", folder="生成",
                            text=generated(index, *items[index % len(items)]))

    factory = SandboxFactory(runtime, url, folder / "sandboxes")
    with ext.db.session(write=False) as session:
        started = time.perf_counter()
        base = factory.prepare(session)
        template_ms = (time.perf_counter() - started) * 1000
    opens = []
    for _ in range(args.opens):
        started = time.perf_counter()
        with factory.open(base):
            opens.append((time.perf_counter() - started) * 1000)
    opens.sort()
    setup_ms = statistics.median(opens)
    print(f"sandbox: template built in {template_ms:.0f} ms; opened {len(opens)} times: "
          f"median {setup_ms:.0f} ms, p95 {opens[int(len(opens) * 0.95) - 1]:.0f} ms")

    with ext.db.unit_of_work() as session:
        run_ids = [start_run(session, runtime, SYSTEM, everything=True).id for _ in range(args.workers)]
    started = time.perf_counter()
    threads = [threading.Thread(target=execute_run, args=(ext.db, runtime, factory, run_id)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_s = time.perf_counter() - started
    with ext.db.session(write=False) as session:
        counts = scenario_store.counts_by_status(session, run_ids[0])
    scenarios = sum(counts.values())
    print(f"library: {shipped} shipped documents + {args.generated} generated; {scenarios} scenarios per run, "
          f"{args.workers} run(s) at once: {counts} in {run_s:.1f} s "
          f"({run_s / max(1, scenarios * args.workers) * 1000:.0f} ms per scenario)")
    factory.close()
    ext.db.dispose()
    print(f"scenarios={scenarios} sandbox_setup_ms={setup_ms:.0f} run_s={run_s:.1f}")


if __name__ == "__main__":
    main()
