"""Benchmark the reviewers' inbox at the size of a busy bureau.

Fills a fresh database with 100,000 open tasks and 1,000,000 rows in all (cases, finished
tasks, audit events; one case in eight a one-thing bundle whose task names its item) by bulk
inserts, then measures, in the server process, the time of the
inbox page (``GET /``) and of ``GET /api/v1/tasks`` for a reviewer of the busiest department,
and the time of the queries behind them (one page of rows and the three tab counts).

    .venv/bin/python scripts/bench_inbox.py [--open-tasks 100000] [--rows 1000000] [--runs 200]

Targets: the page at most 50 ms at p95, the query behind it at most 5 ms. The last line reads
``inbox_p95_ms=<n>`` (p95 of the page over every tab and filter measured).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from app import create_app
from app.config import Settings
from app.domain.cases.kinds import TaskStatus
from app.domain.timing.clock import BUREAU_ZONE, FixedClock
from app.persistence.cases import tasks as task_queries
from app.persistence.engine.db import Database
from app.persistence.models import AuditEvent, Case, ProcessVersion, TaskRecord
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.modeler import deploy_shipped

PASSWORD = "bench-password"
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing
ACTOR = "reviewer_market"
CHUNK = 20_000
#: share of the open work per department: market supervision carries the most
WEIGHTS = {"market": 30, "health": 10, "culture_tourism": 6, "natural_resources": 8, "housing": 10,
           "urban_management": 6, "forestry": 4, "agriculture": 6, "transport": 6, "water": 4,
           "education": 4, "emergency": 6}
#: open tasks by role: (role, share, task name, element id)
ROLES = [("reviewer", 60, "审查", "review_application"), ("leader", 25, "决定", "decide_application"),
         ("window", 10, "出件", "issue_result"), ("inspector", 5, "现场核查", "site_inspection")]
#: every eighth case is a one-thing bundle whose open task names one of its items (分项)
BUNDLE_EVERY = 8
BUNDLE = ("YJS-0001", "开办药店“一件事”")
BUNDLE_ITEMS = ("XK-0003", "XK-0001")
APPLICANTS = ["城南便民超市", "河畔宾馆", "康宁大药房", "星光娱乐", "绿源林场", "张三餐饮店", "清泉水厂",
              "顺达运输", "阳光幼儿园", "金石建材", "福满楼酒家", "仁济诊所"]


def chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(db: Database, open_tasks: int, total_rows: int, seed: int = 7) -> dict[str, int]:
    """Bulk-insert cases, tasks and audit events; return how many rows of each."""
    rng = random.Random(seed)
    finished_cases = open_tasks // 2
    case_count = open_tasks + finished_cases
    # every open case has its earlier steps done (受理, sometimes 审查); finished ones five steps
    done_tasks = open_tasks + finished_cases * 5
    audit_rows = max(0, total_rows - case_count - open_tasks - done_tasks)
    departments = list(WEIGHTS)
    dept_weights = [WEIGHTS[d] for d in departments]
    with db.unit_of_work() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "standard_promised"))
        items = [("XK-0001", "食品经营许可"), ("XK-0003", "药品零售企业许可"), ("XK-0004", "小餐饮经营许可"),
                 ("XK-0101", "公共场所卫生许可"), ("XK-0201", "娱乐场所经营许可")]

    def case_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, case_count + 1):
            is_open = n <= open_tasks
            department = rng.choices(departments, dept_weights)[0]
            created = NOW - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 600))
            accepted_on = (created + timedelta(hours=1)).astimezone(BUREAU_ZONE).date()
            due = NOW.date() + timedelta(days=rng.randint(-10, 25)) if is_open else accepted_on + timedelta(days=14)
            state = rng.choices(["normal", "warning", "overdue"], [80, 12, 8])[0] if is_open else "normal"
            item_code, item_name = rng.choice(items)
            if n % BUNDLE_EVERY == 0:  # a one-thing bundle: its open task concerns one of its items
                item_code, item_name = BUNDLE
            applicant = f"{rng.choice(APPLICANTS)}{n % 997}"
            yield {"id": n, "number": f"2026-{n:06d}", "query_code": f"{rng.getrandbits(24):06X}",
                   "kind": "bundle" if n % BUNDLE_EVERY == 0 else "item", "item_code": item_code,
                   "item_name": item_name, "department": department,
                   "applicant_name": applicant, "applicant": {"name": applicant}, "materials": ["M01", "M02"],
                   "facts": {}, "status": "in_review" if is_open else "completed",
                   "result": None if is_open else "approved", "process_version_id": version_id,
                   "created_by": "window", "created_at": created, "updated_at": created,
                   "completed_at": None if is_open else created + timedelta(days=10),
                   "accepted_on": accepted_on, "due_date": due, "deadline_provisional": False,
                   "deadline_state": state, "clock_suspended_since": None, "version": 3}

    def open_task_rows() -> Iterator[dict[str, Any]]:
        for n in range(1, open_tasks + 1):
            role, _, name, element = rng.choices(ROLES, [r[1] for r in ROLES])[0]
            yield {"case": n, "role": role, "name": name, "element": element}

    role_of_case = list(open_task_rows())
    with db.unit_of_work() as session:
        for batch in chunks(case_rows()):
            session.execute(insert(Case), batch)
        dept_of = dict(session.execute(select(Case.id, Case.department)).all())
        due_of = dict(session.execute(select(Case.id, Case.due_date)).all())

    def task_rows() -> Iterator[dict[str, Any]]:
        for spec in role_of_case:
            case_id = spec["case"]
            department = "window" if spec["role"] == "window" else dept_of[case_id]
            claimed = None
            if spec["role"] == "reviewer" and rng.random() < 0.3:
                claimed = rng.choice([f"reviewer_{department}", f"reviewer2_{department}"])
            due_at = None if rng.random() < 0.03 else datetime.combine(
                due_of[case_id], datetime.min.time(), tzinfo=BUREAU_ZONE) + timedelta(hours=17, minutes=30)
            item = BUNDLE_ITEMS[case_id % 2] if case_id % BUNDLE_EVERY == 0 else None
            yield {"id": f"open-{case_id:07d}", "case_id": case_id, "element_id": spec["element"],
                   "name": spec["name"], "role": spec["role"], "department": department, "kind": "workflow",
                   "item_code": item,
                   "status": TaskStatus.READY, "claimed_by": claimed,
                   "created_at": NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 20)), "due_at": due_at,
                   "completed_at": None, "completed_by": None, "decision": None, "opinion": None, "data": {}}
        steps = [("受理", "accept_application", "window"), ("审查", "review_application", "reviewer"),
                 ("决定", "decide_application", "leader"), ("制证", "make_certificate", "reviewer"),
                 ("出件", "issue_result", "window")]
        made = 0
        for case_id in range(1, case_count + 1):
            count = 5 if case_id > open_tasks else 1
            for step, (name, element, role) in enumerate(steps[:count]):
                if made >= done_tasks:
                    return
                made += 1
                department = "window" if role == "window" else dept_of[case_id]
                # history spreads over the section's staff, present and former
                person = rng.choice([f"reviewer_{department}", f"reviewer2_{department}",
                                     f"former_{department}_1", f"former_{department}_2"]) \
                    if role == "reviewer" else f"leader_{department}" if role == "leader" else "window"
                finished = NOW - timedelta(days=rng.randint(1, 400), minutes=step)
                yield {"id": f"done-{case_id:07d}-{step}", "case_id": case_id, "element_id": element,
                       "name": name, "role": role, "department": department, "kind": "workflow", "item_code": None,
                       "status": TaskStatus.COMPLETED, "claimed_by": person,
                       "created_at": finished - timedelta(hours=5), "due_at": None, "completed_at": finished,
                       "completed_by": person, "decision": "approve", "opinion": "同意", "data": {}}

    counts = {"cases": case_count, "tasks": 0, "audit_events": audit_rows}
    with db.unit_of_work() as session:
        for batch in chunks(task_rows()):
            session.execute(insert(TaskRecord), batch)
            counts["tasks"] += len(batch)

    def audit_rows_iter() -> Iterator[dict[str, Any]]:
        for n in range(1, audit_rows + 1):
            yield {"occurred_at": NOW - timedelta(seconds=audit_rows - n), "actor": "window",
                   "action": "task_completed", "case_id": rng.randint(1, case_count), "element_id": "review_application",
                   "before": {}, "after": {"decision": "approve"}, "prev_hash": f"{n - 1:064x}", "hash": f"{n:064x}"}

    with db.unit_of_work() as session:
        for batch in chunks(audit_rows_iter()):
            session.execute(insert(AuditEvent), batch)
    return counts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(label: str, call: Callable[[], Any], runs: int) -> list[float]:
    for _ in range(5):  # warm caches
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<44} p50 {statistics.median(times):7.2f} ms   p95 {percentile(times, 0.95):7.2f} ms")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open-tasks", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("ONESEAL_BENCH_DATABASE_URL"),
                        help="a database to fill (default: a temporary SQLite file); one that already "
                             "holds the bench's tasks is measured as it is")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="oneseal-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    Database(url).create_schema()  # creates what is missing only
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key="bench",
                             password_method="pbkdf2:sha256:1000", demo_password=PASSWORD)
    app = create_app(settings, clock=FixedClock(NOW), warm=False)
    ext = app.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)
        filled = session.scalar(text("SELECT count(*) FROM tasks")) > 0

    started = time.perf_counter()
    if not filled:
        fill(ext.db, args.open_tasks, args.rows)
    with ext.db.unit_of_work() as session:
        actual = {table: session.scalar(text(f"SELECT count(*) FROM {table}"))
                  for table in ("cases", "tasks", "audit_events")}
        open_count = session.scalar(text("SELECT count(*) FROM tasks WHERE status = 'ready'"))
    print(f"{'filled in' if not filled else 'reused, checked in'} {time.perf_counter() - started:.1f} s on {ext.db.dialect}: "
          f"{open_count:,} open tasks; rows: " + ", ".join(f"{k} {v:,}" for k, v in actual.items())
          + f"; total {sum(actual.values()):,}")

    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": ACTOR, "password": PASSWORD, "csrf_token": token}).status_code == 302
    api_token = client.post("/api/v1/auth/token", json={"username": ACTOR, "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {api_token}"}

    from app.services.access.auth import actor_for_username
    with ext.db.unit_of_work() as session:
        actor = actor_for_username(session, ACTOR)
    department_tab = task_queries.InboxQuery(username=ACTOR, role="reviewer", department="market",
                                             tab="department", limit=20)
    with ext.db.unit_of_work() as session:
        tabs = task_queries.count_tabs(session, department_tab)
    print(f"{ACTOR}: 我的待办 {tabs['mine']:,}, 部门待办 {tabs['department']:,}, 已办 {tabs['done']:,} tasks")
    first_page = client.get("/?tab=department").get_data(as_text=True)
    print(f"部门待办 page 1: {first_page.count('data-task=')} rows, {first_page.count('分项：')} naming a bundle's item")

    def query_behind(tab: str, deadline: str | None = None) -> Callable[[], Any]:
        def run() -> None:
            session = ext.db.session(write=False)
            try:
                wanted = task_queries.InboxQuery(username=actor.username, role=actor.role.value,
                                                 department=actor.department, tab=tab, deadline=deadline, limit=20)
                task_queries.inbox_page(session, wanted)
                task_queries.count_tabs(session, wanted)
            finally:
                session.close()
        return run

    def get(path: str, **kwargs: Any) -> Callable[[], Any]:
        def run() -> None:
            response = client.get(path, **kwargs)
            assert response.status_code == 200, (path, response.status_code)
        return run

    print("\nqueries behind the page (one page of rows + the three tab counts):")
    plain: list[float] = []
    for tab in ("department", "mine", "done"):
        plain += measure(f"  query tab={tab}", query_behind(tab), args.runs)
    filtered: list[float] = []
    for tab, deadline in (("department", "overdue"), ("mine", "warning")):
        filtered += measure(f"  query tab={tab} deadline={deadline}", query_behind(tab, deadline), args.runs)
    print("\nserver time of the inbox page and the API:")
    page_times: list[float] = []
    for path in ("/?tab=department", "/?tab=mine", "/?tab=done", "/?tab=department&deadline=overdue",
                 "/?tab=mine&deadline=warning", "/?tab=department&page=50"):
        page_times += measure(f"  GET {path}", get(path), args.runs)
    api_times = measure("  GET /api/v1/tasks?tab=department", get("/api/v1/tasks?tab=department", headers=headers),
                        args.runs)
    measure("  GET /api/v1/tasks?tab=department&q=河畔 (search)",
            get("/api/v1/tasks?tab=department&q=%E6%B2%B3%E7%95%94", headers=headers), max(10, args.runs // 10))
    print(f"\nquery_p95_ms={percentile(plain, 0.95):.2f} (the three tabs, no filter; target ≤ 5)")
    print(f"filtered_query_p95_ms={percentile(filtered, 0.95):.2f} (预警/超期)")
    print(f"api_p95_ms={percentile(api_times, 0.95):.2f}")
    print(f"inbox_p95_ms={percentile(page_times, 0.95):.1f}")  # every page measured above; target ≤ 50


if __name__ == "__main__":
    main()
