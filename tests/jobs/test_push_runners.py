"""监管推送在两种后台运行方式下都送达：本进程内的 worker（推送线程随时轮询），Celery + Redis
（beat 定时扫描，办件提交后 Web 进程立即发出扫描）；每条推送只送达一次。"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from app.jobs import push
from app.jobs.broker import push_nudge
from app.worker import Worker
from tests.support.certificates import issued
from tests.support.jobs import celery_runner, wait_for, worker_thread
from tests.support.push_receiver import Receiver


@pytest.fixture
def settings(settings: Any) -> Any:
    return replace(settings, supervision_allowed_hosts="127.0.0.1", delivery_poll_ms=50)


@pytest.fixture
def receiver(api: Any) -> Any:
    receiver = Receiver().start()
    response = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                       json={"url": receiver.url, "secret": receiver.secret})
    assert response.status_code == 201
    yield receiver
    receiver.stop()


def test_the_in_process_worker_pushes_within_its_poll(api, ext, receiver):
    worker = Worker(ext.db, ext.runtime)  # its push thread, as ``oneseal worker`` starts it
    pusher = threading.Thread(target=push.run_loop, args=(worker.ctx, worker.stopping), daemon=True)
    pusher.start()
    try:
        issued(api)
        issued(api)
        wait_for(lambda: len(receiver.received) == 2, 10, what="two pushes")
    finally:
        worker.stopping.set()
        pusher.join(timeout=10)
    assert not pusher.is_alive()
    assert receiver.types() == ["licence.granted", "licence.granted"]
    assert len({r.event_id for r in receiver.received}) == 2


def test_with_celery_the_web_process_nudges_the_workers_after_its_commit(api, ext, receiver):
    with celery_runner(ext) as celery, worker_thread(celery):
        ext.runtime.push_waiters.append(push_nudge(celery.settings))
        try:
            issued(api)  # no beat in this test: only the nudge sends the scan
            wait_for(lambda: len(receiver.received) == 1, 20, what="the push")
            assert celery.scan_push.apply().get() == 0  # nothing left to send
        finally:
            ext.runtime.push_waiters.clear()
    assert receiver.types() == ["licence.granted"]
