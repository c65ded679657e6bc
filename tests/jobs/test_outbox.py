"""发件箱：消息与它报告的变更在同一事务中写入（回滚则没有消息）；分发程序按类型交给处理程序，
至少投递一次，失败后间隔加倍重试，连续失败成为事故记录，从不丢弃。"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.jobs import outbox as dispatcher
from app.jobs.context import JobContext
from app.jobs.handlers import Handlers
from app.jobs.runs import JobFailed
from app.persistence.background import outbox
from app.persistence.background.incidents import open_incidents
from app.persistence.models import Case
from app.persistence.background.outbox import OutboxRow, post
from app.worker import Worker
from tests.support.jobs import celery_runner, wait_for, worker_thread
from tests.support.time_limits import accepted


def _rows(ext) -> list[OutboxRow]:
    with ext.db.session(write=False) as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def _row(ext, message_id: int) -> OutboxRow:
    with ext.db.session(write=False) as session:
        return session.get_one(OutboxRow, message_id)


def _post(ext, kind: str = "test.notice", case_id: int | None = None) -> int:
    with ext.db.unit_of_work() as session:
        row = post(session, kind, {"text": "您的申请已受理"}, at=ext.runtime.clock.now(), case_id=case_id)
        session.flush()
        return row.id


def test_a_message_exists_only_if_the_change_it_reports_commits(api, ext):
    case = accepted(api)
    with pytest.raises(RuntimeError), ext.db.unit_of_work() as session:
        row = session.get_one(Case, case["id"])
        row.applicant_name = "改过的名字"
        post(session, "test.notice", {"case": case["id"]}, at=ext.runtime.clock.now(), case_id=case["id"])
        session.flush()  # written, then the unit fails
        raise RuntimeError("变更失败")
    assert _rows(ext) == []
    with ext.db.session(write=False) as session:
        assert session.get_one(Case, case["id"]).applicant_name != "改过的名字"

    with ext.db.unit_of_work() as session:
        session.get_one(Case, case["id"]).applicant_name = "改过的名字"
        post(session, "test.notice", {"case": case["id"]}, at=ext.runtime.clock.now(), case_id=case["id"])
    (row,) = _rows(ext)
    assert (row.kind, row.case_id, row.payload, row.delivered_at, row.attempts) == (
        "test.notice", case["id"], {"case": case["id"]}, None, 0)


def test_a_failing_delivery_backs_off_becomes_an_incident_and_is_delivered_later(ext, clock):
    handlers, calls = Handlers(), []

    def flaky(message, ctx):
        calls.append(message.id)
        if len(calls) <= 3:
            raise ConnectionError("部门接口无响应")

    handlers.register("test.notice", flaky)
    worker = Worker(ext.db, ext.runtime, handlers=handlers)
    message = _post(ext)
    waits = []
    for attempt in range(1, 4):
        report = worker.run_pass()
        assert (report.delivered, report.failures) == (0, 1)
        row = _row(ext, message)
        assert row.attempts == attempt and "部门接口无响应" in row.last_error
        waits.append(round((row.available_at - clock.now()).total_seconds()))
        assert worker.run_pass().failures == 0  # not due yet: not tried again at once
        clock.set(row.available_at + timedelta(seconds=1))
    assert waits[0] < waits[1] < waits[2]  # 10 s, 20 s, 40 s (less the clock's own ticks)
    with ext.db.session(write=False) as session:
        (incident,) = open_incidents(session)
        assert (incident.kind, incident.outbox_id, incident.attempts) == ("outbox", message, 3)
        assert f"消息 #{message}" in incident.message
    assert worker.run_pass().delivered == 1
    assert calls == [message] * 4 and _row(ext, message).delivered_at is not None
    with ext.db.session(write=False) as session:
        assert open_incidents(session, visible_only=False) == []
    assert worker.run_pass().delivered == 0  # delivered once


def test_a_message_of_an_unknown_kind_is_kept_and_reported(ext):
    message = _post(ext, kind="sms.unregistered")
    worker = Worker(ext.db, ext.runtime, handlers=Handlers())
    assert worker.run_pass().failures == 1
    row = _row(ext, message)
    assert row.delivered_at is None and row.attempts == 1 and "sms.unregistered" in row.last_error


def test_a_delivery_whose_worker_died_is_taken_again_after_its_lease(ext, clock):
    handlers, calls = Handlers(), []
    handlers.register("test.notice", lambda message, ctx: calls.append(message.id))
    ctx = JobContext(ext.db, ext.runtime, handlers)
    message = _post(ext)
    with ext.db.unit_of_work() as session:  # a worker takes it, then dies before delivering
        assert outbox.take(session, message, clock.now(), timedelta(seconds=300)) is not None
    assert dispatcher.deliver(ctx, message) is False  # held by the dead worker's lease
    assert dispatcher.due_messages(ctx) == []
    clock.set(clock.now() + timedelta(seconds=301))
    assert dispatcher.due_messages(ctx) == [message]
    assert dispatcher.deliver(ctx, message) is True and calls == [message]
    assert dispatcher.deliver(ctx, message) is False  # at least once, and not again once recorded


def test_the_dispatcher_raises_so_the_runner_knows(ext):
    handlers = Handlers()
    handlers.register("test.notice", lambda message, ctx: 1 / 0)
    message = _post(ext)
    with pytest.raises(JobFailed) as failed:
        dispatcher.deliver(JobContext(ext.db, ext.runtime, handlers), message)
    assert failed.value.kind == "outbox" and failed.value.attempts == 1


def test_the_celery_runner_delivers_every_message_once(ext):
    handlers, calls = Handlers(), []
    handlers.register("test.notice", lambda message, ctx: calls.append(message.id))
    messages = [_post(ext) for _ in range(5)]
    with celery_runner(ext, handlers) as celery, worker_thread(celery, concurrency=3):
        for _ in range(3):  # scans racing each other send each message once
            celery.scan_outbox.delay()
        wait_for(lambda: all(_row(ext, m).delivered_at for m in messages), what="every message delivered")
    assert sorted(calls) == messages
    with ext.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow)
                              .where(OutboxRow.delivered_at.is_(None))) == 0
        assert outbox.backlog(session) == 0
