"""Objects made from a prepared read are what the ORM's own load makes, and behave the same after."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select

from app.persistence.engine.prepared import fetch
from app.persistence.engine.row_loads import as_loaded, columns_of
from app.persistence.engine.row_writes import new_row, write_rows
from app.persistence.models import Case, TaskRecord


def _read(session: Any, cls: Any, key: Any) -> Any:
    table = cls.__table__
    rows = fetch(session.connection(), select(*columns_of(cls)).where(table.c.id == key), {})
    assert len(rows) == 1
    return rows[0]


def _columns(row: Any) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


def test_a_row_made_from_a_prepared_read_is_what_the_orm_loads(ext, case_id):
    with ext.db.unit_of_work() as session:
        orm_case = session.get(Case, case_id)
        orm_task = session.scalars(select(TaskRecord).where(TaskRecord.case_id == case_id)).first()
        expected_case, expected_task = _columns(orm_case), _columns(orm_task)
    with ext.db.unit_of_work() as session:
        case = as_loaded(session, Case, _read(session, Case, case_id))
        task = as_loaded(session, TaskRecord, _read(session, TaskRecord, expected_task["id"]))
        assert _columns(case) == expected_case and _columns(task) == expected_task
        for row in (case, task):
            state = inspect(row)
            assert state.persistent and not state.modified and not state.expired_attributes
            assert row not in session.dirty and row not in session.new
        # the session's own object: found again without a query
        assert session.get(Case, case_id) is case and session.get(TaskRecord, task.id) is task


def test_its_changes_are_written_as_usual_at_the_version_it_was_read_at(ext, case_id):
    with ext.db.unit_of_work() as session:
        case = as_loaded(session, Case, _read(session, Case, case_id))
        read_at = case.version
        case.status = "under_review"
        session.flush()  # the ORM's own flush
        assert case.version == read_at + 1
        case.result = "approved"
        write_rows(session, case)  # or the prepared write
        assert case.version == read_at + 2 and not inspect(case).modified
    with ext.db.unit_of_work() as session:
        stored = session.get(Case, case_id)
        assert (stored.status, stored.result, stored.version) == ("under_review", "approved", read_at + 2)


def test_a_row_the_session_holds_is_brought_up_to_the_values_read(ext, case_id):
    """As a query with populate_existing: the same object, its values the ones read, clean."""
    with ext.db.unit_of_work() as session:
        held = session.get(Case, case_id)
        stored_status = held.status
        held.status = "改了但未写"
        again = as_loaded(session, Case, _read(session, Case, case_id))
        assert again is held and held.status == stored_status
        assert not inspect(held).modified and held not in session.dirty


def test_values_that_do_not_match_the_columns_are_refused(ext, case_id):
    with ext.db.unit_of_work() as session:
        values = _read(session, Case, case_id)
        with pytest.raises(ValueError, match="Case"):
            as_loaded(session, Case, values[:-1])
    with pytest.raises(TypeError, match="no column 意见"):
        new_row(TaskRecord, id="t", 意见="同意")


def test_a_new_row_without_constructor_events_is_inserted_as_a_constructed_one(ext, case_id):
    from datetime import UTC, datetime

    def values(task_id: str) -> dict[str, Any]:
        return dict(id=task_id, case_id=case_id, element_id="Task_受理", name="受理", role="window",
                    department="综合窗口", kind="workflow", status="ready", claimed_by=None,
                    created_at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC), data={"意见": "同意"})

    with ext.db.unit_of_work() as session:
        made, constructed = new_row(TaskRecord, **values("made-row")), TaskRecord(**values("constructed-row"))
        assert inspect(made).transient
        write_rows(session, made, constructed)
        assert inspect(made).persistent and not inspect(made).modified
        made.opinion = "之后的修改照常记录"
        assert inspect(made).modified
    with ext.db.unit_of_work() as session:
        first, second = (_columns(session.get(TaskRecord, key)) for key in ("made-row", "constructed-row"))
        assert first.pop("id") == "made-row" and second.pop("id") == "constructed-row"
        assert first.pop("opinion") == "之后的修改照常记录" and second.pop("opinion") is None
        assert first == second
