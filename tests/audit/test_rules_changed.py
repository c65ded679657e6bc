"""Rules changed (规则变更): recorded at ``oneseal init-db`` and at service start, once per change."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import create_app
from app.cli import main
from app.persistence.engine.db import Database
from app.persistence.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
INSPECTION = (ROOT / "rules" / "inspection.toml").read_text(encoding="utf-8")


def _rules_dir(path: Path, *, version: str = "2026.1", extra: bool = False) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.toml"):
        old.unlink()
    (path / "inspection.toml").write_text(INSPECTION.replace('version = "2026.1"', f'version = "{version}"'),
                                          encoding="utf-8")
    if extra:
        (path / "inspection_trial.toml").write_text(
            INSPECTION.replace('name = "inspection"', 'name = "inspection_trial"'), encoding="utf-8")
    return path


def _rules_events(database_url: str) -> list[tuple[str | None, dict[str, Any], dict[str, Any]]]:
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "rules_changed")
                                   .order_by(AuditEvent.id))
            return [(e.element_id, e.before, e.after) for e in rows]
    finally:
        db.dispose()


@pytest.fixture
def init_db(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(settings.instance_dir))

    def run(rules_dir: Path) -> None:
        monkeypatch.setenv("ONESEAL_RULES_DIR", str(rules_dir))
        result = CliRunner().invoke(main, ["init-db"])
        assert result.exit_code == 0, result.output
    return run


def test_init_db_records_each_ruleset_once_then_only_changes(init_db, settings, tmp_path):
    rules = _rules_dir(tmp_path / "rules", extra=True)
    init_db(rules)
    first = _rules_events(settings.database_url)
    assert [(name, before) for name, before, _ in first] == [("inspection", {}), ("inspection_trial", {})]
    assert first[0][2]["version"].startswith("2026.1+") and first[0][2]["file"] == "inspection.toml"
    init_db(rules)
    assert _rules_events(settings.database_url) == first  # nothing changed: nothing recorded

    _rules_dir(rules, version="2026.2")  # inspection edited, inspection_trial removed
    init_db(rules)
    changes = _rules_events(settings.database_url)[len(first):]
    assert [name for name, _, _ in changes] == ["inspection", "inspection_trial"]
    (_, before, after), (_, trial_before, trial_after) = changes
    assert before == {"version": first[0][2]["version"]} and after["version"].startswith("2026.2+")
    assert trial_before == {"version": first[1][2]["version"]} and trial_after == {"version": None, "removed": True}


def test_service_start_records_a_change_made_while_it_was_stopped(init_db, settings, tmp_path):
    rules = _rules_dir(tmp_path / "rules")
    init_db(rules)
    _rules_dir(rules, version="2026.3")
    app = create_app(replace(settings, rules_dir=rules))  # warm start, as `oneseal serve` does
    app.extensions["oneseal"].db.dispose()
    events = _rules_events(settings.database_url)
    assert len(events) == 2 and events[1][2]["version"].startswith("2026.3+")
    assert events[1][1] == {"version": events[0][2]["version"]}
    create_app(replace(settings, rules_dir=rules)).extensions["oneseal"].db.dispose()  # restart
    assert len(_rules_events(settings.database_url)) == 2
