"""后台任务：同一组任务函数，两种运行方式（本进程内轮询、Celery + Redis），结果相同；
代理丢失消息只会推迟、不会丢失工作；两个 worker 不会把一个定时事件触发两次；
反复失败的任务在重试之后成为事故记录。"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

import app.services.stepping.timers as timers_module
from app.persistence.audit import scenarios as scenario_store
from app.jobs.handlers import Handlers
from app.persistence.background.incidents import open_incidents
from app.persistence.models import Incident
from app.persistence.background.outbox import OutboxRow, post
from app.scenarios.workshop.jobs import CeleryRunQueue, run_queue
from app.scenarios.workshop.runs import start_run
from app.services.access.auth import actor_for_username
from app.worker import Worker
from tests.support.jobs import celery_runner, events, purge, wait_for, waiting, worker_thread
from tests.support.time_limits import accepted, at, returned
from tests.support.workshop import PASSING


def _due_timer_case(api, clock) -> dict:
    """A case returned for supplement 31 days ago: its 30-day timer (视为撤回) is due."""
    case = returned(api, clock)
    clock.set(clock.now() + timedelta(days=31))
    api.tokens.clear()  # tokens expire with the clock moved
    return case


def _recording_handlers() -> tuple[Handlers, list[int]]:
    handlers, delivered = Handlers(), []
    handlers.register("test.notice", lambda message, ctx: delivered.append(message.id))
    return handlers, delivered


def _post_message(ext, case_id: int) -> int:
    with ext.db.unit_of_work() as session:
        row = post(session, "test.notice", {"case": case_id, "text": "您的申请已超期，已督办"},
                   at=ext.runtime.clock.now(), case_id=case_id)
        session.flush()
        return row.id


def _delivered_at(ext, message_id: int):
    with ext.db.session(write=False) as session:
        return session.get_one(OutboxRow, message_id).delivered_at


@pytest.mark.parametrize("runner", ["in_process", "celery"])
def test_both_runners_do_the_same_work_once(api, ext, clock, runner):
    withdrawn = returned(api, clock)  # returned on 2026-03-02: withdrawn unless supplemented in 30 days
    late = accepted(api)  # due 2026-03-11
    at(clock, "2026-04-02")
    api.tokens.clear()
    message = _post_message(ext, late["id"])
    handlers, delivered = _recording_handlers()

    if runner == "in_process":
        report = Worker(ext.db, ext.runtime, handlers=handlers).run_pass()
        assert (report.timers, report.overdue, report.delivered, report.failures) == (1, 1, 1, 0)
        again = Worker(ext.db, ext.runtime, handlers=handlers).run_pass()
        assert (again.timers, again.overdue, again.delivered) == (0, 0, 0)
    else:
        with celery_runner(ext, handlers) as celery, worker_thread(celery):
            for scan in (celery.scan_timers, celery.scan_deadlines, celery.scan_outbox):
                scan.delay()  # what beat sends, through Redis
            wait_for(lambda: events(ext, "timer_fired") and events(ext, "deadline_overdue")
                     and _delivered_at(ext, message), what="the three jobs")
            for scan in (celery.scan_timers, celery.scan_deadlines, celery.scan_outbox):
                assert scan.apply().get() == 0  # nothing left to send
            wait_for(lambda: waiting(celery) == 0, what="the queue drained")

    assert events(ext, "timer_fired", withdrawn["id"]) == 1
    assert events(ext, "deadline_overdue", late["id"]) == 1
    assert delivered == [message] and _delivered_at(ext, message) is not None
    detail = api.get(f"/api/v1/cases/{withdrawn['id']}", as_user="window").get_json()
    assert detail["result"] == "withdrawn"
    with ext.db.session(write=False) as session:
        assert open_incidents(session, visible_only=False) == []


def test_a_lost_message_is_sent_again_by_a_later_scan(api, ext, clock):
    case = _due_timer_case(api, clock)
    with celery_runner(ext, job_claim_seconds=1) as celery:
        assert celery.scan_timers.apply().get() == 1  # the scan sends the job to Redis…
        assert waiting(celery) == 1
        assert purge(celery) == 1  # …and the broker loses it
        assert celery.scan_timers.apply().get() == 0  # claimed: not sent twice while under way
        time.sleep(1.2)  # the claim runs out
        with worker_thread(celery):
            celery.scan_timers.delay()
            wait_for(lambda: events(ext, "timer_fired", case["id"]), what="the timer fired")
    assert events(ext, "timer_fired", case["id"]) == 1


def test_two_workers_never_fire_a_timer_twice(api, ext, clock):
    cases = [_due_timer_case(api, clock) for _ in range(3)]
    handlers, _ = _recording_handlers()
    with celery_runner(ext) as celery, worker_thread(celery, concurrency=4):
        for _ in range(4):  # the same job sent again and again, as if scans raced and claims were lost
            for case in cases:
                celery.fire_timers.delay(case["id"])
        # and a worker without a broker runs a pass against the same database at the same time
        in_process = threading.Thread(target=Worker(ext.db, ext.runtime, handlers=handlers).run_pass)
        in_process.start()
        in_process.join(60)
        wait_for(lambda: waiting(celery) == 0 and all(events(ext, "timer_fired", c["id"]) for c in cases),
                 what="every job ran")
        time.sleep(0.5)  # let the last ones finish
    assert [events(ext, "timer_fired", c["id"]) for c in cases] == [1, 1, 1]
    with ext.db.session(write=False) as session:
        assert open_incidents(session, visible_only=False) == []


def test_a_job_that_keeps_failing_is_retried_then_becomes_an_incident(api, ext, clock, monkeypatch):
    case = _due_timer_case(api, clock)
    calls = []

    def broken(*args, **kwargs):
        calls.append(time.monotonic())
        raise RuntimeError("模拟的故障")

    monkeypatch.setattr(timers_module, "fire_due_timers", broken)
    with celery_runner(ext, job_max_retries=3, job_retry_base_seconds=0, job_retry_max_seconds=1) as celery, \
            worker_thread(celery):
        celery.scan_timers.delay()

        def incident() -> Incident | None:
            with ext.db.session(write=False) as session:
                return session.scalar(select(Incident).where(Incident.kind == "timer", Incident.attempts >= 4))

        found = wait_for(incident, what="four failures recorded")
        assert (found.case_id, found.resolved_at) == (case["id"], None) and "模拟的故障" in found.message
        with ext.db.session(write=False) as session:
            assert [i.case_id for i in open_incidents(session)] == [case["id"]]  # visible
        assert len(calls) == 4  # the first run and three retries, then it waits for a scan
        assert celery.scan_timers.apply().get() == 0  # held for a while after giving up

        monkeypatch.undo()  # the fault is mended
        time.sleep(1.2)
        celery.scan_timers.delay()
        wait_for(lambda: events(ext, "timer_fired", case["id"]), what="the timer fired after the repair")
    with ext.db.session(write=False) as session:
        assert open_incidents(session, visible_only=False) == []


def test_a_task_is_acknowledged_only_after_it_ran_and_given_back_if_its_worker_dies(ext):
    with celery_runner(ext, scan_timers_seconds=7, broker_visibility_seconds=900) as celery:
        conf = celery.app.conf
        assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (True, True, 1)
        assert conf.task_default_queue == celery.settings.broker_prefix
        assert conf.broker_transport_options["global_keyprefix"] == f"{celery.settings.broker_prefix}:"
        assert conf.broker_transport_options["visibility_timeout"] == 900
        scans = {entry["task"]: entry for entry in conf.beat_schedule.values()}
        assert scans["oneseal.scan_timers"]["schedule"].total_seconds() == 7
        assert scans["oneseal.scan_timers"]["options"]["expires"] == 7


def test_with_a_broker_an_auditors_scenario_run_goes_to_the_celery_workers(ext):
    """The workshop's runs leave the web process: a message to the workers, run there once."""
    with celery_runner(ext) as runner:
        live = replace(ext.runtime, settings=replace(runner.settings, scenario_jobs="", testing=False))
        queue = run_queue({}, ext.db, live)
        assert isinstance(queue, CeleryRunQueue)
        with ext.db.unit_of_work() as session:
            run_id = start_run(session, live, actor_for_username(session, "auditor"), text=PASSING).id
        queue.submit(run_id)
        queue.submit(run_id)  # delivered twice: run once

        def finished():
            with ext.db.session(write=False) as session:
                return scenario_store.get_run(session, run_id).status in ("passed", "failed", "error")

        with worker_thread(runner):
            wait_for(finished, 120, "the scenario run finished on the worker")
        with ext.db.session(write=False) as session:
            assert scenario_store.get_run(session, run_id).status == "passed"
