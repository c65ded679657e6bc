"""A throwaway database for a run: a SQLite file in the run's folder, or a new PostgreSQL
database on the server named by ``--database-url`` (dropped afterwards unless kept)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

PASSWORD = "load-password"


@contextmanager
def throwaway_database(server_url: str | None, folder: Path, *, keep: bool = False) -> Iterator[str]:
    if not server_url or server_url.startswith("sqlite"):
        yield server_url or f"sqlite:///{folder / 'oneseal.db'}"
        return
    name = f"oneseal_load_{uuid.uuid4().hex[:8]}"
    base = server_url.rsplit("/", 1)[0]
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        if keep:
            print(f"database kept: {base}/{name}", file=sys.stderr)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def environment(url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The ``ONESEAL_*`` settings of every process of the run (server, worker, commands)."""
    env = dict(os.environ)
    env.update({
        "ONESEAL_DATABASE_URL": url,
        "ONESEAL_INSTANCE_DIR": str(folder / "instance"),
        "ONESEAL_REPORTS_DIR": str(folder / "reports"),
        "ONESEAL_SECRET_KEY": "load-secret",
        "ONESEAL_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "ONESEAL_DEMO_PASSWORD": PASSWORD,
        "ONESEAL_TOKEN_TTL_HOURS": "24",
    })
    env.update(extra)
    return env


def oneseal() -> str:
    """The ``oneseal`` command of the interpreter running the script."""
    command = Path(sys.executable).parent / "oneseal"
    return str(command) if command.exists() else "oneseal"


def seed(env: dict[str, str]) -> None:
    """The schema, the shipped diagrams, the demo users and the demo cases (``init-db --demo``)."""
    subprocess.run([oneseal(), "init-db", "--demo"], env=env, check=True, stdout=subprocess.DEVNULL)


def run_command(env: dict[str, str], *args: str) -> tuple[int, str]:
    """A ``oneseal`` command's exit status and its output (the last lines kept)."""
    done = subprocess.run([oneseal(), *args], env=env, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()
