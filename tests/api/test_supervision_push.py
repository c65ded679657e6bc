"""审批与监管信息双向推送: each approval result pushed to the supervising department, signed, at
least once and in order; failures retried with backoff and kept as incidents; endpoints guarded
against pointing inside the bureau."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.licences.supervision_push import signature
from app.jobs import push
from app.jobs.context import JobContext
from app.persistence.background.incidents import open_incidents
from app.persistence.tables.push import DeliveryAttempt, SupervisionDelivery, SupervisionEvent
from tests.support.certificates import issued
from tests.support.push_receiver import Receiver


@pytest.fixture
def settings(settings: Any) -> Any:
    return replace(settings, supervision_allowed_hosts="127.0.0.1", delivery_backoff_s=10, delivery_lease_s=60,
                   delivery_timeout_s=1)


@pytest.fixture
def receiver() -> Any:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def connect(api: Any, receiver: Receiver, department: str = "market", **extra: Any) -> Any:
    response = api.put(f"/api/v1/supervision/endpoints/{department}", as_user="admin",
                       json={"url": receiver.url, "secret": receiver.secret, **extra})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def run(ext: Any) -> tuple[int, int]:
    return push.deliver_due(JobContext(ext.db, ext.runtime))


def deliveries(ext: Any) -> list[SupervisionDelivery]:
    with ext.db.session(write=False) as session:
        return list(session.scalars(select(SupervisionDelivery).order_by(SupervisionDelivery.id)))


def test_an_approval_is_pushed_signed_to_the_supervising_department(api, ext, receiver):
    connect(api, receiver)
    case, certificate = issued(api)
    assert run(ext) == (1, 0)
    (got,) = receiver.received
    event = got.event
    assert event["type"] == "licence.granted" and event["id"] == got.event_id
    assert event["licence"]["number"] == certificate["number"] and event["licence"]["holder"] == "张三餐饮店"
    assert event["licence"]["item_code"] == "XK-0002" and event["licence"]["valid_until"] == "2031-03-01"
    assert event["licence"]["status"] == "valid" and event["licence"]["scope"].startswith("预包装食品销售")
    assert event["case"]["number"] == case["number"] and event["case"]["decision"] == "approved"
    assert event["case"]["department"] == "market" and event["occurred_at"]
    stamp = int(got.signature.split(",")[0][2:])
    assert got.signature == signature(receiver.secret, stamp, got.body)
    (delivery,) = deliveries(ext)
    assert delivery.state == "delivered" and delivery.department == "market"
    assert run(ext) == (0, 0)  # nothing twice


def test_the_event_is_written_with_the_decision_or_not_at_all(api, ext, app, monkeypatch):
    from app.documents.seal_keys import SealError
    from tests.support.cases import register, work

    case = register(api, "XK-0002")

    def broken() -> None:
        raise SealError("seal_missing", "没有电子印章", setting="ONESEAL_SEAL_PKCS12")
    monkeypatch.setattr(ext.runtime.seals, "current", broken)
    work(api, case, "window", "approve", "当场办结", expect=503)
    with ext.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(SupervisionEvent)) == 0


def test_a_department_without_an_endpoint_keeps_its_events_until_one_is_set(api, ext, receiver):
    issued(api)
    issued(api)
    assert run(ext) == (0, 0)
    assert [d.state for d in deliveries(ext)] == ["pending", "pending"]
    connect(api, receiver)
    assert run(ext) == (2, 0)
    assert receiver.types() == ["licence.granted", "licence.granted"]


def test_a_refusal_is_pushed_with_its_letter_and_subscribers_get_other_items(api, ext, receiver):
    from tests.support.cases import register, work

    other = Receiver(secret="health-secret-0123456789").start()
    try:
        connect(api, receiver)
        connect(api, other, "health", items=["XK-0002"])
        work(api, register(api, "XK-0002"), "window", "reject", "材料不实")
        assert run(ext) == (2, 0)
        assert receiver.types() == other.types() == ["licence.refused"]
        assert receiver.received[0].event_id == other.received[0].event_id
        assert receiver.received[0].event["case"]["decision"] == "rejected"
    finally:
        other.stop()


def test_receiver_answering_500_twice_then_200_gets_the_same_id_and_the_attempts_are_kept(api, ext, clock, receiver):
    connect(api, receiver)
    receiver.answers.extend([500, 500])
    issued(api)
    assert run(ext) == (0, 1)
    assert run(ext) == (0, 0)  # waits 10 s (the test clock moves a second a reading)
    clock.advance(seconds=12)
    assert run(ext) == (0, 1)
    clock.advance(seconds=12)
    assert run(ext) == (0, 0)  # the second wait is 20 s
    clock.advance(seconds=10)
    assert run(ext) == (1, 0)
    assert len({r.event_id for r in receiver.received}) == 1 and len(receiver.received) == 3
    (delivery,) = deliveries(ext)
    assert delivery.state == "delivered" and delivery.attempts == 2
    with ext.db.session(write=False) as session:
        codes = list(session.scalars(select(DeliveryAttempt.status_code).order_by(DeliveryAttempt.id)))
    assert codes == [500, 500, 200]


def test_receiver_down_for_an_hour_then_back_gets_everything_in_order(api, ext, clock, receiver):
    from tests.support.certificates import APPROVE_CHANGE, apply, through

    connect(api, receiver)
    receiver.stop()  # down
    _case, certificate = issued(api)
    change = through(api, apply(api, certificate["number"], "change", scope="预包装食品销售、散装食品销售"),
                     APPROVE_CHANGE)
    through(api, change, [("reviewer_market", None, "")])  # 制证: the new licence supersedes the old
    for _ in range(8):
        run(ext)
        clock.advance(minutes=8)
    assert {d.state for d in deliveries(ext)} == {"pending"}
    receiver.start()
    connect(api, receiver)  # same department, the new port; what waited goes now
    for _ in range(3):
        run(ext)
    assert receiver.types() == ["licence.granted", "licence.changed"]
    changed = receiver.received[1].event
    assert changed["supersedes"] == certificate["number"] and changed["licence"]["number"] != certificate["number"]


def test_eight_failures_make_an_incident_that_an_administrator_redelivers(api, ext, clock, receiver):
    connect(api, receiver)
    receiver.answers.extend([503] * 8)
    issued(api)
    for _ in range(8):
        run(ext)
        clock.advance(hours=1)
    (delivery,) = deliveries(ext)
    assert delivery.state == "failed" and delivery.attempts == 8
    with ext.db.session(write=False) as session:
        (incident,) = [i for i in open_incidents(session) if i.kind == "push"]
    assert "8 次" in incident.message
    assert run(ext) == (0, 0)  # no more automatic attempts
    refused = api.post(f"/api/v1/supervision/deliveries/{delivery.id}/redeliver", as_user="leader_market")
    assert refused.status_code == 403
    answer = api.post(f"/api/v1/supervision/deliveries/{delivery.id}/redeliver", as_user="admin")
    assert answer.status_code == 200 and answer.get_json()["state"] == "pending"
    assert api.post(f"/api/v1/supervision/deliveries/{delivery.id}/redeliver", as_user="admin").status_code == 409
    assert run(ext) == (1, 0)
    with ext.db.session(write=False) as session:
        assert not [i for i in open_incidents(session) if i.kind == "push"]


def test_a_worker_that_dies_between_send_and_record_sends_again_with_the_same_id(api, ext, clock, receiver,
                                                                                   monkeypatch):
    connect(api, receiver)
    issued(api)
    ctx = JobContext(ext.db, ext.runtime)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")  # the POST went out; nothing after it ran
    monkeypatch.setattr(push.push_queue, "record_attempt", killed)
    with pytest.raises(SystemExit):
        push.deliver(ctx, deliveries(ext)[0].id)
    monkeypatch.undo()
    assert run(ext) == (0, 0)  # the lease still holds it
    clock.advance(seconds=61)
    assert run(ext) == (1, 0)
    assert len(receiver.received) == 2 and receiver.received[0].event_id == receiver.received[1].event_id


def test_two_workers_never_send_one_delivery_twice(api, ext, receiver):
    connect(api, receiver)
    issued(api)
    ctx = JobContext(ext.db, ext.runtime)
    (delivery,) = deliveries(ext)
    outcomes = [push.deliver(ctx, delivery.id), push.deliver(ctx, delivery.id)]
    assert outcomes == [True, None] and len(receiver.received) == 1


def test_a_slow_receiver_times_out_and_is_tried_again(api, ext, clock, receiver):
    connect(api, receiver)
    receiver.delay = 1.5  # the timeout is 1 s
    issued(api)
    assert run(ext) == (0, 1)
    (delivery,) = deliveries(ext)
    assert delivery.state == "pending" and "超时" in (delivery.last_error or "")
    receiver.delay = 0
    clock.advance(seconds=12)
    assert run(ext) == (1, 0)


def test_events_of_one_licence_wait_for_the_earlier_one(api, ext, clock, receiver):
    from tests.support.certificates import APPROVE_CHANGE, apply, through

    connect(api, receiver)
    receiver.answers.extend([500])
    _case, certificate = issued(api)
    case = through(api, apply(api, certificate["number"], "cancellation", reason="停业"), APPROVE_CHANGE)
    assert case["status"] != "registered"
    assert run(ext) == (0, 1)  # granted failed; cancelled must not overtake it
    assert receiver.types() == ["licence.granted"]
    clock.advance(seconds=12)
    for _ in range(2):
        run(ext)
    assert receiver.types() == ["licence.granted", "licence.granted", "licence.cancelled"]


@pytest.mark.parametrize("url, why", [
    ("ftp://example.com/x", "http"), ("http://127.0.0.2:9/x", "内部"), ("http://169.254.169.254/latest", "内部"),
    ("http://localhost:8000/api", "本系统"), ("http://10.1.2.3/x", "内部"), ("http://user:pw@example.com/", "用户名"),
    ("http://[::1]/x", "内部"), ("http://192.168.1.1/", "内部"), ("javascript:alert(1)", "http"),
    # loopback inside an IPv6 address: compatible, NAT64, 6to4
    ("http://[::127.0.0.1]/", "内部"), ("http://[64:ff9b::7f00:1]/", "内部"), ("http://[2002:7f00:1::]/", "内部"),
    ("http://[64:ff9b::a9fe:a9fe]/", "内部"), ("http://[2002:a00:1::1]/", "内部"),
])
def test_an_endpoint_inside_the_bureau_is_refused(api, url, why):
    response = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                       json={"url": url, "secret": "s" * 20})
    body = response.get_json()
    assert response.status_code == 400 and body["code"] == "unsafe_url" and why in body["message"], body


def test_endpoints_are_for_administrators_and_never_show_their_secret(api, receiver):
    assert api.put("/api/v1/supervision/endpoints/market", as_user="leader_market",
                   json={"url": receiver.url, "secret": "s" * 20}).status_code == 403
    assert api.put("/api/v1/supervision/endpoints/nowhere", as_user="admin",
                   json={"url": receiver.url, "secret": "s" * 20}).status_code == 404
    short = api.put("/api/v1/supervision/endpoints/market", as_user="admin", json={"url": receiver.url, "secret": "x"})
    assert short.status_code == 400 and short.get_json()["code"] == "invalid_secret"
    bad_item = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                       json={"url": receiver.url, "secret": "s" * 20, "items": ["XK-9999"]})
    assert bad_item.status_code == 400 and bad_item.get_json()["code"] == "unknown_item"
    created = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                      json={"url": receiver.url, "secret": "s" * 20})
    assert created.status_code == 201 and "secret" not in created.get_json()
    listed = api.get("/api/v1/supervision/endpoints", as_user="admin").get_json()["endpoints"]
    assert [e["department"] for e in listed] == ["market"] and "secret" not in listed[0]
    assert "s" * 20 not in api.get("/api/v1/supervision/endpoints", as_user="admin").get_data(as_text=True)
    assert api.delete("/api/v1/supervision/endpoints/market", as_user="admin").status_code == 200
    assert api.delete("/api/v1/supervision/endpoints/market", as_user="admin").status_code == 404


@pytest.mark.parametrize("tail", ["\r\nX-Injected: 1", "\n", "\t", "\x7f", "\x0b", " x", "\u2028", "\u202e"])
def test_an_endpoint_with_whitespace_or_control_characters_is_refused(api, receiver, tail):
    """urlsplit drops tabs and line breaks before the check looks: such a URL is refused outright,
    even on an allowed host."""
    for url in (receiver.url + tail + "x", receiver.url.replace("/", tail + "/", 3)):
        response = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                           json={"url": url, "secret": "s" * 20})
        body = response.get_json()
        assert response.status_code == 400 and body["code"] == "unsafe_url" and "控制字符" in body["message"], (url,
                                                                                                           body)


def test_the_bureaus_own_server_is_refused_under_any_of_its_names(api, ext, monkeypatch):
    """public_url's host with a trailing dot, in upper case or by its address is still this server."""
    import socket

    from app.services.supervision_push import endpoints

    monkeypatch.setattr(ext.runtime, "settings",
                        replace(ext.runtime.settings, public_url="https://oneseal.example.gov.cn"))
    names = {"oneseal.example.gov.cn": "93.184.216.34", "alias.example.org": "93.184.216.34",
             "other.example.org": "1.1.1.1"}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        address = names.get(host.rstrip("."), host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
    monkeypatch.setattr(endpoints.socket, "getaddrinfo", getaddrinfo)
    for url in ("https://oneseal.example.gov.cn/", "https://oneseal.example.gov.cn./",
                "https://ONESEAL.example.gov.cn./x", "http://93.184.216.34/", "http://alias.example.org:8443/"):
        response = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                           json={"url": url, "secret": "s" * 20})
        body = response.get_json()
        assert response.status_code == 400 and body["code"] == "unsafe_url" and "本系统" in body["message"], (url, body)
    fine = api.put("/api/v1/supervision/endpoints/market", as_user="admin",
                   json={"url": "https://other.example.org/push", "secret": "s" * 20})
    assert fine.status_code == 201, fine.get_json()


def test_two_workers_never_send_twice_to_a_slow_receiver(api, ext, receiver):
    """A worker holds what it takes only for the lease: it takes no more than it can send (each
    send within the timeout) before the lease ends, so another worker never takes them again."""
    import threading

    from app.domain.timing.clock import SystemClock

    connect(api, receiver)
    for _ in range(24):
        issued(api)
    runtime = replace(ext.runtime, clock=SystemClock(),
                      settings=replace(ext.runtime.settings, delivery_lease_s=2, delivery_timeout_s=1))
    receiver.delay = 0.8  # slow, yet within the timeout: every send succeeds
    started = time.monotonic()

    def worker() -> None:
        ctx = JobContext(ext.db, runtime)
        # 24 sends of 0.8 s by two workers take some 10 s; the workers stop once all are delivered,
        # and the budget leaves room for a machine busy with other suites (a CI run)
        while time.monotonic() - started < 40 and any(d.state != "delivered" for d in deliveries(ext)):
            push.deliver_due(ctx)
            time.sleep(0.05)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [r.event_id for r in receiver.received]
    assert {d.state for d in deliveries(ext)} == {"delivered"}
    assert len(ids) == len(set(ids)) == 24, f"{len(ids) - len(set(ids))} sent twice"


def test_a_changed_licence_waits_for_the_events_of_the_licence_it_supersedes(api, ext, clock, receiver):
    """变更 issues a new number superseding the old: its licence.changed must not overtake the
    old number's licence.granted still undelivered (one licence, one order)."""
    from app.persistence.background import push_queue
    from tests.support.certificates import APPROVE_CHANGE, apply, through

    connect(api, receiver)
    _case, certificate = issued(api)
    change = through(api, apply(api, certificate["number"], "change", scope="预包装食品销售、散装食品销售"),
                     APPROVE_CHANGE)
    through(api, change, [("reviewer_market", None, "")])  # 制证: the new licence supersedes the old
    granted, changed = deliveries(ext)
    with ext.db.session(write=False) as session:
        assert push_queue.due_deliveries(session, clock.now()) == [granted.id]
    for _ in range(3):
        run(ext)
    assert receiver.types() == ["licence.granted", "licence.changed"]
    assert {d.state for d in deliveries(ext)} == {"delivered"}
    listed = api.get(f"/api/v1/supervision/events?licence={certificate['number']}", as_user="admin").get_json()
    assert [e["type"] for e in listed["deliveries"]] == ["licence.granted"], listed
