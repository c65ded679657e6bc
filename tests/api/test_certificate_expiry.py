"""Expiry: the worker marks a licence whose term has ended ``expired`` (once), with its history
row and audit event; until it runs, the registry and the public check already say expired."""
from __future__ import annotations

from datetime import UTC, datetime

from app.worker import Worker
from tests.support.certificates import issued, public


def test_the_worker_marks_lapsed_licences_expired_once(app, api, clock):
    _, certificate = issued(api)
    ext = app.extensions["oneseal"]
    clock.set(datetime(2031, 3, 1, 15, 0, tzinfo=UTC))  # 23:00 on the last day in Beijing
    assert Worker(ext.db, ext.runtime).run_pass().expired == 0
    clock.set(datetime(2031, 3, 1, 16, 30, tzinfo=UTC))  # 00:30 the next day in Beijing
    seen = public(api, certificate["number"], certificate["check_code"]).get_json()
    assert seen["status"] == "expired" and seen["status_since"] == "2031-03-02"
    report = Worker(ext.db, ext.runtime).run_pass()
    assert report.expired == 1 and report.failures == 0
    assert Worker(ext.db, ext.runtime).run_pass().expired == 0
    api.tokens.clear()  # five years on: the tokens of 2026 have expired
    detail = api.get(f"/api/v1/certificates/{certificate['number']}", as_user="window").get_json()
    assert detail["status"] == "expired" and detail["history"][-1]["action"] == "expired"
    assert detail["history"][-1]["actor"] == "system"
    events = api.get("/api/v1/audit/events?action=certificate_expired", as_user="auditor").get_json()
    assert events["total"] == 1
