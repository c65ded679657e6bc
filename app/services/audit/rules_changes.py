"""Rules changed (规则变更): record when the loaded rulesets differ from the last recorded ones.

Checked when the database is initialised (``oneseal init-db``) and when the service starts.
Each ruleset whose version (header version plus a hash of the file) differs from the version
last recorded in the trail gets one ``rules_changed`` event, with the ruleset name as the
element and the old and new versions as before and after; a ruleset whose file was removed
gets one with no new version.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.persistence.audit.chain import AppendedEvent, append_event_now, lock_chain
from app.persistence.audit.queries import events_of_action
from app.services.actor import Actor
from app.services.runtime import Runtime

RULES_CHANGED = "rules_changed"


def recorded_versions(session: Session) -> dict[str, str]:
    """Ruleset name → version, as the trail last recorded it."""
    versions: dict[str, str] = {}
    for event in events_of_action(session, RULES_CHANGED):
        version = event.after.get("version")
        if event.element_id is None:
            continue
        if version is None:
            versions.pop(event.element_id, None)
        else:
            versions[event.element_id] = version
    return versions


def record_rules_versions(session: Session, runtime: Runtime, actor: Actor) -> list[AppendedEvent]:
    """Append a ``rules_changed`` event for every ruleset whose version changed; return them."""
    lock_chain(session)  # two services starting at once record a change once
    loaded = {summary.name: summary for summary in runtime.rules.rulesets()}
    recorded = recorded_versions(session)
    now = runtime.clock.now()
    events = []
    for name in sorted(loaded.keys() | recorded.keys()):
        summary = loaded.get(name)
        old, new = recorded.get(name), summary.version if summary else None
        if old == new:
            continue
        after = ({"version": new, "title": summary.title, "file": Path(summary.file).name,
                  "rules": summary.rule_count} if summary else {"version": None, "removed": True})
        events.append(append_event_now(session, occurred_at=now, actor=actor.username, action=RULES_CHANGED,
                                   element_id=name, before={"version": old} if old else {}, after=after))
    return events
