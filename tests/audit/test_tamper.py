"""Tampering with stored audit events (edit, delete, insert, reorder) is detected by
``oneseal audit verify``, which names the first bad event. On SQLite and PostgreSQL: the
append-only guard is lifted the way someone with direct database access would."""
from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from app.cli import main
from app.persistence.audit.chain import event_hash, verify_chain
from app.persistence.models import AuditEvent
from app.scenarios.running.tampering import lift_guard_and, tamper

USERS = ("window", "window2", "reviewer_market", "leader_market")


@pytest.fixture
def verify(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``oneseal audit verify [args]`` on the test database: (exit code, output)."""
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["audit", "verify", *args])
        return result.exit_code, result.output
    return run


@pytest.fixture
def trail(ext: Any, api: Any) -> list[int]:
    """At least six events, numbered from 1: the shipped diagrams deployed (by the app
    fixture), then four logins."""
    for user in USERS:
        api.token(user)
    with ext.db.session(write=False) as session:
        ids = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    assert len(ids) >= 6 and ids == list(range(1, len(ids) + 1))
    return ids


def test_an_untouched_trail_verifies_and_prints_its_head(trail, verify):
    code, output = verify()
    assert code == 0 and f"审计链完整：已核验 {len(trail)} 条事件" in output
    assert f"链尾：{trail[-1]}:" in output


@pytest.mark.parametrize(("how", "target", "named", "kind", "words"), [
    ("edit", 4, 4, "altered", "篡改"),
    ("edit", 1, 1, "altered", "篡改"),
    ("delete", 4, 5, "removed", "删除"),
    ("delete", 1, 2, "removed", "删除"),
    ("insert", 4, 4, "inserted", "插入"),
    ("insert", 1, 1, "inserted", "插入"),
    ("swap", 4, 4, "reordered", "调换"),
    ("swap", 5, 5, "reordered", "调换"),
])
def test_tampering_is_detected_and_the_first_bad_event_is_named(ext, trail, verify, how, target, named,
                                                                 kind, words):
    tamper(ext.db, how, target)
    with ext.db.session(write=False) as session:
        _, broken = verify_chain(session)
    assert broken is not None and (broken.event_id, broken.kind) == (named, kind), broken
    code, output = verify()
    assert code == 1
    assert f"审计链断裂：事件 #{named}，" in output and words in output


def test_an_edit_with_a_recomputed_hash_breaks_the_link_to_the_next_event(ext, trail, verify):
    with ext.db.unit_of_work() as session:
        event = session.get(AuditEvent, 3)
        forged = event_hash(event.prev_hash, event.occurred_at, "mallory", event.action, event.case_id,
                            event.element_id, event.before, event.after)
        session.expunge_all()
        lift_guard_and(session, [update(AuditEvent).where(AuditEvent.id == 3).values(actor="mallory", hash=forged)])
    code, output = verify()
    assert code == 1 and "事件 #4" in output and "#3被改动后重算了哈希" in output


def test_a_truncated_tail_is_caught_by_the_anchor_written_down_before(ext, trail, verify):
    _, output = verify()
    anchor = output.split("链尾：")[1].split("（")[0]
    assert verify("--anchor", anchor)[0] == 0
    with ext.db.unit_of_work() as session:
        lift_guard_and(session, [delete(AuditEvent).where(AuditEvent.id == trail[-1])])
    code, output = verify()
    assert code == 0, "the chain alone cannot see a missing last event"
    code, output = verify("--anchor", anchor)
    assert code == 1 and f"锚点不符：{anchor}" in output
    assert verify("--anchor", "1:abc")[0] == 2  # a malformed anchor is a usage error
