"""A case's saved workflow and its inbox agree, and a stale workflow state is never saved.

``oneseal check cases`` finds a case whose open tasks are not the ready tasks of its saved
workflow (the kind of drift a lost parallel completion left behind), and every save of a
workflow is made only at the revision its step read.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from app.cli import main
from app.domain.errors import Conflict
from app.persistence.models import TaskRecord, WorkflowState
from app.persistence.cases.workflow_states import load_state, save_state
from tests.support.cases import register, work


@pytest.fixture
def check(settings, monkeypatch):
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONESEAL_SECRET_KEY", "test-secret")
    monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(settings.instance_dir))

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, ["check", "cases", *args])
    return run


def test_worked_cases_agree_with_their_workflows(api, check):
    first = work(api, register(api), "window", "approve", "予以受理")
    register(api)
    result = check()
    assert result.exit_code == 0, result.output
    assert "已核对 2 个办件" in result.output
    assert check("--case", first["number"]).exit_code == 0


def test_a_task_done_in_the_inbox_but_still_waited_for_by_the_workflow_is_named(api, ext, check):
    case = work(api, register(api), "window", "approve", "予以受理")
    (review,) = case["tasks"]
    with ext.db.unit_of_work() as session:  # the trace a lost completion left: the row says done
        session.execute(update(TaskRecord).where(TaskRecord.id == review["id"]).values(status="completed"))
    result = check()
    assert result.exit_code == 1
    assert case["number"] in result.output and review["id"] in result.output
    assert "流程中待办而待办箱中没有" in result.output and "无人可以继续办理" in result.output


def test_an_unknown_case_number_is_refused(check):
    result = check("--case", "2026-999999")
    assert result.exit_code != 0 and "办件不存在" in result.output


def test_a_step_that_ran_on_a_superseded_state_cannot_save_it(api, ext, clock):
    case = register(api)
    with ext.db.session(write=False) as session:
        read_before = load_state(session, case["id"])
    work(api, case, "window", "approve", "予以受理")  # another step saves meanwhile
    with ext.db.session(write=False) as session:
        current = session.scalar(select(WorkflowState).where(WorkflowState.case_id == case["id"]))
        assert current.revision == read_before.revision + 1
        saved_state = current.state
    with pytest.raises(Conflict) as refused:
        with ext.db.unit_of_work() as session:
            save_state(session, case_id=case["id"], process_version_id=current.process_version_id,
                       state=read_before.state, serializer_version=read_before.serializer_version,
                       next_timer_at=None, now=clock.now(), previous=read_before)
    assert refused.value.code == "case_state_stale"
    with ext.db.session(write=False) as session:
        assert load_state(session, case["id"]).state == saved_state
