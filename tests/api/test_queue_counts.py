"""The inbox's 部门待办 total on SQLite is the department's kept count of ready tasks
(task_queue_counts, kept by triggers on tasks), not a walk over its queue: the count follows
every step, is what the inbox answers, and ``oneseal check cases`` and ``oneseal db check`` say
when it or its triggers are wrong. PostgreSQL keeps nothing and counts the queue as before."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from app.cli import main
from app.persistence.engine.schema_check import check_connection
from app.persistence.models import TaskRecord
from app.persistence.tables.queue_counts import TaskQueueCount
from tests.support.cases import register, work
from tests.support.database import ON_POSTGRES

on_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="the count is kept on SQLite only")


def _ready_by_queue(ext) -> dict[tuple[str, str], int]:
    with ext.db.session(write=False) as session:
        return {(r, d): n for r, d, n in session.execute(
            select(TaskRecord.role, TaskRecord.department, func.count())
            .where(TaskRecord.status == "ready").group_by(TaskRecord.role, TaskRecord.department))}


def _kept(ext) -> dict[tuple[str, str], int]:
    with ext.db.session(write=False) as session:
        return {(r, d): n for r, d, n in session.execute(
            select(TaskQueueCount.role, TaskQueueCount.department, TaskQueueCount.ready)) if n}


def _queue_total(api, user: str = "window2") -> int:
    page = api.get("/api/v1/tasks?tab=department", as_user=user).get_json()
    return page["counts"]["department"] + page["counts"]["mine"]


@pytest.fixture
def check(settings, monkeypatch):
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONESEAL_SECRET_KEY", "test-secret")
    monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(settings.instance_dir))
    return lambda: CliRunner().invoke(main, ["check", "cases"])


def test_the_kept_count_follows_registrations_claims_completions_and_hand_overs(api, ext, check):
    cases = [register(api) for _ in range(3)]

    def ok(response):  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.get_json()

    steps = [
        lambda: ok(api.post(f"/api/v1/tasks/{cases[0]['tasks'][0]['id']}/claim", as_user="window")),
        lambda: work(api, cases[1], "window", "approve", "予以受理"),  # 受理 done, 审查 ready elsewhere
        lambda: ok(api.post(f"/api/v1/tasks/{cases[0]['tasks'][0]['id']}/release", as_user="window")),
        lambda: ok(api.post(f"/api/v1/tasks/{cases[2]['tasks'][0]['id']}/claim", as_user="window")),
        lambda: ok(api.post(f"/api/v1/tasks/{cases[2]['tasks'][0]['id']}/transfer", as_user="window",
                            json={"to": "window2", "reason": "请假"})),
        lambda: work(api, cases[2], "window2", "approve", "予以受理"),
    ]
    for step in [lambda: None, *steps]:
        step()
        actual = _ready_by_queue(ext)
        assert _queue_total(api) == actual.get(("window", "window"), 0)
        assert _kept(ext) == ({} if ON_POSTGRES else actual)
    assert check().exit_code == 0


def test_a_ready_task_moved_to_another_department_or_deleted_leaves_one_count_and_enters_the_other(api, ext):
    case = register(api)
    task_id = case["tasks"][0]["id"]
    with ext.db.unit_of_work() as session:  # any writer, not only the service: the database keeps it
        session.execute(update(TaskRecord).where(TaskRecord.id == task_id).values(department="market"))
    assert _kept(ext) == ({} if ON_POSTGRES else _ready_by_queue(ext))
    with ext.db.unit_of_work() as session:
        session.execute(TaskRecord.__table__.delete().where(TaskRecord.id == task_id))
    assert _kept(ext) == ({} if ON_POSTGRES else _ready_by_queue(ext))


@on_sqlite
def test_the_inbox_answers_the_kept_count_and_the_check_names_one_that_is_wrong(api, ext, check):
    register(api)
    register(api)
    assert _queue_total(api) == 2
    with ext.db.unit_of_work() as session:
        session.execute(update(TaskQueueCount).values(ready=TaskQueueCount.ready + 5))
    assert _queue_total(api) == 7  # read from the row, not counted
    result = check()
    assert result.exit_code == 1
    assert "待办计数不一致：window／window 记为 7 件，实有 2 件待办" in result.output, result.output
    with ext.db.unit_of_work() as session:
        session.execute(update(TaskQueueCount).values(ready=TaskQueueCount.ready - 5))
    assert check().exit_code == 0


@on_sqlite
def test_db_check_names_a_missing_trigger_of_the_count(ext):
    with ext.db.write_engine.connect() as connection:
        connection.execute(text("DROP TRIGGER tasks_queue_count_update"))  # in a transaction, rolled back
        report = check_connection(connection)
        connection.rollback()
    assert "待办计数的维护触发器缺失：触发器 tasks_queue_count_update" in report.differences
    with ext.db.write_engine.connect() as connection:
        assert "待办计数" not in " ".join(check_connection(connection).differences)
