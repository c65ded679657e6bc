"""Issue signed certificates and time them.

Usage: python scripts/bench_certificates.py [--count 200] [--database-url postgresql+psycopg://…/any]

On a fresh database (SQLite in a temporary folder unless told otherwise) with a demo seal, it
registers ``count`` cases of 食品经营许可证补办 (an immediate item) and times, for each, the
window's on-the-spot approval that issues the licence: the workflow step, the certificate's
number, the page rendered with its embedded CJK font, QR code and seal, the PAdES signature,
the registry rows and audit events, and the commit — one unit of work, as a request does.
It prints the split (render, sign) measured apart on the same content, then the last line
``certificates_per_s=<n> p95_ms=<n>`` (target: p95 ≤ 150 ms per signed certificate).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from app.config import Settings  # noqa: E402
from app.documents.layout import DocumentContent, render  # noqa: E402
from app.documents.signing import sign_pdf  # noqa: E402
from app.persistence.cases import tasks as task_queries  # noqa: E402
from app.persistence.engine.db import Database  # noqa: E402
from app.services.access.auth import actor_for_username  # noqa: E402
from app.services.actor import SYSTEM  # noqa: E402
from app.services.casework.claims import claim_task  # noqa: E402
from app.services.casework.completion import Completion, complete_task  # noqa: E402
from app.services.demo import load_demo  # noqa: E402
from app.services.intake.application import Application  # noqa: E402
from app.services.intake.registration import register_case  # noqa: E402
from app.services.processes.modeler import deploy_shipped  # noqa: E402
from app.services.runtime import build_runtime  # noqa: E402

ITEM = "XK-0002"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server: a throwaway database is made on it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, drop = f"sqlite:///{Path(folder) / 'bench.db'}", None
        if args.database_url:
            name = f"oneseal_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url, drop = args.database_url.rsplit("/", 1)[0] + f"/{name}", (admin, name)
        try:
            run(url, Path(folder), args.count)
        finally:
            if drop is not None:
                admin, name = drop
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(url: str, folder: Path, count: int) -> None:
    settings = Settings.load(database_url=url, instance_dir=folder / "instance", secret_key="bench",
                             password_method="pbkdf2:sha256:1000", testing=True)  # testing: a demo seal is made
    db = Database(url)
    db.create_schema()
    runtime = build_runtime(settings)
    with db.unit_of_work() as session:
        deploy_shipped(session, runtime, SYSTEM)
        load_demo(session, runtime, "bench-password", with_cases=False)
    with db.session(write=False) as session:
        window = actor_for_username(session, "window")
    assert window is not None
    materials = [m.code for m in runtime.catalogue.item(ITEM).materials]
    tasks = []
    for index in range(count):
        with db.unit_of_work() as session:
            case = register_case(session, runtime, window, Application(ITEM, {"name": f"基准餐饮店{index}"}, materials))
            task_id = task_queries.ready_tasks_of_case(session, case.id)[0].id
            claim_task(session, runtime, window, task_id)
            tasks.append(task_id)
    # warm-up outside the figures: the font parsed, the signer built
    seal = runtime.seals.current()
    content = DocumentContent(kind="certificate", title="食品经营许可证", number="2026-XK-0002-Z99999",
                              holder="基准餐饮店", item_name="食品经营许可证补办", issued_on=date(2026, 3, 2),
                              bureau_name=runtime.catalogue.bureau_name, verify_url="http://127.0.0.1:8000/verify",
                              check_code="ABCDEFGH", valid_until=date(2031, 3, 1),
                              rows=(("经营者名称", "基准餐饮店"), ("经营项目", "预包装食品销售")))
    sign_pdf(render(content), seal, reason="warm-up", location="bench")
    renders, signs = [], []
    for _ in range(30):
        started = time.perf_counter()
        page = render(content)
        renders.append(time.perf_counter() - started)
        started = time.perf_counter()
        sign_pdf(page, seal, reason="bench", location="bench")
        signs.append(time.perf_counter() - started)
    latencies = []
    began = time.perf_counter()
    for task_id in tasks:
        started = time.perf_counter()
        with db.unit_of_work() as session:
            complete_task(session, runtime, window, task_id, Completion("approve", "当场办结", {"scope": "预包装食品销售"}))
        latencies.append(time.perf_counter() - started)
    total = time.perf_counter() - began
    db.dispose()
    ms = [x * 1000 for x in latencies]
    print(f"database: {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; {count} approvals on the spot, "
          f"each issuing one signed licence (PAdES B-B, ECDSA P-256)")
    print(f"render (page, CJK font subset, QR, seal): p50 {statistics.median(renders) * 1000:.1f} ms, "
          f"p95 {percentile(renders, 0.95) * 1000:.1f} ms")
    print(f"sign (pyHanko PAdES): p50 {statistics.median(signs) * 1000:.1f} ms, p95 {percentile(signs, 0.95) * 1000:.1f} ms")
    print(f"step with certificate and commit: p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
          f"max {max(ms):.1f} ms")
    print(f"certificates_per_s={count / total:.1f} p95_ms={percentile(ms, 0.95):.1f}")


if __name__ == "__main__":
    main()
