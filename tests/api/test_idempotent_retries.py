"""A client retries with the same ``Idempotency-Key`` while its first request is still running:
the retry waits for the first answer and gets exactly that (RELIABILITY.md 3), on both databases."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from app import create_app
from app.persistence.access.idempotency import hold_key
from app.persistence.models import Case
from tests.support.api import ApiClient
from tests.support.cases import FOOD
from tests.support.database import ON_POSTGRES
from tests.support.races import Answer, race

SENDERS = 4
ROUNDS = 12


def _same_key_at_once(api: Any, key: str, body: dict[str, Any]) -> list[Answer]:
    """Send the same registration ``SENDERS`` times at one instant (threads behind one barrier)."""
    return race(api, [("window", "/api/v1/cases", body)] * SENDERS, headers={"Idempotency-Key": key})


def test_simultaneous_retries_register_once_and_all_get_the_first_answer(api, ext):
    for round_no in range(ROUNDS):
        applicant = f"幂等并发测试{round_no}"
        body = {"item_code": FOOD, "applicant": {"name": applicant}, "materials": ["M01", "M02", "M03"]}
        responses = _same_key_at_once(api, f"register-{round_no}", body)
        statuses = [r.status for r in responses]
        assert statuses == [201] * SENDERS, (round_no, statuses, [r.body for r in responses])
        bodies = {r.text for r in responses}
        assert len(bodies) == 1, round_no  # every answer is the first one, byte for byte
        replays = sorted(r.headers.get("Idempotent-Replay") == "true" for r in responses)
        assert replays == [False] + [True] * (SENDERS - 1), round_no
        with ext.db.session(write=False) as session:
            registered = session.scalar(select(func.count()).select_from(Case)
                                        .where(Case.applicant_name == applicant))
        assert registered == 1, round_no
        assert json.loads(bodies.pop())["applicant"]["name"] == applicant


@pytest.mark.skipif(not ON_POSTGRES, reason="on SQLite every writer queues on the one write lock "
                    "(15 s, then 503 database_busy): there is no per-key wait to run out")
def test_a_retry_that_waits_too_long_gets_409_request_in_progress(app, ext, settings, clock):
    impatient = ApiClient(create_app(replace(settings, idempotency_wait_seconds=1), clock=clock,
                                     warm=False).test_client())
    body = {"item_code": FOOD, "applicant": {"name": "仍在处理"}, "materials": ["M01", "M02", "M03"]}
    headers = {"Idempotency-Key": "slow-1"}
    impatient.token("window")
    first = ext.db.session()  # the first request with this key, still running
    assert hold_key(first, "window", "slow-1", 1)
    try:
        started = time.monotonic()
        response = impatient.post("/api/v1/cases", as_user="window", json=body, headers=headers)
        waited = time.monotonic() - started
    finally:
        first.rollback()  # it fails: nothing stored for the key
        first.close()
    assert response.status_code == 409 and response.get_json()["code"] == "request_in_progress"
    assert response.headers["Retry-After"] == "1" and "仍在处理中" in response.get_json()["message"]
    assert waited >= 0.9  # it waited for the first answer before giving up
    retried = impatient.post("/api/v1/cases", as_user="window", json=body, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replay" not in retried.headers
    again = impatient.post("/api/v1/cases", as_user="window", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replay"] == "true"
    assert again.get_data() == retried.get_data()
