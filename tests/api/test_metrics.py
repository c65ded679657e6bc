"""``/metrics``: what is counted (requests by route name, completions and rule decisions once
committed, jobs, incidents open, database connections), who may read it, and that it never
says anything about a case, a user or an applicant."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from prometheus_client.registry import REGISTRY

from app import create_app
from app.observability import metrics
from app.persistence.engine.commit_hooks import after_commit
from app.persistence.background.incidents import record_failure, record_success
from app.persistence.background.monitoring import outbox_backlog
from app.persistence.background.outbox import post
from app.jobs.context import JobContext
from app.jobs.runs import JobFailed, run_case_job
from tests.support.cases import register, work
from tests.support.inspection import SCHOOL, to_inspection


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _scrape(app, **kwargs) -> str:
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def test_a_completion_and_a_rule_decision_are_counted_once_committed(api, app):
    completions = _value("oneseal_task_completions_total", decision="approve")
    joint = _value("oneseal_rule_decisions_total", ruleset="inspection", outcome="joint")
    to_inspection(api, SCHOOL, "reviewer_education")  # two approvals, then the rules decide
    assert _value("oneseal_task_completions_total", decision="approve") == completions + 2
    assert _value("oneseal_rule_decisions_total", ruleset="inspection", outcome="joint") == joint + 1
    # a completion refused (the task is done already) is not counted
    case = register(api)
    work(api, case, "window", "approve")
    stale = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="window",
                     json={"decision": "approve", "opinion": "再次", "data": {}})
    assert stale.status_code == 409
    assert _value("oneseal_task_completions_total", decision="approve") == completions + 3
    text = _scrape(app)
    assert 'oneseal_rule_decisions_total{outcome="joint",ruleset="inspection"}' in text


def test_a_rolled_back_completion_is_not_counted(api, app, monkeypatch):
    case = register(api)
    before = _value("oneseal_task_completions_total", decision="approve")
    import app.services.casework.completion as completion

    def broken(*_args, **_kwargs):
        raise RuntimeError("after the completion, before the commit")

    monkeypatch.setattr(completion, "after_decision", broken)
    answer = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="window",
                      json={"decision": "approve", "opinion": "同意", "data": {}})
    assert answer.status_code == 500
    assert _value("oneseal_task_completions_total", decision="approve") == before


def test_requests_are_counted_by_route_name_never_by_url(api, app):
    first, second = register(api), register(api)
    label = {"endpoint": "api.get_case", "method": "GET", "status": "200"}
    before = _value("oneseal_http_requests_total", **label)
    api.get(f"/api/v1/cases/{first['id']}", as_user="window")
    api.get(f"/api/v1/cases/{second['id']}", as_user="window")
    assert _value("oneseal_http_requests_total", **label) == before + 2
    assert _value("oneseal_http_request_duration_seconds_count", endpoint="api.get_case", method="GET") >= 2
    unmatched = _value("oneseal_http_requests_total", endpoint="unmatched", method="GET", status="404")
    app.test_client().get("/no/such/page/张三餐饮店")
    assert _value("oneseal_http_requests_total", endpoint="unmatched", method="GET", status="404") == unmatched + 1
    assert "/api/v1/cases/" not in _scrape(app)


def test_nothing_personal_or_identifying_is_in_the_metrics(api, app):
    case = register(api)
    case = work(api, case, "window", "approve", "材料齐全，予以受理")
    api.get("/api/v1/tasks?q=张三餐饮店", as_user="reviewer_market")
    text = _scrape(app)
    for secret in ("张三", "0910-1234567", case["number"], case.get("query_code") or case["number"], "window",
                   "reviewer_market", "予以受理", "Bearer"):
        assert secret not in text, secret


def test_incidents_open_are_read_from_the_database_at_scrape_time(app, ext):
    now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    with ext.db.unit_of_work() as session:
        record_failure(session, "timer", 101, "boom", now)
        record_failure(session, "deadline", 102, "boom", now)
        record_failure(session, "deadline", 103, "boom", now)
        record_failure(session, "timer", 104, "boom", now)
        record_success(session, "timer", 104, now)  # resolved: no longer open
    text = _scrape(app)
    assert 'oneseal_incidents_open{kind="timer"} 1.0' in text
    assert 'oneseal_incidents_open{kind="deadline"} 2.0' in text
    assert "oneseal_database_up 1.0" in text


def test_the_outbox_backlog_counts_the_messages_not_yet_delivered(app, ext):
    """The outbox is part of the schema now: the gauge is always there and counts its rows."""
    assert "oneseal_outbox_backlog 0.0" in _scrape(app)
    with ext.db.unit_of_work() as session:
        post(session, "test.kind", {"n": 1}, at=ext.runtime.clock.now())
    with ext.db.session(write=False) as session:
        assert outbox_backlog(session) == 1
    assert "oneseal_outbox_backlog 1.0" in _scrape(app)


def test_the_push_backlog_counts_deliveries_pending_and_failed(app, ext, api):
    from sqlalchemy import update

    from app.persistence.tables.push import SupervisionDelivery
    from tests.support.certificates import issued

    assert 'oneseal_push_backlog{state="pending"} 0.0' in _scrape(app)
    issued(api)
    issued(api)  # market has no endpoint yet: both wait
    assert 'oneseal_push_backlog{state="pending"} 2.0' in _scrape(app)
    with ext.db.unit_of_work() as session:
        session.execute(update(SupervisionDelivery).where(SupervisionDelivery.id == 1).values(state="failed"))
    text = _scrape(app)
    assert 'oneseal_push_backlog{state="pending"} 1.0' in text and 'oneseal_push_backlog{state="failed"} 1.0' in text


def test_jobs_run_and_failed_are_counted(ext):
    """Both runners run their jobs through app/jobs/runs.py, which counts them."""
    ctx = JobContext(ext.db, ext.runtime)
    ok, failed = _value("oneseal_jobs_total", job="timer", outcome="ok"), \
        _value("oneseal_jobs_total", job="timer", outcome="failed")
    run_case_job(ctx, "timer", 1, lambda session, now: True)

    def boom(session, now):
        raise RuntimeError("the job failed")

    with pytest.raises(JobFailed):
        run_case_job(ctx, "timer", 1, boom)
    assert _value("oneseal_jobs_total", job="timer", outcome="ok") == ok + 1
    assert _value("oneseal_jobs_total", job="timer", outcome="failed") == failed + 1


def test_connections_in_use_are_counted_and_given_back(ext):
    pool = "write" if ext.db.is_sqlite else "main"
    before = _value("oneseal_db_pool_checked_out", pool=pool)
    with ext.db.unit_of_work() as session:
        session.connection()
        assert _value("oneseal_db_pool_checked_out", pool=pool) == before + 1
        assert _value("oneseal_db_pool_size", pool=pool) > 0
    assert _value("oneseal_db_pool_checked_out", pool=pool) == before


def test_work_after_commit_runs_only_when_the_transaction_commits(ext):
    ran: list[str] = []
    with ext.db.unit_of_work() as session:
        after_commit(session, lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), ext.db.unit_of_work() as session:
        after_commit(session, lambda: ran.append("rolled back"))
        raise RuntimeError
    with ext.db.unit_of_work() as session:  # a later commit of another unit runs nothing left over
        pass
    assert ran == ["committed"]


def test_every_metric_has_labels_so_the_store_can_be_chosen_after_import():
    """``count_in_files`` (gunicorn) relies on no value existing before the first count."""
    assert all(metric._labelnames for metric in metrics.ALL)


# ---- who may read them ----

def test_a_scraper_on_this_host_reads_them_directly(app):
    assert "oneseal_http_requests_total" in _scrape(app)


@pytest.mark.parametrize("environ, headers", [
    ({"REMOTE_ADDR": "203.0.113.9"}, {}),                       # from elsewhere
    ({}, {"X-Forwarded-For": "203.0.113.9"}),                   # through the proxy on this host
    ({}, {"Forwarded": "for=203.0.113.9"}),
    ({"REMOTE_ADDR": "203.0.113.9"}, {"Authorization": "Bearer anything"}),  # no token is set
])
def test_anyone_else_gets_404(app, environ, headers):
    response = app.test_client().get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 404
    assert b"oneseal_" not in response.data


def test_with_a_token_set_a_remote_scraper_reads_them_with_it(settings, clock):
    app = create_app(replace(settings, metrics_token="s3cret-scrape-token"), clock=clock, warm=False)
    try:
        client = app.test_client()
        remote = {"REMOTE_ADDR": "10.1.2.3"}
        assert client.get("/metrics", environ_base=remote).status_code == 404
        assert client.get("/metrics", environ_base=remote,
                          headers={"Authorization": "Bearer wrong-token"}).status_code == 404
        answer = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert answer.status_code == 200 and b"oneseal_http_requests_total" in answer.data
    finally:
        app.extensions["oneseal"].db.dispose()
