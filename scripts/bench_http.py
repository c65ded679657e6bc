"""The HTTP path on the real server: one client in sequence, SQLite (or PostgreSQL), one server process.

A fresh SQLite database gets the shipped diagrams, the demo users and ``--open-tasks`` open
steps in the window's queue (cases registered through the services, in this process, spread over
the ``--days`` working days before today: 10,000 in 25–40 s), then
``oneseal serve`` starts as a child process and one keep-alive connection times, one request
after another, ``--runs`` of each:

- ``floor``: ``GET /api/v1/health``, the server's own cost (no database, no token);
- ``registration``: ``POST /api/v1/cases`` (食品经营许可, every material) as the window;
- ``case_view``: ``GET /api/v1/cases/{id}`` of those cases;
- ``claim``: ``POST /api/v1/tasks/{id}/claim`` of their first step (受理);
- ``completion``: ``POST /api/v1/tasks/{id}/complete`` of the claimed steps (受理, approve);
- ``tasks_list``: ``GET /api/v1/tasks?tab=department`` (20 rows) over the queue of open steps.

    .venv/bin/python scripts/bench_http.py [--runs 300] [--open-tasks 10000] [--minimal] [--idempotency]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/any]

Besides each request's wall time at the client (p50/p90/p99), the server process's CPU time
over each batch is printed per request: on a shared machine the wall time also waits for the
CPU, the CPU time does not. ``--minimal`` asks registrations and completions for the short
answer (``Prefer: return=minimal``);
``--idempotency`` sends every write with an ``Idempotency-Key``. Targets (2-core machine): a
completion ≤ 2.5 ms, a registration ≤ 4 ms, the case view ≤ 2 ms, a claim ≤ 1.5 ms, the list
≤ 2 ms at p50. The last line reads ``completion_p50_ms=<n> registration_p50_ms=<n>
case_view_p50_ms=<n> claim_p50_ms=<n> tasks_list_p50_ms=<n> floor_p50_ms=<n>``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.domain.timing.clock import BUREAU_ZONE, FixedClock, local_date  # noqa: E402
from app.domain.roles import Role  # noqa: E402
from app.services.actor import Actor  # noqa: E402
from app.services.intake.application import Application  # noqa: E402
from app.services.intake.registration import register_case  # noqa: E402
from scripts.live.client import Answer, Client  # noqa: E402
from scripts.live.database import PASSWORD, environment, seed, throwaway_database  # noqa: E402
from scripts.live.processes import Servers, interpreter  # noqa: E402

ITEM = "XK-0001"  # 食品经营许可: the standard flow, its first step 受理 at the window
FILLER = Actor("window2", Role.WINDOW, "window", "窗口二")


def fill(url: str, folder: Path, count: int, days: int = 50) -> None:
    """``count`` open 受理 steps in the window's queue: cases registered through the services, in
    this process, spread over the ``days`` working days before today (a queue that built up over
    weeks, as a bureau's does; each day's registrations roll up into that day's figures)."""
    clock = FixedClock(datetime.now(UTC), step=timedelta(seconds=1))
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key="bench",
                             password_method="pbkdf2:sha256:1000", demo_password=PASSWORD)
    app = create_app(settings, clock=clock, warm=False)
    ext = app.extensions["oneseal"]
    catalogue_item = ext.runtime.catalogue.items[ITEM]
    materials = [m.code for m in catalogue_item.materials]
    actor = Actor(FILLER.username, Role.WINDOW, _window_department(ext), FILLER.display_name)
    workdays: list[date] = []
    day = local_date(clock.now())
    while len(workdays) < max(1, days):
        day -= timedelta(days=1)
        if ext.runtime.calendar.is_workday(day):
            workdays.append(day)
    workdays.reverse()
    done = 0
    for number, day in enumerate(workdays):
        clock.set(datetime.combine(day, clock_time(9), tzinfo=BUREAU_ZONE))
        today = count * (number + 1) // len(workdays) - done
        with ext.db.unit_of_work() as session:
            for _ in range(today):
                register_case(session, ext.runtime, actor, Application(
                    ITEM, {"name": f"排队申请人{done}", "contact": "0910-1234567"}, materials))
                done += 1
    ext.db.dispose()


def _window_department(ext: Any) -> str | None:
    from app.persistence.access.users import find_user

    with ext.db.unit_of_work() as session:
        user = find_user(session, FILLER.username)
        assert user is not None
        return user.department


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timer:
    """Times each request at the client, and the server's CPU time over the whole batch: on a
    machine shared with other work the wall time waits for the CPU, the CPU time does not."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu_ms: dict[str, float] = {}

    def timed(self, label: str, runs: int, call: Callable[[int], Answer], expect: int) -> list[float]:
        samples = []
        before = cpu_seconds(self.pid)
        for i in range(runs):
            answer = call(i)
            if answer.status != expect:
                raise RuntimeError(f"{label}: {answer.status} {answer.body}")
            samples.append(answer.ms)
        self.cpu_ms[label] = (cpu_seconds(self.pid) - before) * 1000 / runs
        return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--open-tasks", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=50,
                        help="working days before today the open steps were registered over")
    parser.add_argument("--minimal", action="store_true", help="completions with Prefer: return=minimal")
    parser.add_argument("--idempotency", action="store_true", help="every write with an Idempotency-Key")
    parser.add_argument("--template", type=Path, default=None,
                        help="a filled database to copy (made there first if missing): measure again without refilling")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (postgresql+psycopg://…/any): a throwaway database is made on it")
    parser.add_argument("--serve-command", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url and args.template is not None:
        parser.error("--template copies a SQLite file; it cannot be used with --database-url")

    folder = Path(tempfile.mkdtemp(prefix="oneseal-bench-http-"))
    with throwaway_database(args.database_url, folder) as url:
        return run(args, folder, url)


def run(args: argparse.Namespace, folder: Path, url: str) -> int:
    env = environment(url, folder)
    if args.template is not None and args.template.exists():
        shutil.copyfile(args.template, folder / "oneseal.db")
    else:
        seed(env)
        started = time.perf_counter()
        fill(url, folder, args.open_tasks, args.days)
        print(f"{args.open_tasks} open steps registered in {time.perf_counter() - started:.0f} s", flush=True)
        if args.template is not None:
            shutil.copyfile(folder / "oneseal.db", args.template)

    servers = Servers.build(1, env, folder, args.serve_command.split() if args.serve_command else None)
    servers.start()
    try:
        client = Client(servers.ports[0])
        tokens = {}
        for user in ("window", "window2"):
            tokens[user] = client.call("POST", "/api/v1/auth/token",
                                       {"username": user, "password": PASSWORD}).body["token"]
        items = client.call("GET", "/api/v1/items", token=tokens["window"]).body["items"]
        materials = next(i for i in items if i["code"] == ITEM)["materials"]
        application = {"item_code": ITEM, "applicant": {"name": "张三餐饮店", "contact": "0910-1234567"},
                       "materials": [m["code"] for m in materials], "facts": {}}

        def key() -> str | None:
            return uuid.uuid4().hex if args.idempotency else None

        def post(path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
            return client.once("POST", path, body, token=tokens["window"], key=key(), headers=headers)

        def get(path: str, user: str = "window") -> Answer:
            return client.once("GET", path, token=tokens[user])

        # warm every path once (first requests compile statements, fill caches)
        for _ in range(20):
            get("/api/v1/health")
            get("/api/v1/tasks?tab=department&page_size=20")
        cases: list[dict[str, Any]] = []

        def register(_: int) -> Answer:
            answer = post("/api/v1/cases", application, minimal)
            cases.append(answer.body)
            return answer

        minimal = {"Prefer": "return=minimal"} if args.minimal else None
        server = servers.children[0].process
        assert server is not None
        timer = Timer(server.pid)
        timed = timer.timed
        load_at_start = os.getloadavg()[0]
        results = {
            "floor": timed("floor", args.runs, lambda i: client.once("GET", "/api/v1/health"), 200),
            "registration": timed("registration", args.runs, register, 201),
            "case_view": timed("case_view", args.runs, lambda i: get(f"/api/v1/cases/{cases[i]['id']}"), 200),
            "claim": timed("claim", args.runs,
                           lambda i: post(f"/api/v1/tasks/{cases[i]['tasks'][0]['id']}/claim"), 200),
            "completion": timed("completion", args.runs, lambda i: post(
                f"/api/v1/tasks/{cases[i]['tasks'][0]['id']}/complete",
                {"decision": "approve", "opinion": "材料齐全，予以受理"}, minimal), 200),
            "tasks_list": timed("tasks_list", args.runs,
                                lambda i: get("/api/v1/tasks?tab=department&page_size=20", "window2"), 200),
        }
        cpu_ms = timer.cpu_ms
        listed = get("/api/v1/tasks?tab=department&page_size=20", "window2").body
        client.close()
    finally:
        servers.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"database: {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; "
          f"queue of window2: {listed['total']} open steps, {len(listed['items'])} rows a page; "
          f"load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; {interpreter()}")
    for label, samples in results.items():
        ordered = sorted(samples)
        print(f"  {label:<13} p50 {statistics.median(ordered):6.2f} ms   p90 {ordered[int(0.9 * len(ordered))]:6.2f} ms"
              f"   p99 {ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]:6.2f} ms"
              f"   server CPU {cpu_ms[label]:6.2f} ms a request")
    print(" ".join(f"{label}_p50_ms={statistics.median(samples):.2f}" for label, samples in
                   [(k, results[k]) for k in ("completion", "registration", "case_view", "claim", "tasks_list", "floor")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
