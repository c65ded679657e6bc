"""The working-day clock on real cases: suspension, one-time notice, warnings, overdue escalation,
timers fired by the worker, and several workers at once."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.persistence.background.incidents import open_incidents
from app.persistence.models import AuditEvent, TaskRecord
from app.worker import Worker
from tests.support.time_limits import NOTICE, accepted, at, returned


@pytest.fixture(autouse=True)
def _fresh_tokens(api, clock):
    """Moving the clock days ahead expires API tokens (12 hours): log in again after each move."""
    original = clock.set

    def moved(at_: datetime) -> None:
        original(at_)
        api.tokens.clear()

    clock.set = moved


def test_return_for_supplement_issues_one_notice_and_stops_the_clock(api, clock):
    case = returned(api, clock)
    assert case["status"] == "awaiting_supplement" and case["status_label"] == "待补正"
    assert [(t["name"], t["role"]) for t in case["tasks"]] == [("补正材料", "window")]
    (notice,) = case["notices"]
    assert [(i["material"], i["name"]) for i in notice["items"]] == [
        ("M02", "营业执照"), ("M03", "经营场所产权或使用权证明")]
    assert notice["resolved_at"] is None
    assert case["time_limit"]["suspended"] is True
    assert case["suspensions"][0]["reason_label"] == "退回补正"
    actions = [h["action"] for h in case["history"]]
    # the trail reads in the order things happened: the return, its notice, then the clock
    tail = actions[actions.index("supplement_notice_issued") - 1:]
    assert tail[:3] == ["task_completed", "supplement_notice_issued", "clock_suspended"]


@pytest.mark.parametrize("body,code", [
    ({"decision": "return", "opinion": "需补正"}, "notice_required"),
    ({"decision": "return", "opinion": "需补正", "notice": []}, "notice_required"),
    ({"decision": "return", "opinion": "需补正", "notice": [{"material": "ZZ", "reason": "x"}]}, "notice_unknown_material"),
    ({"decision": "return", "opinion": "需补正", "notice": [{"material": "M02"}]}, "notice_reason_required"),
    ({"decision": "return", "opinion": "需补正", "notice": [NOTICE[0], NOTICE[0]]}, "notice_duplicate_material"),
    ({"decision": "approve", "opinion": "同意", "notice": NOTICE}, "notice_not_expected"),
    ({"decision": "approve", "opinion": "同意", "materials": ["M02"]}, "materials_not_expected"),
])
def test_a_bad_notice_is_refused_and_nothing_changes(api, body, code):
    case = accepted(api)
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete",
                        as_user="reviewer_culture_tourism", json=body)
    assert response.status_code == 400 and response.get_json()["code"] == code, response.get_json()
    after = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert after["version"] == case["version"] and after["notices"] == [] and after["suspensions"] == []


def test_resubmission_must_bring_everything_at_once_and_moves_the_deadline(api, clock):
    case = returned(api, clock)
    due_before = case["time_limit"]["due_date"]
    assert due_before == "2026-03-11"  # accepted Monday 2026-03-02 + 7 working days
    at(clock, "2026-03-05")  # three working days later the applicant comes back…
    task = case["tasks"][0]["id"]
    partial = api.post(f"/api/v1/tasks/{task}/complete", as_user="window", json={"materials": ["M02"]})
    assert partial.status_code == 400
    assert partial.get_json()["code"] == "supplement_incomplete"
    assert partial.get_json()["details"]["missing"] == ["M03"]
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["time_limit"]["suspended"]
    done = api.post(f"/api/v1/tasks/{task}/complete", as_user="window", json={"materials": ["M02", "M03"]})
    assert done.status_code == 200, done.get_json()
    case = done.get_json()["case"]
    assert case["status"] == "in_review" and case["tasks"][0]["name"] == "审查"
    assert case["notices"][0]["resolved_at"] is not None
    assert case["suspensions"][0]["working_days"] == 3
    assert case["time_limit"]["due_date"] == "2026-03-16" and not case["time_limit"]["suspended"]
    assert case["time_limit"]["working_days_used"] == 0  # the suspended days are not counted
    assert case["tasks"][0]["due_at"].startswith("2026-03-16")


def test_days_left_freeze_while_suspended(api, clock):
    case = returned(api, clock)
    left = case["time_limit"]["working_days_left"]
    at(clock, "2026-03-10")
    frozen = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["time_limit"]
    assert frozen["working_days_left"] == left == 7 and frozen["suspended"]


def test_deadline_across_mid_autumn_and_national_day_2026(api, clock):
    at(clock, "2026-09-22")  # Tuesday; 9-25..27 and 10-1..7 are holidays, 10-10 (Saturday) is worked
    case = accepted(api, "XK-0011")  # 建设工程规划许可证核发: 10 working days
    assert case["time_limit"]["due_date"] == "2026-10-13" and case["time_limit"]["provisional"] is False


def worker(ext) -> Worker:
    return Worker(ext.db, ext.runtime)


def test_warning_then_overdue_escalates_once_to_the_section_chief(api, ext, clock):
    case = accepted(api)  # due 2026-03-11
    at(clock, "2026-03-06")
    assert worker(ext).run_pass().warnings == 0  # 3 working days left
    at(clock, "2026-03-09")
    report = worker(ext).run_pass()
    assert report.warnings == 1 and report.overdue == 0
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["time_limit"]["state"] == "warning" and detail["time_limit"]["working_days_left"] == 2
    at(clock, "2026-03-11", 17, 29)
    assert worker(ext).run_pass().overdue == 0  # still the due day
    at(clock, "2026-03-11", 17, 31)
    assert worker(ext).run_pass().overdue == 1
    assert worker(ext).run_pass().overdue == 0  # never twice
    inbox = api.get("/api/v1/tasks?tab=department", as_user="leader_culture_tourism").get_json()
    # (the day's efficiency supervision gave a 效能督办 task too, the day before the deadline)
    (escalation,) = [t for t in inbox["items"] if t["case"]["id"] == case["id"] and t["name"] != "效能督办"]
    assert escalation["name"] == "超期督办" and escalation["kind"] == "escalation"
    other = api.get("/api/v1/tasks?tab=department", as_user="leader_market").get_json()
    assert all(t["case"]["id"] != case["id"] for t in other["items"])
    refused = api.post(f"/api/v1/tasks/{escalation['id']}/complete", as_user="leader_culture_tourism",
                       json={"opinion": ""})
    assert refused.status_code == 400 and refused.get_json()["code"] == "opinion_required"
    done = api.post(f"/api/v1/tasks/{escalation['id']}/complete", as_user="leader_culture_tourism",
                    json={"opinion": "责成审查股室两日内办结"})
    assert done.status_code == 200
    history = done.get_json()["case"]["history"]
    assert [h["action"] for h in history].count("deadline_overdue") == 1
    assert any("督办：责成审查股室两日内办结" in h["description"] for h in history)
    # the case itself is still worked by its reviewer
    assert [t["name"] for t in done.get_json()["case"]["tasks"] if t["name"] != "效能督办"] == ["审查"]


def test_two_workers_racing_escalate_once(api, ext, clock):
    cases = [accepted(api) for _ in range(4)]
    at(clock, "2026-03-12")
    workers = [worker(ext), worker(ext)]
    barrier = threading.Barrier(2)
    reports = []

    def run(w: Worker) -> None:
        barrier.wait()
        reports.append(w.run_pass())

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.overdue for r in reports) == 4 and sum(r.failures for r in reports) == 0
    with ext.db.session(write=False) as session:
        for case in cases:
            escalations = session.scalar(select(func.count()).select_from(TaskRecord).where(
                TaskRecord.case_id == case["id"], TaskRecord.kind == "escalation"))
            events = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.case_id == case["id"], AuditEvent.action == "deadline_overdue"))
            assert (escalations, events) == (1, 1)


def test_no_warning_while_the_clock_is_stopped(api, ext, clock):
    returned(api, clock)
    at(clock, "2026-03-20")
    report = worker(ext).run_pass()
    assert (report.warnings, report.overdue) == (0, 0)


def test_supplement_not_made_within_30_days_withdraws_the_application(api, ext, clock):
    case = returned(api, clock)
    clock.set(clock.now() + timedelta(days=29))
    assert worker(ext).run_pass().timers == 0
    clock.set(clock.now() + timedelta(days=1, minutes=1))
    assert worker(ext).run_pass().timers == 1
    assert worker(ext).run_pass().timers == 0
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["status"] == "completed" and detail["result"] == "withdrawn"
    assert detail["result_label"] == "视为撤回申请" and detail["tasks"] == []
    assert detail["suspensions"][0]["ended_at"] is not None
    assert any(h["action"] == "timer_fired" and "视为撤回申请" in h["description"] for h in detail["history"])


def test_a_job_that_keeps_failing_becomes_an_incident_until_it_succeeds(api, ext, clock, monkeypatch):
    import app.services.stepping.timers as timers_module

    case = returned(api, clock)
    clock.set(clock.now() + timedelta(days=31))

    def broken(*args, **kwargs):
        raise RuntimeError("模拟的故障")

    monkeypatch.setattr(timers_module, "fire_due_timers", broken)
    for attempt in range(3):
        assert worker(ext).run_pass().failures == 1
    with ext.db.session(write=False) as session:
        (incident,) = open_incidents(session)
        assert (incident.kind, incident.case_id, incident.attempts) == ("timer", case["id"], 3)
        assert "模拟的故障" in incident.message
    monkeypatch.undo()
    assert worker(ext).run_pass().timers == 1
    with ext.db.session(write=False) as session:
        assert open_incidents(session) == []


def test_worker_command_runs_one_pass(api, ext, clock, settings, monkeypatch):
    accepted(api)
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "超期督办" in result.output and "失败 0 项" in result.output
