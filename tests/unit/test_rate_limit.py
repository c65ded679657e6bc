"""The failure limiter behind the public progress page, and who the client is behind proxies."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.timing.clock import FixedClock
from app.domain.errors import InvalidInput
from app.persistence.tables.access import FailedAttempt
from app.persistence.engine.db import Database
from app.web.edge.client_address import TrustedProxies
from app.web.edge.rate_limit import DatabaseFailureLimiter


@pytest.fixture
def limiter(database_url: str):
    db = Database(database_url)
    clock = FixedClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    yield DatabaseFailureLimiter(db, clock, "progress", 3, timedelta(seconds=60)), clock, db
    db.dispose()


def test_blocks_after_the_limit_and_forgets_after_the_window(limiter):
    limiter, clock, _ = limiter
    for _ in range(3):
        assert not limiter.blocked("a")
        limiter.fail("a")
    assert limiter.blocked("a") and not limiter.blocked("b")
    clock.advance(seconds=59.9)
    assert limiter.blocked("a")
    clock.advance(seconds=0.2)
    assert not limiter.blocked("a")


def test_the_table_keeps_one_window_of_failures(limiter):
    limiter, clock, db = limiter
    for n in range(1_000):
        limiter.fail(f"client-{n}")
    clock.advance(seconds=61)
    limiter.fail("late")
    with db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FailedAttempt)) == 1


def test_an_overlong_client_key_is_cut_to_the_column(limiter):
    limiter, _, _ = limiter
    for _ in range(3):
        limiter.fail("x" * 300)
    assert limiter.blocked("x" * 300)


@pytest.mark.parametrize(("setting", "remote", "forwarded", "client"), [
    ("", "203.0.113.5", "192.0.2.1", "203.0.113.5"),                   # nobody trusted: the header is ignored
    ("1", "10.0.0.1", "192.0.2.1, 203.0.113.5", "203.0.113.5"),        # one hop: what the proxy appended
    ("1", "10.0.0.1", None, "10.0.0.1"),                                # no header: the proxy itself
    ("2", "10.0.0.2", "192.0.2.1, 203.0.113.5, 10.0.0.1", "203.0.113.5"),
    ("10.0.0.1", "203.0.113.5", "192.0.2.1", "203.0.113.5"),           # not from the proxy: ignored
    ("10.0.0.1", "10.0.0.1", "192.0.2.1, 203.0.113.5", "203.0.113.5"),
    ("10.0.0.0/8, 172.16.0.1", "10.0.0.1", "203.0.113.5, 172.16.0.1", "203.0.113.5"),
    ("10.0.0.0/8", "10.0.0.1", "10.0.0.7", "10.0.0.7"),                # all trusted: the farthest
    ("10.0.0.0/8", "10.0.0.1", "junk", "junk"),
    ("::1", "::1", "2001:db8::5", "2001:db8::5"),
])
def test_the_client_behind_trusted_proxies(setting, remote, forwarded, client):
    assert TrustedProxies.parse(setting).client(remote, forwarded) == client


@pytest.mark.parametrize("setting", ["proxy.example", "10.0.0.1,nonsense", "-1", "10.0.0.0/33"])
def test_a_bad_setting_is_refused(setting):
    with pytest.raises(InvalidInput, match="ONESEAL_TRUSTED_PROXIES"):
        TrustedProxies.parse(setting)
