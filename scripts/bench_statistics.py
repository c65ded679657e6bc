"""Benchmark the performance figures (效能统计) at the size of a city bureau.

Fills a fresh database with 1,000,000 finished cases (bulk inserts: about 1,700 a working day
for some two and a half years, over the catalogue's items, one in twenty returned for
supplement with its clock suspension, a mix of results and deliveries) and a few thousand open
ones, computes the daily and monthly roll-ups from them (``rebuild``, the same function as
``oneseal stats rebuild``; timed), then measures ``GET /api/v1/statistics`` in the server
process for the last full month, the last year, and one department over the last year.

    .venv/bin/python scripts/bench_statistics.py [--cases 1000000] [--runs 30] [--database-url URL]

A database that already holds the cases is measured as it is (its roll-ups computed first if
it has none), so ``--database-url`` measures again without refilling (7 minutes on SQLite).

Target: at most 300 ms at p95 on SQLite and PostgreSQL. The last line reads
``stats_p95_ms=<n> month_p95_ms=<n> year_p95_ms=<n> department_p95_ms=<n>`` (``stats_p95_ms``: the
highest of the three).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from app import create_app
from app.config import Settings
from app.domain.bureau.catalogue import ItemKind
from app.domain.timing.clock import BUREAU_ZONE, FixedClock
from app.persistence.engine.db import Database
from app.persistence.models import Case, ClockSuspension, ProcessVersion, SupplementNotice
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped
from app.services.statistics.rollup import rebuild

PASSWORD = "bench-password"
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # Monday 2026-06-15, 10:00 in Beijing
FIRST_DAY = date(2023, 12, 1)
CHUNK = 20_000
USER = "efficiency"
DEPARTMENT = "market"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def working_days(calendar: Any, first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def fill(ext: Any, count: int, seed: int = 17) -> None:
    rng = random.Random(seed)
    runtime = ext.runtime
    calendar = runtime.calendar
    items = [i for i in runtime.catalogue.items.values()]
    weights = [30 if i.department == "market" else 8 if i.kind is ItemKind.IMMEDIATE else 4 for i in items]
    with ext.db.unit_of_work() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "standard_promised"))
    days = working_days(calendar, FIRST_DAY, date(2026, 6, 12))
    per_day = max(1, count // len(days))
    number = 0

    def rows() -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        nonlocal number
        for day in days:
            for item in rng.choices(items, weights, k=per_day):
                if number >= count:
                    return
                number += 1
                created = datetime.combine(day, clock_time(9, rng.randint(0, 59)), tzinfo=BUREAU_ZONE) \
                    + timedelta(minutes=rng.randint(0, 420))
                limit = item.promised_limit
                due = calendar.add_working_days(day, limit).date
                suspended = rng.random() < 0.05 and limit > 0
                stood = rng.randint(1, 5) if suspended else 0
                if stood:
                    due = calendar.add_working_days(due, stood).date
                used = 0 if limit == 0 else max(0, min(limit + 3, int(rng.triangular(1, limit + 3, limit * 0.6))))
                done_on = calendar.add_working_days(day, used + stood).date if used + stood else day
                completed = datetime.combine(done_on, clock_time(15, rng.randint(0, 59)), tzinfo=BUREAU_ZONE)
                result = rng.choices(["approved", "rejected", "withdrawn"], [90, 8, 2])[0]
                yield ({"number": f"B{number:09d}", "query_code": "BENCH", "kind": "item", "item_code": item.code,
                        "parent_case_id": None, "item_name": item.name, "department": item.department,
                        "applicant_name": "申请人", "applicant": {}, "materials": [], "facts": {},
                        "status": "completed", "result": result, "process_version_id": version_id,
                        "created_by": "window", "created_at": created, "updated_at": completed,
                        "completed_at": completed, "accepted_on": day, "due_date": due,
                        "deadline_provisional": False, "deadline_state": "normal", "clock_suspended_since": None,
                        "delivery": rng.choice(["window", "window", "post", "online"]), "accepted_with_gaps": False,
                        "version": 1},
                       {"stood": stood, "at": created} if stood else None)

    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    extras: list[dict[str, Any] | None] = []
    for case, extra in rows():
        batch.append(case)
        extras.append(extra)
        if len(batch) == CHUNK:
            _write(ext, batch, extras)
            batch, extras = [], []
    if batch:
        _write(ext, batch, extras)
    with ext.db.unit_of_work() as session:  # some open work, a few of it overdue
        open_rows = []
        for index in range(3_000):
            item = rng.choice(items)
            day = date(2026, 6, 1) + timedelta(days=rng.randint(0, 12))
            open_rows.append({"number": f"O{index:09d}", "query_code": "BENCH", "kind": "item", "item_code": item.code,
                              "parent_case_id": None, "item_name": item.name, "department": item.department,
                              "applicant_name": "申请人", "applicant": {}, "materials": [], "facts": {},
                              "status": "in_review", "result": None, "process_version_id": version_id,
                              "created_by": "window", "created_at": datetime.combine(day, clock_time(10), tzinfo=BUREAU_ZONE),
                              "updated_at": NOW, "completed_at": None, "accepted_on": day,
                              "due_date": calendar.add_working_days(day, item.promised_limit).date,
                              "deadline_provisional": False, "deadline_state": "normal",
                              "clock_suspended_since": None, "delivery": "window", "accepted_with_gaps": False,
                              "version": 1})
        session.execute(insert(Case), open_rows)
    print(f"filled {number:,} finished cases and 3,000 open ones in {time.perf_counter() - started:.1f} s")


def _write(ext: Any, batch: list[dict[str, Any]], extras: list[dict[str, Any] | None]) -> None:
    with ext.db.unit_of_work() as session:
        session.execute(insert(Case), batch)
        numbers = [b["number"] for b, e in zip(batch, extras) if e]
        if not numbers:
            return
        ids = dict(session.execute(select(Case.number, Case.id).where(Case.number.in_(numbers))).all())
        suspensions, notices = [], []
        for case, extra in zip(batch, extras):
            if extra is None:
                continue
            case_id = ids[case["number"]]
            suspensions.append({"case_id": case_id, "reason": "supplement", "task_id": "bench",
                                "started_at": extra["at"], "ended_at": extra["at"] + timedelta(days=7),
                                "days_added": extra["stood"]})
            notices.append({"case_id": case_id, "task_id": "bench", "issued_by": "reviewer", "issued_at": extra["at"],
                            "items": [], "resolved_at": extra["at"] + timedelta(days=7)})
        session.execute(insert(ClockSuspension), suspensions)
        session.execute(insert(SupplementNotice), notices)


def measure(label: str, call: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    p95 = percentile(times, 0.95)
    print(f"{label:<52} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("ONESEAL_BENCH_DATABASE_URL"),
                        help="a database to fill (default: a temporary SQLite file); one that already holds "
                             "the bench's cases is measured as it is")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="oneseal-bench-stats-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    Database(url).create_schema()
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key="bench",
                             password_method="pbkdf2:sha256:1000", demo_password=PASSWORD)
    app = create_app(settings, clock=FixedClock(NOW), warm=False)
    ext = app.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)
        filled = session.scalar(text("SELECT count(*) FROM cases")) > 0
        rolled = session.scalar(text("SELECT count(*) FROM monthly_figures")) > 0
    if not filled:
        fill(ext, args.cases)
    if not filled or not rolled:
        started = time.perf_counter()
        with ext.db.unit_of_work() as session:
            rows = rebuild(session, ext.runtime.calendar, FIRST_DAY, date(2026, 6, 15))
        print(f"daily roll-ups computed from the facts in {time.perf_counter() - started:.1f} s: {rows:,} rows "
              f"(day × department × item)")
    with ext.db.unit_of_work() as session:
        counts = {t: session.scalar(text(f"SELECT count(*) FROM {t}"))
                  for t in ("cases", "daily_figures", "daily_durations", "monthly_figures", "monthly_durations")}
    print(f"{ext.db.dialect}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": USER, "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def ask(params: dict[str, str]) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get("/api/v1/statistics", query_string=params, headers=headers)
            assert response.status_code == 200, response.get_json()
            return response
        return call

    month = {"from": "2026-05-01", "to": "2026-05-31"}
    year = {"from": "2025-06-01", "to": "2026-05-31"}
    figures = ask(year)().get_json()
    print(f"the year: {figures['received']:,} received, {figures['completed']:,} completed, on time "
          f"{figures['on_time_rate']}, {figures['avg_working_days']} working days on average (p90 "
          f"{figures['p90_working_days']}), {len(figures['by_item'])} items, {len(figures['weekly'])} weeks")
    results = {"month": measure("GET /api/v1/statistics  a month (2026-05)", ask(month), args.runs),
               "year": measure("GET /api/v1/statistics  a year (2025-06..2026-05)", ask(year), args.runs),
               "department": measure("GET /api/v1/statistics  market, a year", ask({**year, "department": DEPARTMENT}),
                                     args.runs)}
    print(f"stats_p95_ms={max(results.values()):.1f} " + " ".join(f"{k}_p95_ms={v:.1f}" for k, v in results.items()))


if __name__ == "__main__":
    main()
