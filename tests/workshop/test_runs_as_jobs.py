"""Runs as background jobs: the queue seam, a run claimed once, several runs at once, runs left by
a stopped process, nightly runs whose failure is an incident, and sandboxes that are throwaway."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from app.domain.errors import InvalidInput
from app.persistence.audit import scenarios as scenario_store
from app.persistence.background.incidents import open_incidents
from app.persistence.tables.scenarios import ScenarioRun
from app.scenarios.workshop.jobs import ThreadRunQueue, run_queue
from app.scenarios.workshop.runs import close_stalled, execute_run, start_nightly, start_run
from app.scenarios.running.sandbox import SandboxFactory
from app.services.access.auth import actor_for_username
from tests.support.workshop import FAILING, PASSING, save


def actor(ext, username):
    with ext.db.session(write=False) as session:
        return actor_for_username(session, username)


def queued(ext, text=PASSING, user="auditor"):
    with ext.db.unit_of_work() as session:
        return start_run(session, ext.runtime, actor(ext, user), text=text).id


def status(ext, run_id):
    with ext.db.session(write=False) as session:
        return scenario_store.get_run(session, run_id).status


def test_tests_run_inline_and_the_service_in_a_thread_pool(app, ext):
    assert type(run_queue(app.extensions, ext.db, ext.runtime)).__name__ == "InlineRunQueue"
    live = replace(ext.runtime, settings=replace(ext.runtime.settings, scenario_jobs="", testing=False))
    queue = run_queue({}, ext.db, live)
    assert isinstance(queue, ThreadRunQueue)
    queue.shutdown()


def test_a_thread_queue_runs_several_runs_at_once_in_the_background(ext):
    queue = ThreadRunQueue(ext.db, ext.runtime, workers=2)
    try:
        ids = [queued(ext), queued(ext, FAILING), queued(ext, user="admin")]
        for run_id in ids:
            queue.submit(run_id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(status(ext, i) in ("queued", "running") for i in ids):
            time.sleep(0.2)
        assert [status(ext, i) for i in ids] == ["passed", "failed", "passed"]
    finally:
        queue.shutdown()


def test_a_run_is_claimed_once_however_many_workers_try(ext):
    run_id = queued(ext)
    factory = SandboxFactory(ext.runtime, ext.db.url)
    outcomes: list[str | None] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        outcomes.append(execute_run(ext.db, ext.runtime, factory, run_id))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    factory.close()
    assert sorted(outcomes, key=str) == [None, None, "passed"]
    with ext.db.session(write=False) as session:
        assert len(scenario_store.results(session, run_id)) == 1


def test_a_run_left_running_by_a_stopped_process_is_closed_and_queued_ones_resume(ext):
    from datetime import timedelta

    stalled, waiting = queued(ext), queued(ext)
    with ext.db.unit_of_work() as session:
        run = session.get_one(ScenarioRun, stalled)
        run.status, run.started_at = "running", ext.runtime.clock.now() - timedelta(hours=3)
    with ext.db.unit_of_work() as session:
        assert close_stalled(session, ext.runtime) == 1
    assert status(ext, stalled) == "error"
    queue = run_queue({}, ext.db, ext.runtime)
    queue.resume()
    assert status(ext, waiting) == "passed"


def test_a_failing_nightly_run_is_an_incident(api, ext):
    save(api, "会失败的场景", FAILING)
    system = actor(ext, "admin")
    with ext.db.unit_of_work() as session:
        run_id = start_nightly(session, ext.runtime, system).id
    factory = SandboxFactory(ext.runtime, ext.db.url)
    assert execute_run(ext.db, ext.runtime, factory, run_id) == "failed"
    factory.close()
    with ext.db.session(write=False) as session:
        incidents = [i for i in open_incidents(session) if i.kind == "scenarios"]
    assert len(incidents) == 1 and f"夜间场景运行 #{run_id} 未通过" in incidents[0].message


def test_a_scenario_over_its_time_budget_stops_and_says_so(ext):
    slow = replace(ext.runtime, settings=replace(ext.runtime.settings, scenario_seconds=0))
    run_id = queued(ext)
    factory = SandboxFactory(slow, ext.db.url)
    assert execute_run(ext.db, slow, factory, run_id) == "error"
    factory.close()
    with ext.db.session(write=False) as session:
        [row] = scenario_store.results(session, run_id)
    assert row.status == "error" and "超出时间预算" in row.message
    assert {s["status"] for s in row.steps} == {"not_run"}


def test_a_scenario_over_the_memory_budget_stops_and_says_so(ext):
    small = replace(ext.runtime, settings=replace(ext.runtime.settings, scenario_memory_mb=1))
    run_id = queued(ext)
    factory = SandboxFactory(small, ext.db.url)
    assert execute_run(ext.db, small, factory, run_id) == "error"
    factory.close()
    with ext.db.session(write=False) as session:
        [row] = scenario_store.results(session, run_id)
    assert "超出内存预算（1 MB" in row.message


def test_a_sandbox_is_never_the_service_database(ext, tmp_path):
    factory = SandboxFactory(ext.runtime, ext.db.url, folder=tmp_path / "sandboxes")
    with pytest.raises(InvalidInput) as refused:
        factory._refuse_service_database(ext.db.url)
    assert refused.value.code == "sandbox_not_isolated"
    with ext.db.session(write=False) as session:
        base = factory.prepare(session)
    with factory.open(base) as sandbox:
        assert sandbox.db.url != ext.db.url and str(tmp_path / "sandboxes") in sandbox.db.url
        assert sandbox.runtime.settings.database_url == sandbox.db.url
        assert sandbox.runtime.catalogue is ext.runtime.catalogue  # the service's own, already loaded
        path = sandbox.path
    assert not path.exists()  # thrown away
    factory.close()
