"""After a run: what the clients were told against what the database holds.

- **lost**: a completion answered 2xx whose task is not completed, or has no ``task_completed``
  event in the audit trail; a registration answered 2xx whose case does not exist.
- **double**: a task with more than one ``task_completed`` event; a task two different requests
  were both told they completed; an applicant's marker (one per registration request, retries
  included) with more than one case.
- ``oneseal check cases`` (every case's workflow and inbox agree: before or after each step)
  and, when asked, ``oneseal audit verify`` (the hash chain).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, select

from app.persistence.models import AuditEvent, Case, TaskRecord
from scripts.live.database import run_command
from scripts.live.traffic import MARKER


@dataclass
class Verdict:
    lost: int
    double: int
    cases_check: bool
    audit: bool | None
    completed_ok: int
    registered_ok: int
    notes: list[str]


def judge(url: str, env: dict[str, str], records: list[dict[str, Any]], *, audit: bool = False) -> Verdict:
    completions = [r for r in records if r["op"] == "complete" and 200 <= r["status"] < 300]
    registrations = [r for r in records if r["op"] == "register" and 200 <= r["status"] < 300]
    notes: list[str] = []
    engine = create_engine(url)
    with engine.connect() as conn:
        events = Counter(after.get("task_id") for (after,) in conn.execute(
            select(AuditEvent.after).where(AuditEvent.action == "task_completed")))
        told = Counter(r["task"] for r in completions)
        states = dict(conn.execute(select(TaskRecord.id, TaskRecord.status)
                                   .where(TaskRecord.id.in_(list(told) or [""]))).all())
        markers = Counter(name for (name,) in conn.execute(
            select(Case.applicant_name).where(Case.applicant_name.like(f"{MARKER}%"))))
    engine.dispose()

    lost = 0
    for task_id in told:
        if events[task_id] == 0 or states.get(task_id) != "completed":
            lost += 1
            notes.append(f"lost completion: task {task_id} status={states.get(task_id)} events={events[task_id]}")
    for record in registrations:
        if markers[record["marker"]] == 0:
            lost += 1
            notes.append(f"lost registration: {record['marker']}")
    double = 0
    for task_id, count in events.items():
        if count > 1:
            double += count - 1
            notes.append(f"task {task_id} completed {count} times in the audit trail")
    for task_id, count in told.items():
        if count > 1:
            double += count - 1
            notes.append(f"task {task_id}: {count} requests were told they completed it")
    for marker, count in markers.items():
        if count > 1:
            double += count - 1
            notes.append(f"registration {marker} made {count} cases")

    status, output = run_command(env, "check", "cases")
    if status != 0:
        notes.append("oneseal check cases: " + output[-2000:])
    audit_ok = None
    if audit:
        code, output = run_command(env, "audit", "verify")
        audit_ok = code == 0
        if not audit_ok:
            notes.append("oneseal audit verify: " + output[-2000:])
    return Verdict(lost, double, status == 0, audit_ok, len(completions), len(registrations), notes)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0
