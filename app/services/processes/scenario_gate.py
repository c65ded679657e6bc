"""The deploy gate: a new version of a diagram is checked against the auditors' scenarios first.

The scenarios *for* a process are those tagged ``流程:<process id>`` in the library, and those
whose cases went through the process in the latest run of the whole library (so the baseline
counts without tags). When there are any, deploying a model version needs a finished check of
that very version (a ``gate`` run, started from the modeler); when some of them fail, deploying
needs a reason, which is kept with the check and written to the audit trail in the deployment's
transaction, where auditors see it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, InvalidInput
from app.persistence.audit import scenarios as store
from app.persistence.audit.chain import append_event
from app.persistence.tables.scenarios import ScenarioDocument, ScenarioRun
from app.services.actor import Actor
from app.services.runtime import Runtime

PROCESS_TAG = "流程:"
MAX_REASON = 500


def scenarios_for_process(session: Session, process_id: str) -> list[ScenarioDocument]:
    documents = store.all_documents(session)
    latest = store.latest_library_run(session)
    reached = store.reached_processes(session, latest.id) if latest is not None else {}
    return [d for d in documents if f"{PROCESS_TAG}{process_id}" in d.tags or process_id in reached.get(d.id, set())]


@dataclass(frozen=True)
class GateState:
    """Where a model version stands before deployment."""

    #: ``none`` (no scenario for the process), ``unchecked``, ``running``, ``passed``, ``failed``
    state: str
    run: ScenarioRun | None
    scenarios: int
    failing: list[str]


def gate_state(session: Session, revision_id: int, process_id: str | None) -> GateState:
    scenarios = len(scenarios_for_process(session, process_id)) if process_id else 0
    run = store.latest_gate_run(session, revision_id)
    if run is None:
        return GateState("none" if scenarios == 0 else "unchecked", None, scenarios, [])
    if run.status in ("queued", "running"):
        return GateState("running", run, scenarios, [])
    failing = [f"{r.feature} / {r.name}" for r in store.results(session, run.id) if r.status != "passed"]
    return GateState("passed" if run.status == "passed" else "failed", run, scenarios, failing)


def clean_reason(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_REASON:
        raise InvalidInput("override_reason_invalid", f"理由应为不超过 {MAX_REASON} 字的文本", field="override_reason")
    return raw.strip() or None


def check_before_deploy(session: Session, runtime: Runtime, actor: Actor, *, revision_id: int,
                        process_id: str, model_name: str, version: int, override_reason: object) -> None:
    """Refuse (409) a deployment the scenarios have not cleared; record an override with its reason."""
    reason = clean_reason(override_reason)
    gate = gate_state(session, revision_id, process_id)
    if gate.state == "none" or gate.state == "passed":
        return
    if gate.state == "unchecked":
        raise Conflict("scenario_check_required",
                       f"有 {gate.scenarios} 个场景针对流程“{process_id}”：请先运行部署前场景检查", scenarios=gate.scenarios)
    if gate.state == "running":
        raise Conflict("scenario_check_running", "部署前场景检查仍在运行，请等待结果")
    assert gate.run is not None
    if reason is None:
        raise Conflict("scenario_check_failed",
                       f"有 {len(gate.failing)} 个场景未通过：{'；'.join(gate.failing[:5])}。如确需部署，请填写理由",
                       failing=gate.failing[:50], run_id=gate.run.id)
    now = runtime.clock.now()
    gate.run.override_reason, gate.run.overridden_by, gate.run.overridden_at = reason, actor.username, now
    append_event(session, occurred_at=now, actor=actor.username, action="scenario_gate_overridden",
                 element_id=process_id,
                 after={"model": model_name, "version": version, "run_id": gate.run.id, "reason": reason,
                        "failing": gate.failing[:50]})
