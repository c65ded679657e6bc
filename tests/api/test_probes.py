"""The load balancer's probes: alive without touching the database; ready only when the database
answers at the newest migration and the broker (when configured) answers; no sign-in for either."""
from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.persistence.engine.migrate import FIRST_REVISION, head_revision, upgrade
from tests.support.database import BASE_URL
from tests.support.schema import scratch_database


def probe_app(settings: Any, clock: Any, **changes: Any) -> Any:
    return create_app(replace(settings, **changes), clock=clock, warm=False).test_client()


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.2):
            return True
    except OSError:
        return False


def test_alive_needs_no_sign_in_and_no_database(app, ext, monkeypatch):
    def no_database(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the liveness probe touched the database")

    monkeypatch.setattr(ext.db, "session", no_database)
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_when_the_database_is_at_the_newest_migration(api):
    response = api.get("/api/v1/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {
        "database": "ok", "schema": head_revision(), "broker": "not_configured"}}


def test_not_ready_when_the_database_cannot_be_reached(settings, clock, tmp_path):
    client = probe_app(settings, clock, database_url=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    response = client.get("/api/v1/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "database_unreachable" and body["message"] == "数据库无法连接"


@pytest.mark.parametrize("revision,code,said", [
    (None, "schema_not_migrated", "尚未建立迁移版本"),
    (FIRST_REVISION, "schema_not_at_head", f"数据库结构版本是 {FIRST_REVISION}，本版本需要"),
])
def test_not_ready_until_the_schema_is_upgraded(settings, clock, tmp_path: Path, revision, code, said):
    with scratch_database(BASE_URL, tmp_path) as url:
        if revision is not None:  # else reachable and empty: nothing made by the migrations
            upgrade(url, revision)
        client = probe_app(settings, clock, database_url=url)
        response = client.get("/api/v1/ready")
        assert response.status_code == 503
        body = response.get_json()
        assert body["code"] == code and said in body["message"] and "oneseal db upgrade" in body["message"]
        assert body["details"]["checks"]["database"] == "ok"
        upgrade(url)
        assert client.get("/api/v1/ready").status_code == 200
        client.application.extensions["oneseal"].db.dispose()


def test_not_ready_when_the_broker_does_not_answer(settings, clock):
    client = probe_app(settings, clock, broker_url="redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/api/v1/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "broker_unreachable" and "消息代理" in body["message"]
    assert body["details"]["checks"] == {"database": "ok", "schema": head_revision(), "broker": "failed"}


def test_a_broker_that_is_not_redis_is_named(settings, clock):
    client = probe_app(settings, clock, broker_url="amqp://guest@127.0.0.1//")
    body = client.get("/api/v1/ready").get_json()
    assert body["code"] == "broker_unreachable" and "只支持 Redis" in body["message"]


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_ready_with_the_broker_answering(settings, clock):
    client = probe_app(settings, clock, broker_url="redis://127.0.0.1:6379/0")
    response = client.get("/api/v1/ready")
    assert response.status_code == 200 and response.get_json()["checks"]["broker"] == "ok"
