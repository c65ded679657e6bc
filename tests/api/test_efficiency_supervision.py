"""效能监察: the daily job raises 督办 for cases about to run over and for departments below the
bureau's on-time line, once a working day, recorded in the audit trail."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from app.bureau_data.supervision_file import load_supervision
from app.domain.errors import DataFileError
from app.persistence.tables.figures import SupervisionAlert
from app.persistence.models import AuditEvent, TaskRecord
from app.worker import Worker
from tests.support.cases import register
from tests.support.statistics import finish, on, step
from tests.support.time_limits import PUBLICATION


def test_a_case_due_tomorrow_gets_a_supervision_task_for_the_section_chief_once(api, ext, clock):
    on(api, clock, "2026-03-02")
    case = step(api, register(api, PUBLICATION))  # due 2026-03-11
    on(api, clock, "2026-03-09")  # two working days left: not yet
    assert "即将超期办件 0 件" in Worker(ext.db, ext.runtime).run_pass().supervision
    on(api, clock, "2026-03-10")  # one working day left
    report = Worker(ext.db, ext.runtime).run_pass()
    assert f"即将超期办件 1 件已督办（{case['number']}）" in report.supervision
    assert Worker(ext.db, ext.runtime).run_pass().supervision == ""  # once a day
    with ext.db.session(write=False) as session:
        tasks = session.scalars(select(TaskRecord).where(TaskRecord.element_id == "efficiency_supervision")).all()
        assert [(t.role, t.department, t.name) for t in tasks] == [("leader", "culture_tourism", "效能督办")]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "efficiency_supervision")).one()
        assert event.case_id == case["id"] and event.after["working_days_left"] == 1
    inbox = api.get("/api/v1/tasks?tab=department", as_user="leader_culture_tourism").get_json()
    chased = next(t for t in inbox["items"] if t["name"] == "效能督办")
    done = api.post(f"/api/v1/tasks/{chased['id']}/complete", as_user="leader_culture_tourism",
                    json={"opinion": "已督促审查股室今日办结"})
    assert done.status_code == 200, done.get_json()
    on(api, clock, "2026-03-11")  # due today: already chased, no second task
    assert "即将超期办件 0 件" in Worker(ext.db, ext.runtime).run_pass().supervision


def _one_case_concluded_late(api, ext, clock) -> None:
    """Culture and tourism's only concluded case, a day late; the clock on the day after."""
    ext.runtime.supervision = dataclasses.replace(ext.runtime.supervision, minimum_completed=1)
    on(api, clock, "2026-03-02")
    late = step(api, register(api, PUBLICATION))  # due 03-11
    on(api, clock, "2026-03-12")
    finish(api, late)
    on(api, clock, "2026-03-13")


def test_a_department_below_the_on_time_line_is_recorded(api, ext, clock):
    _one_case_concluded_late(api, ext, clock)
    assert "按时办结率低于督办线的部门 1 个（文化和旅游局）" in Worker(ext.db, ext.runtime).run_pass().supervision
    with ext.db.session(write=False) as session:
        alert = session.scalars(select(SupervisionAlert).where(SupervisionAlert.kind == "department_on_time")).one()
        assert alert.department == "culture_tourism" and alert.figures["on_time_rate"] == 0.0
        assert "低于督办线 90%" in alert.message
    page = api.get("/api/v1/statistics", as_user="efficiency").get_json()
    assert page["overdue_completed"] == 1


def test_no_supervision_on_a_rest_day(api, ext, clock):
    on(api, clock, "2026-03-07")  # Saturday
    assert Worker(ext.db, ext.runtime).run_pass().supervision == ""


def test_the_policy_file_is_checked_with_lines(tmp_path):
    path = tmp_path / "supervision.toml"
    path.write_text("version = 1\non_time_threshold = 190\nlook_back = 3\n", encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_supervision(path)
    problems = caught.value.details["problems"]
    assert any("第 2 行" in p and "on_time_threshold" in p for p in problems)
    assert any("第 3 行" in p and "未知的设置" in p for p in problems)
    assert load_supervision(tmp_path / "missing.toml").on_time_threshold == 90
    path.write_text("on_time_threshold = 85\n", encoding="utf-8")
    assert load_supervision(path).on_time_threshold == 85


def test_the_efficiency_supervisor_reads_every_case_and_changes_nothing(api, clock):
    on(api, clock, "2026-03-02")
    case = step(api, register(api, PUBLICATION))
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="efficiency").status_code == 200
    refused = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/claim", as_user="efficiency")
    assert refused.status_code == 403 and refused.get_json()["code"] == "read_only_role"
    assert "效能监察人员为只读角色" in refused.get_json()["message"]


def test_the_supervision_run_on_its_own_reads_the_figures_changes_have_marked(api, ext, clock):
    """Run as `oneseal stats supervise` or Celery's hourly task runs it — no worker pass and no
    reader of the statistics before it: it computes the marked roll-ups itself first."""
    from app.services.statistics.supervision import run_daily_supervision

    _one_case_concluded_late(api, ext, clock)
    with ext.db.unit_of_work() as session:
        report = run_daily_supervision(session, ext.runtime, clock.now())
    assert "按时办结率低于督办线的部门 1 个（文化和旅游局）" in str(report)
