"""Rows written by prepared statements end as a flush would leave them, and keep the version check."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import make_transient
from sqlalchemy.orm.exc import StaleDataError

from app.persistence.models import Case, TaskRecord
from app.persistence.engine.row_writes import write_rows
from app.services.access.auth import actor_for_username


class Statements:
    def __init__(self, engine: Any) -> None:
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)
        self.engine = engine

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement.split()[0].upper())

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_a_changed_row_is_updated_once_at_its_version_and_left_clean(ext, case_id):
    with ext.db.unit_of_work() as session:
        case = session.get(Case, case_id)
        version = case.version
        case.applicant_name = "新华书店（城关店）"
        statements = Statements(ext.db.write_engine)
        write_rows(session, case)
        assert case.version == version + 1
        assert not session.dirty and case not in session.dirty
        session.flush()
        statements.close()
        assert statements.seen == ["UPDATE"]  # the flush had nothing left to send
    with ext.db.unit_of_work() as session:
        stored = session.get(Case, case_id)
        assert (stored.applicant_name, stored.version) == ("新华书店（城关店）", version + 1)


def test_a_row_changed_meanwhile_by_someone_else_is_refused_and_nothing_written(ext, case_id):
    with ext.db.unit_of_work() as session:
        case = session.get(Case, case_id)
        version = case.version
        case.applicant_name = "改名后的书店"
        # another writer moved the case on since it was read (behind this session's back)
        session.connection().execute(update(Case.__table__).where(Case.__table__.c.id == case_id)
                                     .values(version=version + 1, result="approved"))
        with pytest.raises(StaleDataError):
            write_rows(session, case)
        session.rollback()
    with ext.db.unit_of_work() as session:
        stored = session.get(Case, case_id)
        assert stored.applicant_name == "新华书店" and stored.version == version


def test_a_new_row_is_inserted_and_later_changes_go_through_the_session(ext, case_id):
    with ext.db.unit_of_work() as session:
        ready = session.scalars(select(TaskRecord).where(TaskRecord.case_id == case_id)).one()
        copy = TaskRecord(**{c.key: getattr(ready, c.key) for c in TaskRecord.__table__.c})
        copy.id, copy.name = "0" * 8 + "-0000-0000-0000-" + "0" * 12, "复制的任务"
        write_rows(session, copy)
        assert copy in session and not session.new and not session.dirty
        copy.opinion = "之后的修改"
        session.flush()
    with ext.db.unit_of_work() as session:
        stored = session.get(TaskRecord, copy.id)
        assert (stored.name, stored.opinion) == ("复制的任务", "之后的修改")


def test_a_new_row_without_its_key_is_refused(ext, case_id):
    with ext.db.unit_of_work() as session:
        ready = session.scalars(select(TaskRecord).where(TaskRecord.case_id == case_id)).one()
        session.expunge(ready)
        make_transient(ready)
        ready.id = None
        with pytest.raises(ValueError):
            write_rows(session, ready)


def test_the_public_set_committed_value_would_leave_the_row_to_be_planned_again(ext, case_id):
    """Why write_rows ends with a private call: SQLAlchemy's public set_committed_value() clears
    an attribute's history, but the row stays in the session's dirty list, so the next flush
    would work out its plan again, the cost write_rows exists to spare."""
    from sqlalchemy.orm.attributes import set_committed_value

    with ext.db.unit_of_work() as session:
        case = session.get(Case, case_id)
        case.applicant_name = "新华书店（城关店）"
        set_committed_value(case, "applicant_name", case.applicant_name)
        assert case in session.dirty  # still to be visited by the next flush
        session.rollback()


def test_written_once_writes_each_row_once_however_often_it_changes(ext, case_id):
    from app.persistence.engine.row_writes import written_once

    with ext.db.unit_of_work() as session:
        case = session.get(Case, case_id)
        version = case.version
        statements = Statements(ext.db.write_engine)
        with written_once(session, case):
            for name in ("甲书店", "乙书店", "丙书店"):
                case.applicant_name = name
                session.execute(select(TaskRecord).where(TaskRecord.case_id == case_id))  # no autoflush
        statements.close()
        assert statements.seen.count("UPDATE") == 1 and case.version == version + 1
    with ext.db.unit_of_work() as session:
        assert session.get(Case, case_id).applicant_name == "丙书店"


def _stored(session, task_id: str) -> dict[str, Any]:
    """The row as the database holds it (the driver's values, no type of ours applied)."""
    row = session.connection().exec_driver_sql(
        "SELECT * FROM tasks WHERE id = " + ("?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"),
        (task_id,)).mappings().one()
    return {key: value for key, value in row.items() if key != "id"}


def test_a_prepared_statement_stores_exactly_what_the_orm_would(ext, case_id):
    """Rows written by their prepared SQL hold, column by column, what the ORM's own flush
    writes for the same values: times on the second and with microseconds, JSON with Chinese
    text, absent values; before and after an update."""
    from datetime import UTC, datetime

    from sqlalchemy import inspect as inspect_

    from app.persistence.engine import prepared as prepared_sql, row_writes

    on_the_second = datetime(2026, 12, 7, 9, 0, 0, tzinfo=UTC)
    with_micro = datetime(2026, 12, 7, 9, 0, 0, 123456, tzinfo=UTC)

    def task(task_id: str) -> TaskRecord:
        return TaskRecord(id=task_id, case_id=case_id, element_id="Task_受理", name="受理", role="window",
                          department="综合窗口", kind="workflow", item_code="XK-0009", project_stage=None,
                          status="ready", claimed_by=None, created_at=on_the_second, due_at=with_micro,
                          data={"意见": "同意", "n": 1, "list": [1, "二"]})

    with ext.db.unit_of_work() as session:
        prepared, flushed = task("prepared-row"), task("flushed-row")
        write_rows(session, prepared)
        session.add(flushed)
        session.flush()
        mapper = inspect_(TaskRecord)
        keys = tuple(column.key for key, column in row_writes.mapped_columns(mapper).items()
                     if key in inspect_(prepared).dict)
        assert prepared_sql._prepared(row_writes._insert_statement(mapper), keys,
                                    session.get_bind().dialect) is not None, "the insert took the prepared path"
        assert _stored(session, "prepared-row") == _stored(session, "flushed-row")
        for row in (prepared, flushed):
            row.status, row.completed_at, row.completed_by = "completed", with_micro, "window"
            row.opinion, row.data = "材料齐全，予以受理", {"审核": {"结论": "通过"}}
        write_rows(session, prepared)
        session.flush()
        assert _stored(session, "prepared-row") == _stored(session, "flushed-row")


def test_a_prepared_query_reads_what_sqlalchemy_reads(ext, case_id):
    """The prepared reads (a token's holder, a case's ready tasks) give, value for value, the
    rows SQLAlchemy's own execution gives: times converted, flags as booleans, JSON parsed, and
    the values the statement holds itself (``status = 'ready'``) bound."""
    from app.persistence.access import users
    from app.persistence.access.users import token_digest
    from app.persistence.cases import tasks as task_queries
    from app.persistence.engine import prepared as prepared_sql
    from app.services.access.auth import issue_token

    with ext.db.unit_of_work() as session:
        token = issue_token(session, ext.runtime, actor_for_username(session, "window"))
    with ext.db.unit_of_work() as session:
        connection = session.connection()
        for statement, values in ((task_queries._READY_ROWS_OF_CASE, {"b_case": case_id}),
                                  (users._TOKEN_HOLDER, {"b_hash": token_digest(token)})):
            assert prepared_sql._prepared(statement, tuple(values), connection.dialect) is not None
            read = prepared_sql.fetch(connection, statement, values)
            assert read and read == [tuple(row) for row in connection.execute(statement, values)]


def test_a_prepared_statement_goes_to_the_driver_unless_someone_listens(ext, case_id, monkeypatch):
    """Sent on the driver's cursor, in SQLAlchemy's transaction, without its execution machinery
    (a fifth of a completion's Python work); a listener to the connection's statements (a test
    counting them) gets them through SQLAlchemy as before."""
    from sqlalchemy.engine import base

    from app.persistence.access import users
    from app.persistence.engine import prepared as prepared_sql

    executed: list[str] = []
    original = base.Connection._execute_context

    def counted(self: Any, dialect: Any, constructor: Any, statement: Any, *rest: Any, **kw: Any) -> Any:
        executed.append(str(statement).split()[0])
        return original(self, dialect, constructor, statement, *rest, **kw)

    monkeypatch.setattr(base.Connection, "_execute_context", counted)
    with ext.db.unit_of_work() as session:
        task = session.scalars(select(TaskRecord).where(TaskRecord.case_id == case_id)).first()
        executed.clear()
        connection = session.connection()
        assert prepared_sql.send(connection, update(TaskRecord.__table__).where(
            TaskRecord.__table__.c.id == task.id), {"opinion": "直达驱动"}) == 1
        assert prepared_sql.fetch(connection, users._TOKEN_HOLDER, {"b_hash": "无此凭证"}) == []
        assert executed == []
        statements = Statements(ext.db.write_engine)
        try:
            assert prepared_sql.fetch(connection, users._TOKEN_HOLDER, {"b_hash": "无此凭证"}) == []
        finally:
            statements.close()
        assert statements.seen == ["SELECT"] and len(executed) == 1
    with ext.db.unit_of_work() as session:
        assert session.get(TaskRecord, task.id).opinion == "直达驱动"


def test_a_refused_prepared_statement_raises_as_sqlalchemy_does(ext, case_id):
    """A driver error on the direct path arrives as SQLAlchemy's own exception, the driver's
    error inside, so the edge answers it as before (a duplicate key: 409 ``conflict``)."""
    from sqlalchemy.exc import IntegrityError

    from app.persistence.engine import prepared as prepared_sql

    with ext.db.unit_of_work() as session:
        task = session.scalars(select(TaskRecord).where(TaskRecord.case_id == case_id)).first()
        values = {"id": task.id, "case_id": case_id, "element_id": "Task_重复", "name": "重复",
                  "role": "window", "kind": "workflow", "status": "ready"}
        with pytest.raises(IntegrityError) as raised:
            prepared_sql.send(session.connection(), TaskRecord.__table__.insert(), values)
        assert isinstance(raised.value.orig, session.get_bind().dialect.loaded_dbapi.IntegrityError)
        assert raised.value.statement.startswith("INSERT INTO tasks")
        session.rollback()


def test_only_the_columns_changed_from_what_was_read_are_written(ext, case_id):
    """A value set again unchanged, or set and then set back, is not written (as the ORM's own
    history decides); the version still moves on once."""
    written: list[dict[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("UPDATE cases"):
            written.append(parameters)

    with ext.db.unit_of_work() as session:
        case = session.get(Case, case_id)
        read_at, status, materials, facts = case.version, case.status, list(case.materials), dict(case.facts)
        case.status = status  # unchanged
        case.materials = list(materials)  # an equal JSON value
        case.result = "approved"
        case.facts = {"临时": 1}
        case.facts = dict(facts)  # and back
        event.listen(ext.db.write_engine, "before_cursor_execute", record)
        try:
            write_rows(session, case)
        finally:
            event.remove(ext.db.write_engine, "before_cursor_execute", record)
        assert case.version == read_at + 1
    assert len(written) == 1
    sent = str(written[0])
    assert "approved" in sent and status not in sent and "临时" not in sent


def test_a_prepared_insert_gives_the_new_row_s_key(ext, case_id):
    """An audit event written by the prepared insert: its key is the stored row's, and the row
    holds what the ORM reads back (the chain verifies)."""
    from datetime import UTC, datetime

    from app.persistence.audit.chain import append_event_now, verify_chain
    from app.persistence.models import AuditEvent

    with ext.db.unit_of_work() as session:
        appended = append_event_now(session, occurred_at=datetime(2026, 12, 7, 9, 0, 0, 5, tzinfo=UTC),
                                    actor="window", action="note_added", case_id=case_id,
                                    after={"意见": "同意", "n": [1, "二"]})
    with ext.db.unit_of_work() as session:
        stored = session.get(AuditEvent, appended.id)
        assert stored is not None and (stored.hash, stored.after) == (appended.hash, {"意见": "同意", "n": [1, "二"]})
        assert session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first() == appended.id
        assert verify_chain(session)[1] is None
