"""Record what a release's database holds, as files any later release can load: the fixture of
``tests/fixtures/release_2`` (the release before migrations, commit 0e509ab).

Run it with the code of the release it records, not with this checkout's: the script imports
``app`` from the working directory. For release 2:

    git worktree add /tmp/oneseal-0e509ab 0e509ab
    cd /tmp/oneseal-0e509ab && python3 -m venv .venv && .venv/bin/pip install -e .
    .venv/bin/python /path/to/oneseal/scripts/make_release_fixture.py \\
        --out /path/to/oneseal/tests/fixtures/release_2 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

It makes an SQLite database with that release's own ``create_schema``, deploys its diagrams,
loads its demo users (password ``test-password``, fast hashing, as the suite's), and works cases
through its JSON API with a fixed clock (from Monday 2026-03-02, 09:30 Beijing time) into every
state a bureau has in flight when it upgrades; the worker runs once on the way, so one case is
overdue and escalated. Then it writes:

- ``tables/<table>.json``: every row of every table, with each column's kind (datetime, date,
  bytes, json, bool, plain) so a loader on any database can put the values back exactly;
- ``cases.json``: each case's label, number, status and open steps, as the release left them;
- ``schema_sqlite.json`` (and with ``--postgres``, ``schema_postgresql.json``): that release's
  schema, taken by ``tests/support/schema.py``, which migration 0001 must reproduce.

The last line is ``cases=<n> open=<n> tables=<n> rows=<n> events=<n>``.
"""
from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the release's code, from the checkout this is run in

from sqlalchemy import JSON, Boolean, Date, DateTime, LargeBinary, create_engine, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.domain.timing.clock import BUREAU_ZONE, FixedClock  # noqa: E402
from app.persistence.engine.db import Database  # noqa: E402
from app.persistence.models import Base  # noqa: E402
from app.services.actor import SYSTEM  # noqa: E402
from app.services.demo import load_demo  # noqa: E402
from app.worker import Worker  # noqa: E402

try:  # where the release keeps it
    from app.services.processes.modeler import deploy_shipped  # noqa: E402
except ImportError:
    from app.services.processes import deploy_shipped  # type: ignore[no-redef]  # noqa: E402

HERE = Path(__file__).resolve().parent
PASSWORD = "test-password"
START = datetime(2026, 3, 2, 9, 30, tzinfo=BUREAU_ZONE)

class Client:
    """The release's JSON API through Flask's test client, signed in per demo user."""

    def __init__(self, app: Any) -> None:
        self.http = app.test_client()
        self.tokens: dict[str, str] = {}

    def _token(self, user: str) -> str:
        if user not in self.tokens:
            response = self.http.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self.tokens[user] = response.get_json()["token"]
        return self.tokens[user]

    def call(self, method: str, path: str, user: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._token(user)}", **kwargs.pop("headers", {})}
        response = self.http.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == expect, (path, response.status_code, response.get_json())
        return response.get_json()

    def case(self, case_id: int) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/cases/{case_id}", "window")

    def complete(self, case: dict[str, Any], task: dict[str, Any], user: str | None = None,
                 **body: Any) -> dict[str, Any]:
        body = body or STEPS.answer_for(case, task)
        return self.call("POST", f"/api/v1/tasks/{task['id']}/complete", user or task["candidates"][0],
                         json=body)["case"]


class Bureau:
    """The cases of the fixture, made one after the other on the release's API."""

    def __init__(self, client: Client, clock: FixedClock) -> None:
        self.api = client
        self.clock = clock
        self.labels: dict[int, str] = {}

    def at(self, day: str, hour: int = 9, minute: int = 30) -> None:
        self.clock.set(datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=BUREAU_ZONE))
        self.api.tokens.clear()  # a token lives 12 hours

    def register(self, label: str, code: str, *, bundle: bool = False, **extra: Any) -> dict[str, Any]:
        catalogue = self.api.call("GET", "/api/v1/items", "window")
        if bundle:
            entry = next(b for b in catalogue["bundles"] if b["code"] == code)
            body: dict[str, Any] = {"bundle_code": code}
        else:
            entry = next((i for i in catalogue["items"] if i["code"] == code), None)
            body = {"item_code": code, "facts": {}}
        materials = [m["code"] for m in entry["materials"]] if entry else extra.pop("materials")
        body.update({"applicant": {"name": f"{label}申请人", "contact": "0910-1234567"},
                     "materials": materials, **extra})
        case = self.api.call("POST", "/api/v1/cases", "window", expect=201, json=body)
        self.labels[case["id"]] = label
        return case

    def step(self, case: dict[str, Any], element_id: str | None = None, **body: Any) -> dict[str, Any]:
        """Complete the case's open step ``element_id`` (its only or first open step if None)."""
        tasks = [t for t in case["tasks"] if element_id in (None, t["element_id"])]
        assert tasks, (case["number"], element_id, [t["element_id"] for t in case["tasks"]])
        return self.api.complete(case, tasks[0], **body)

    def until(self, case: dict[str, Any], done: Any, limit: int = 200) -> dict[str, Any]:
        """Complete open steps in order until ``done(case)``."""
        for _ in range(limit):
            if done(case):
                return case
            case = self.step(case)
        raise AssertionError(f"{case['number']} never reached its state")


def make_cases(bureau: Bureau, worker: Worker) -> None:
    api = bureau.api

    # 2026-03-02: the case that will be overdue, and escalated by the worker
    overdue = bureau.register("超期督办中", "XK-0009")  # 出版物零售: 7 working days, due 03-11
    bureau.step(overdue, "accept_application")
    bureau.at("2026-03-11", 17, 31)
    report = worker.run_pass()
    assert report.overdue == 1, report

    bureau.at("2026-03-12")
    bureau.register("待受理", "XK-0001")

    claimed = bureau.step(bureau.register("已签收审查中", "XK-0001"), "accept_application")
    api.call("POST", f"/api/v1/tasks/{claimed['tasks'][0]['id']}/claim", "reviewer_market")

    parallel = bureau.step(bureau.register("并联审查过半", "XK-0008"), "accept_application")
    fire = next(t for t in parallel["tasks"] if t["department"] == "fire_rescue")
    api.complete(parallel, fire, "reviewer_fire_rescue", decision="approve", opinion="消防条件符合")

    notice = [{"material": "M02", "reason": "营业执照已过期，请提供有效期内的执照"}]
    for label in ("待补正（将补正）", "待补正（将逾期视为撤回）"):
        case = bureau.step(bureau.register(label, "XK-0009"), "accept_application")
        bureau.step(case, "review_application", decision="return", opinion="材料需补正", notice=notice)

    expert = bureau.step(bureau.register("专家评审中", "XK-0009"), "accept_application")
    bureau.step(expert, "review_application", decision="expert", opinion="技术问题提请专家评审")

    case = bureau.step(bureau.register("独立现场核查中", "XK-0001"), "accept_application")
    bureau.step(case, "review_application")
    case = bureau.step(bureau.register("委托核查中", "XK-0016"), "accept_application")
    bureau.step(case, "review_application")
    case = bureau.step(bureau.register("联合核查部分完成", "XK-0024"), "accept_application")
    case = bureau.step(case, "review_application")
    joint = [t for t in case["tasks"] if t["element_id"] == "inspect_jointly"]
    if joint:
        api.complete(case, joint[0])

    for label, last in (("待决定", "review_application"), ("待制证", "decide_application"),
                        ("待出件", "make_certificate")):
        case = bureau.register(label, "XK-0009")
        order = ["accept_application", "review_application", "decide_application", "make_certificate"]
        for element_id in order[:order.index(last) + 1]:
            case = bureau.step(case, element_id)

    bureau.until(bureau.register("已办结（准予）", "XK-0009"), lambda c: c["status"] == "completed")
    bureau.until(bureau.register("已办结（即办件）", "XK-0002"), lambda c: c["status"] == "completed")
    rejected = bureau.step(bureau.register("已办结（不予许可）", "XK-0009"), "accept_application")
    rejected = bureau.step(rejected, "review_application", decision="reject", opinion="不符合设立条件")
    rejected = bureau.step(rejected, "decide_application", decision="reject", opinion="不予许可")
    bureau.until(rejected, lambda c: c["status"] == "completed")
    not_accepted = bureau.register("不予受理", "XK-0009")
    bureau.until(bureau.step(not_accepted, "accept_application", decision="reject", opinion="不属于本局受理范围"),
                 lambda c: c["status"] in ("completed", "not_accepted", "closed") or not c["tasks"])

    bundle = bureau.register("一件事（一项已决定）", "YJS-0001", bundle=True)
    bundle = bureau.step(bundle, "accept_application")
    bureau.until(bundle, lambda c: any(i["result"] is not None for i in c["items"]))

    project = bureau.register("工程建设项目（第二阶段）", "GCXM-QY", project={
        "name": "城南物流仓储中心", "location": "城南工业园区", "project_code": "2026-610000-59-01-000002"},
        materials=[m["code"] for s in api.call("GET", "/api/v1/project-types", "window")["project_types"]
                   if s["code"] == "GCXM-QY" for st in s["stages"] for m in st["materials"]])
    bureau.until(project, lambda c: c["project"]["current_stage"] == 2
                 and any(t["element_id"] == "review_stage_items" for t in c["tasks"]))

    commitment = bureau.step(bureau.register("告知承诺待事后核查", "XK-0019"), "accept_with_commitment")
    bureau.step(commitment, "issue_result")
    failed = bureau.step(bureau.register("告知承诺核查不实（撤销审查中）", "XK-0019"), "accept_with_commitment")
    failed = bureau.step(failed, "verify_commitment", decision="fail", opinion="仓库面积与承诺不符")
    for follow_up in failed["follow_up_cases"]:
        bureau.labels[follow_up["id"]] = "撤销审查中（承诺不实引出）"

    # an Idempotency-Key answer kept for replays
    idem = bureau.register("待审查（幂等重放记录）", "XK-0009")
    api.call("POST", f"/api/v1/tasks/{idem['tasks'][0]['id']}/complete", "window",
             json=STEPS.ANSWERS["accept_application"], headers={"Idempotency-Key": "release-2-fixture"})
    bureau.at("2026-03-13", 10)
    worker.run_pass()  # warnings for what is near its limit


def kind_of(column: Any) -> str:
    kind = column.type
    if isinstance(kind, DateTime) or getattr(kind, "impl", None) is not None and isinstance(kind.impl, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, Boolean):
        return "bool"
    return "plain"


def encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value


def dump_tables(db: Database, out: Path) -> tuple[int, int]:
    tables = out / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    rows_total = 0
    with db.session(write=False) as session:
        for table in Base.metadata.sorted_tables:
            columns = [{"name": c.name, "kind": kind_of(c)} for c in table.columns]
            order = list(table.primary_key.columns)
            rows = [[encode(row[c["name"]], c["kind"]) for c in columns]
                    for row in session.execute(select(table).order_by(*order)).mappings()]
            rows_total += len(rows)
            lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
            (tables / f"{table.name}.json").write_text(
                f'{{"table": {json.dumps(table.name)},\n"columns": {json.dumps(columns)},\n'
                f'"rows": [\n{lines}\n]}}\n', encoding="utf-8")
    return len(Base.metadata.sorted_tables), rows_total


def support_module(name: str) -> Any:
    """A module of this checkout's tests/support that imports no ``app`` (the release's is loaded)."""
    spec = importlib.util.spec_from_file_location(f"support_{name}", HERE.parent / "tests" / "support" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: how each step is answered when a case is driven forward (the test finishing the cases uses it too)
STEPS = support_module("release_steps")


def write_schema(url: str, out: Path, support: Any) -> None:
    Database(url).create_schema()
    snapshot = support.snapshot_of(url)
    path = out / f"schema_{snapshot['dialect']}.json"
    path.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def postgres_schema(server_url: str, out: Path, support: Any) -> None:
    name = f"oneseal_release_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        write_schema(server_url.rsplit("/", 1)[0] + f"/{name}", out, support)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--postgres", help="a PostgreSQL server (…/postgres) to take the schema there too")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    support = support_module("schema")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'release.db'}"
        write_schema(url, out, support)
        settings = Settings.load(database_url=url, instance_dir=Path(tmp) / "instance",
                                 reports_dir=Path(tmp) / "reports", secret_key="release-fixture",
                                 password_method="pbkdf2:sha256:1000", demo_password=PASSWORD, testing=True)
        clock = FixedClock(START.astimezone(UTC), step=timedelta(seconds=1))
        app = create_app(settings, clock=clock, warm=False)
        ext = app.extensions["oneseal"]
        with ext.db.unit_of_work() as session:
            deploy_shipped(session, ext.runtime, SYSTEM)
            load_demo(session, ext.runtime, PASSWORD, with_cases=False)
        client = Client(app)
        bureau = Bureau(client, clock)
        make_cases(bureau, Worker(ext.db, ext.runtime))
        cases = []
        for case_id, label in sorted(bureau.labels.items()):
            case = client.case(case_id)
            cases.append({"label": label, "id": case_id, "number": case["number"], "kind": case["kind"],
                          "item_code": case["item_code"], "status": case["status"], "result": case["result"],
                          "open_steps": sorted(f"{t['element_id']}:{t['department']}" for t in case["tasks"])})
        (out / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tables, rows = dump_tables(ext.db, out)
        with ext.db.session(write=False) as session:
            events = session.execute(text("SELECT COUNT(*) FROM audit_events")).scalar()
        ext.db.dispose()
    if args.postgres:
        postgres_schema(args.postgres, out, support)
    for case in cases:
        print(f"{case['number']} {case['status']:<20} {case['label']}  {' '.join(case['open_steps'])}")
    print(f"cases={len(cases)} open={sum(1 for c in cases if c['open_steps'])} tables={tables} rows={rows} "
          f"events={events}")


if __name__ == "__main__":
    main()
