"""Fuzz every operation of the JSON API for a while, from its OpenAPI document (schemathesis).

Builds a fresh app with the shipped diagrams and the demo users on a throwaway database (a
SQLite file, or with ``--database-url postgresql+psycopg://…/any`` a new PostgreSQL database on
that server, dropped afterwards), then sends generated requests (valid ones, and ones that break
the document on purpose) through the WSGI app as window, reviewer, designer, auditor and admin,
pass after pass with new seeds, until the time is up. Needs the ``test`` extra installed.

    .venv/bin/python scripts/fuzz_api.py [--minutes 3] [--examples 50] [--seed 0] [--database-url URL]

Every 5xx is printed with its request; so are responses that do not match the document
(``--no-conformance`` skips those checks). The last line reads
``operations=<n> requests=<n> failures_5xx=<n>``; the exit status is 1 when there was a 5xx.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.persistence.engine.db import Database  # noqa: E402
from app.services.actor import SYSTEM  # noqa: E402
from app.services.demo import load_demo  # noqa: E402
from app.services.processes.modeler import deploy_shipped  # noqa: E402
from tests.support.api_fuzzing import fuzz_for  # noqa: E402

PASSWORD = "fuzz-password"


@contextmanager
def throwaway_database(server_url: str | None, folder: Path) -> Iterator[str]:
    if not server_url:
        yield f"sqlite:///{folder / 'fuzz.db'}"
        return
    name = f"oneseal_fuzz_{uuid.uuid4().hex[:8]}"
    base = server_url.rsplit("/", 1)[0]
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long to keep fuzzing (at least one pass)")
    parser.add_argument("--examples", type=int, default=50, help="generated requests per operation and pass")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first pass (then +1 each pass)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to fuzz on (default: SQLite)")
    parser.add_argument("--no-conformance", action="store_true", help="check for 5xx only")
    parser.add_argument("--samples", action="store_true", help="print one request and answer per status")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # a 5xx is printed below, with its request

    with tempfile.TemporaryDirectory(prefix="oneseal-fuzz-") as tmp, \
            throwaway_database(args.database_url, Path(tmp)) as url:
        Database(url).create_schema()
        settings = Settings.load(database_url=url, instance_dir=Path(tmp) / "instance",
                                 reports_dir=Path(tmp) / "reports", secret_key="fuzz",
                                 password_method="pbkdf2:sha256:1000", demo_password=PASSWORD, testing=True)
        app = create_app(settings, warm=False)
        ext = app.extensions["oneseal"]
        with ext.db.unit_of_work() as session:
            deploy_shipped(session, ext.runtime, SYSTEM)
            load_demo(session, ext.runtime, PASSWORD, with_cases=False)
        try:
            report = fuzz_for(app, PASSWORD, seconds=args.minutes * 60, examples=args.examples,
                              first_seed=args.seed, conformance=not args.no_conformance)
        finally:
            ext.db.dispose()
    for label, count in sorted(report.statuses.items()):
        print(f"{count:7d}  {label}")
        if args.samples:
            print(f"         e.g. {report.samples[label]}")
    for line in report.nonconforming:
        print(f"not as documented: {line}")
    for line in report.server_errors:
        print(f"5xx: {line}")
    print(f"database={'postgresql' if args.database_url else 'sqlite'} nonconforming={len(report.nonconforming)}")
    print(report.summary)
    return 1 if report.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
