"""Schema migrations, on the suite's database (SQLite, or PostgreSQL when it runs there): the
migrations build exactly what the models describe (``oneseal db check``, run here so that CI runs
it on both databases), 0001 is exactly the schema of the release before migrations, downgrades
undo, an upgrade is one transaction, and a database the migrations did not make is adopted only
when it is that release's."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from app.cli import main
from app.persistence.engine.migrate import FIRST_REVISION, SchemaError, downgrade, head_revision, upgrade
from app.persistence.models import Base
from tests.support.database import BASE_URL
from tests.support.release_fixture import RELEASE_2
from tests.support.schema import scratch_database, snapshot_of


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database of the suite's kind, which the ``oneseal`` commands use."""
    with scratch_database(BASE_URL, tmp_path) as url:
        monkeypatch.setenv("ONESEAL_DATABASE_URL", url)
        monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(tmp_path / "instance"))
        yield url


def oneseal(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def without_triggers(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k != "triggers"}


def test_an_empty_database_upgraded_to_head_matches_the_models(empty):
    result = oneseal("db", "current")
    assert result.exit_code == 0 and "没有迁移版本记录" in result.output
    result = oneseal("db", "upgrade")
    assert result.exit_code == 0 and f"空库 → {head_revision()}" in result.output
    result = oneseal("db", "check")
    assert result.exit_code == 0, result.output
    assert f"数据库结构与模型一致：迁移版本 {head_revision()}（最新）" in result.output
    assert f"当前版本：{head_revision()}（最新）" in oneseal("db", "current").output
    assert "无需升级" in oneseal("db", "upgrade").output


def test_the_migrations_make_what_the_models_make_to_the_last_name_and_index(empty, tmp_path):
    upgrade(empty)
    with scratch_database(BASE_URL, tmp_path) as models_only:
        engine = create_engine(models_only)
        Base.metadata.create_all(engine)
        engine.dispose()
        assert without_triggers(snapshot_of(empty)) == without_triggers(snapshot_of(models_only))


def test_migration_0001_is_exactly_the_schema_of_the_release_before_migrations(empty):
    upgrade(empty, FIRST_REVISION)
    made = snapshot_of(empty)
    recorded = json.loads((RELEASE_2 / f"schema_{made['dialect']}.json").read_text(encoding="utf-8"))
    assert made == recorded


def test_db_check_lists_in_chinese_what_differs_and_fails(empty):
    upgrade(empty, FIRST_REVISION)
    result = oneseal("db", "check")
    assert result.exit_code == 1
    for said in (f"数据库的迁移版本是 {FIRST_REVISION}，最新版本是 {head_revision()}", "模型有而数据库没有的表：web_sessions",
                 "模型有而数据库没有的列：workflow_states.revision", "列 incidents.case_id 可否为空不同"):
        assert said in result.output, result.output
    upgrade(empty)
    guard = "audit_events_no_update" if not BASE_URL.startswith("postgresql") else "audit_events_no_change"
    execute(empty, "DROP INDEX ix_tasks_inbox", "ALTER TABLE cases ADD COLUMN remark VARCHAR(20)",
            f"DROP TRIGGER {guard}" + (" ON audit_events" if BASE_URL.startswith("postgresql") else ""))
    result = oneseal("db", "check")
    assert result.exit_code == 1
    for said in ("表 tasks 缺少名为 ix_tasks_inbox 的约束或索引", "数据库有而模型没有的列：cases.remark",
                 f"审计表的只追加保护缺失：触发器 {guard}", "共 "):
        assert said in result.output, result.output


def test_downgrade_to_0001_then_to_nothing_and_up_again(empty):
    upgrade(empty)
    result = oneseal("db", "downgrade", FIRST_REVISION)
    assert result.exit_code == 0 and f"{head_revision()} → {FIRST_REVISION}" in result.output
    tables = set(inspect(create_engine(empty)).get_table_names())
    assert "web_sessions" not in tables and "failed_attempts" not in tables and "cases" in tables
    if BASE_URL.startswith("postgresql"):  # the release's constraint names are back (SQLite keeps the new ones)
        made = snapshot_of(empty)
        assert made == json.loads((RELEASE_2 / "schema_postgresql.json").read_text(encoding="utf-8"))
    downgrade(empty, "base")
    assert set(inspect(create_engine(empty)).get_table_names()) <= {"alembic_version"}
    upgrade(empty)
    assert oneseal("db", "check").exit_code == 0


def test_an_upgrade_that_fails_leaves_the_database_as_it_was(empty):
    upgrade(empty, FIRST_REVISION)
    execute(empty, "CREATE TABLE web_sessions (id INTEGER PRIMARY KEY)")  # in the way of 0002
    before = snapshot_of(empty)
    result = oneseal("db", "upgrade")
    assert result.exit_code == 1 and "迁移失败，数据库未改变" in result.output, result.output
    assert snapshot_of(empty) == before
    assert f"当前版本：{FIRST_REVISION}" in oneseal("db", "current").output


def test_two_upgrades_at_once_upgrade_once(empty):
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(upgrade(empty))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((r.before or "", r.after) for r in results) == [("", head_revision()), (head_revision(), head_revision())]
    assert oneseal("db", "check").exit_code == 0


def test_init_db_upgrades_by_the_migrations(empty):
    result = oneseal("init-db")
    assert result.exit_code == 0 and f"空库 → {head_revision()}" in result.output and "个流程已部署" in result.output
    assert oneseal("db", "check").exit_code == 0


def test_a_database_made_before_migrations_by_another_schema_is_refused_untouched(empty):
    engine = create_engine(empty)
    Base.metadata.create_all(engine)  # today's tables, but no record of migrations: not a release's
    engine.dispose()
    before = snapshot_of(empty)
    result = oneseal("db", "upgrade")
    assert result.exit_code == 1
    assert "无法自动接管" in result.output and "多出表 failed_attempts" in result.output, result.output
    assert snapshot_of(empty) == before
    with pytest.raises(SchemaError):
        upgrade(empty)


def test_an_unknown_revision_is_refused_in_chinese(empty):
    result = oneseal("db", "upgrade", "9999")
    assert result.exit_code == 1 and "迁移未执行" in result.output


def test_the_next_migration_is_numbered_after_the_head(empty, tmp_path, monkeypatch):
    from app.persistence.engine import migrate

    upgrade(empty)
    assert migrate.new_revision(empty, "nothing changed", autogenerate=True) is None
    versions = tmp_path / "versions"  # written into a copy of the scripts, not into the package
    import shutil

    shutil.copytree(migrate.MIGRATIONS_DIR, tmp_path / "migrations")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", tmp_path / "migrations")
    path = migrate.new_revision(empty, "add a column", autogenerate=False)
    assert path is not None and path.name == f"{int(head_revision()) + 1:04d}_add_a_column.py"
    assert path.parent == tmp_path / "migrations" / versions.name
