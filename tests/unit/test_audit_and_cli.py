"""The audit trail is append-only and chained; `oneseal validate` names the bad element."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.cli import main
from app.persistence.audit.chain import verify_chain
from app.persistence.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def test_audit_rows_cannot_be_updated_or_deleted(ext, api):
    api.token("window")  # the login is an audit event
    with ext.db.session() as session:
        assert session.scalars(select(AuditEvent)).first() is not None
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError):
            with ext.db.unit_of_work() as session:
                session.execute(text(statement))
    with ext.db.session() as session:
        checked, broken = verify_chain(session)
        assert checked >= 1 and broken is None


def test_validate_accepts_shipped_and_names_bad_elements(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["validate", *map(str, sorted((ROOT / "processes").glob("*.bpmn")))])
    assert result.exit_code == 0, result.output
    bad = (ROOT / "processes" / "standard_promised.bpmn").read_text(encoding="utf-8").replace(
        'decision == "reject"', "__import__('os').system('id')", 1)
    path = tmp_path / "坏流程.bpmn"
    path.write_text(bad, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "flow_to_not_accepted_end" in result.output and "不予受理" in result.output


@pytest.mark.skipif(__import__("os").environ.get("ONESEAL_DATABASE_URL", "").startswith("postgresql"),
                    reason="tampering is simulated by lifting the SQLite guard")
def test_audit_verify_names_the_first_tampered_event(ext, api, settings, monkeypatch):
    for user in ("window", "reviewer_market", "leader_market"):
        api.token(user)  # three login events
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0 and "审计链完整" in result.output
    with ext.db.unit_of_work() as session:  # someone with direct database access edits event 2
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = 2"))
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1 and "#2" in result.output and "篡改" in result.output
    with ext.db.unit_of_work() as session:  # restore it, then delete event 2 instead
        session.execute(text("UPDATE audit_events SET actor = 'reviewer_market' WHERE id = 2"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))
        session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1 and "#3" in result.output and "删除" in result.output
