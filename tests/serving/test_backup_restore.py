"""Backups (PostgreSQL): a ``pg_dump`` of a working database, restored into an empty database,
is the same trail (``oneseal audit verify`` passes, the head recorded before the dump still
holds), keeps the trail append-only, agrees case by case with its inbox, and serves on: a case
restored mid-way is finished on the copy. README, "Production: backups" gives the commands."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.persistence.audit.chain import chain_head
from app.persistence.models import AuditEvent
from tests.support.api import ApiClient
from tests.support.cases import register, work
from tests.support.database import ON_POSTGRES
from tests.support.server import ONESEAL, server_env

pytestmark = pytest.mark.skipif(not ON_POSTGRES or shutil.which("pg_dump") is None
                                or shutil.which("pg_restore") is None,
                                reason="pg_dump and pg_restore against the suite's PostgreSQL")


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _oneseal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ONESEAL), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def restored_url(database_url: str):
    name = database_url.rsplit("/", 1)[1] + "_restored"
    admin = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_dump_restored_into_an_empty_database_verifies_and_serves_on(api, app, ext, database_url, restored_url,
                                                                         settings, clock, tmp_path: Path):
    decided = work(api, work(api, register(api), "window", "approve", "予以受理"), "reviewer_market", "approve")
    accepted = work(api, register(api), "window", "approve", "予以受理")
    register(api)
    with ext.db.session(write=False) as session:
        head = chain_head(session)
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    assert head is not None and events

    dump = tmp_path / "oneseal.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq(database_url)],
                   check=True, capture_output=True, timeout=300)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored_url)}", str(dump)],
                   check=True, capture_output=True, timeout=300)

    env = server_env(restored_url, tmp_path / "instance")
    verified = _oneseal(env, "audit", "verify", "--anchor", f"{head.id}:{head.hash}")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"审计链完整：已核验 {events} 条事件" in verified.stdout
    consistent = _oneseal(env, "check", "cases")
    assert consistent.returncode == 0, consistent.stdout + consistent.stderr
    assert "已核对 3 个办件" in consistent.stdout

    # ---- `oneseal db check` (models and migrations agree) once the Alembic command exists ----
    if _oneseal(env, "db", "--help").returncode == 0:
        checked = _oneseal(env, "db", "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr

    # the copy's trail is append-only like the original's (the trigger came with the dump)
    copy = create_engine(restored_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), copy.begin() as conn:
            conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = 1"))
    finally:
        copy.dispose()

    # and it serves on: the cases continue where the dump left them
    restored_app = create_app(replace(settings, database_url=restored_url), clock=clock, warm=False)
    try:
        on_copy = ApiClient(restored_app.test_client())
        after = work(on_copy, accepted, "reviewer_market", "approve", "复核通过")
        assert after["status"] == decided["status"]
        again = _oneseal(env, "audit", "verify")
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        restored_app.extensions["oneseal"].db.dispose()
    assert os.path.getsize(dump) > 0
