"""Runs of scenarios: asked for by an auditor (one, by tag, all, or the editor's unsaved text),
by a designer's deploy gate, or nightly; executed as a background job in sandboxes.

:func:`start_run` checks what will run, stores a queued run and returns it; the caller commits
and hands the run's id to the job queue (:mod:`app.scenarios.workshop.jobs`), which calls
:func:`execute_run`. The job claims the run (compare-and-set, so it runs once), prepares the
sandbox state (what is deployed now, or a draft on top of it), writes a result row per scenario
and updates it step by step, so the run's page shows each step as it goes. Whatever happens,
the run ends ``passed``, ``failed`` or ``error``; a run found still ``running`` long after its
budget (the process died) is closed as ``error`` by :func:`close_stalled`.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, InvalidInput
from app.domain.roles import Role
from app.persistence.processes import models as model_store
from app.persistence.audit import scenarios as store
from app.persistence.engine.db import Database
from app.persistence.background.incidents import record_failure
from app.persistence.tables.scenarios import ScenarioDocument, ScenarioRun, ScenarioRunResult
from app.scenarios.language.checking import CheckResult, check_text
from app.scenarios.running.execution import initial_steps, run_scenario
from app.scenarios.language.known import known_names
from app.scenarios.workshop.library import READERS, WRITERS, clean_tags, clean_text
from app.scenarios.running.sandbox import Draft, SandboxFactory
from app.services.actor import Actor
from app.services.processes.coverage import CoverageReport
from app.services.processes.scenario_gate import scenarios_for_process
from app.services.runtime import Runtime

log = logging.getLogger(__name__)

#: runs one person may have queued or running at once
MAX_OPEN_RUNS = 3
PURPOSES = ("editor", "one", "tag", "all", "gate", "nightly")
PURPOSE_LABELS = {"editor": "编辑器试运行", "one": "运行场景", "tag": "按标签运行", "all": "运行全部",
                  "gate": "部署前检查", "nightly": "夜间运行"}
RUN_STATUS = {"queued": "排队中", "running": "运行中", "passed": "全部通过", "failed": "有场景未通过",
              "error": "运行出错"}
INCIDENT_KIND = "scenarios"


class ScenarioTextInvalid(InvalidInput):
    """The editor's text has problems: nothing runs until they are fixed (each on its line)."""


def _draft(session: Session, model_id: int, version: int) -> Draft:
    model = model_store.get_model(session, model_id)
    return Draft.of(model_store.get_revision(session, model.id, version, with_content=True))


def _new_run(session: Session, runtime: Runtime, actor: Actor, purpose: str, *, selector: str = "",
             text: str | None = None, revision_id: int | None = None) -> ScenarioRun:
    if actor.username != "system" and store.open_runs_of(session, actor.username) >= MAX_OPEN_RUNS:
        raise Conflict("scenario_runs_busy", f"您已有 {MAX_OPEN_RUNS} 个运行在排队或进行中，请等它们结束后再运行")
    run = ScenarioRun(purpose=purpose, selector=selector[:200], text=text, requested_by=actor.username,
                      status="queued", created_at=runtime.clock.now(), started_at=None, finished_at=None,
                      model_revision_id=revision_id, versions={}, counts={}, coverage={}, message=None)
    session.add(run)
    session.flush()
    return run


def start_run(session: Session, runtime: Runtime, actor: Actor, *, scenario_ids: object = None,
              tag: object = None, everything: bool = False, text: object = None, model_id: int | None = None,
              version: int | None = None) -> ScenarioRun:
    """A queued run of the editor's ``text``, of ``scenario_ids``, of a ``tag`` or of ``everything``;
    against a draft when ``model_id`` and ``version`` name a model version."""
    actor.require(*WRITERS)
    chosen = sum(x is not None and x is not False for x in (scenario_ids, tag, text)) + bool(everything)
    if chosen != 1:
        raise InvalidInput("run_selection_invalid", "请只选择一种运行方式：场景（scenario_ids）、标签（tag）、全部（all）或文本（text）")
    draft = _draft(session, model_id, version) if model_id is not None and version is not None else None
    revision_id = draft.revision_id if draft else None
    if text is not None:
        body = clean_text(text)
        result = check_text(body, known_names(session, runtime, [draft.content.decode("utf-8", "replace")] if draft else []))
        if not result.ok:
            raise ScenarioTextInvalid("scenario_has_problems", f"场景有 {len(result.problems)} 处问题，请先改正",
                                      problems=[p.to_dict() for p in result.problems][:50])
        return _new_run(session, runtime, actor, "editor", text=body, revision_id=revision_id)
    if everything:
        if not store.all_documents(session):
            raise InvalidInput("library_empty", "场景库中还没有场景")
        return _new_run(session, runtime, actor, "all", revision_id=revision_id)
    if tag is not None:
        wanted = clean_tags([tag])
        if len(wanted) != 1 or not any(wanted[0] in d.tags for d in store.all_documents(session)):
            raise InvalidInput("tag_unknown", f"没有标签为“{str(tag)[:40]}”的场景")
        return _new_run(session, runtime, actor, "tag", selector=wanted[0], revision_id=revision_id)
    if not isinstance(scenario_ids, list) or not 1 <= len(scenario_ids) <= 50 \
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in scenario_ids):
        raise InvalidInput("scenario_ids_invalid", "scenario_ids 应为 1 至 50 个场景编号")
    for document_id in scenario_ids:
        store.get_document(session, document_id)
    return _new_run(session, runtime, actor, "one", selector=",".join(map(str, dict.fromkeys(scenario_ids))),
                    revision_id=revision_id)


def start_gate_check(session: Session, runtime: Runtime, actor: Actor, model_id: int, version: int) -> ScenarioRun:
    """The scenarios for the version's process, run against it before it is deployed."""
    actor.require(Role.DESIGNER)
    draft = _draft(session, model_id, version)
    documents = scenarios_for_process(session, draft.process_id)
    run = _new_run(session, runtime, actor, "gate", selector=",".join(str(d.id) for d in documents),
                   revision_id=draft.revision_id)
    if not documents:
        run.status, run.started_at, run.finished_at = "passed", run.created_at, run.created_at
        run.message = "场景库中没有针对此流程的场景"
    return run


def start_nightly(session: Session, runtime: Runtime, actor: Actor) -> ScenarioRun | None:
    """The whole library against what is deployed (None when the library is empty)."""
    if not store.all_documents(session):
        return None
    return _new_run(session, runtime, actor, "nightly")


# --------------------------------------------------------------------------- reading

def get_run(session: Session, actor: Actor, run_id: int) -> tuple[ScenarioRun, list[ScenarioRunResult]]:
    actor.require(*READERS)
    run = store.get_run(session, run_id)
    return run, store.results(session, run.id)


def list_runs(session: Session, actor: Actor, limit: int = 50) -> list[ScenarioRun]:
    actor.require(*READERS)
    return store.recent_runs(session, limit)


# --------------------------------------------------------------------------- the job

@dataclass
class _Planned:
    document: ScenarioDocument | None
    document_version: int | None
    checked: CheckResult
    rows: list[ScenarioRunResult] = field(default_factory=list)


def _selected(session: Session, run: ScenarioRun) -> list[ScenarioDocument]:
    documents = store.all_documents(session)
    if run.purpose in ("one", "gate"):
        wanted = [int(i) for i in run.selector.split(",") if i]
        by_id = {d.id: d for d in documents}
        return [by_id[i] for i in wanted if i in by_id]
    if run.purpose == "tag":
        return [d for d in documents if run.selector in d.tags]
    return documents


def _versions(runtime: Runtime, base_versions: dict[str, Any], draft: Draft | None) -> dict[str, Any]:
    def digest(path: Any) -> str:
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        except OSError:
            return ""
    settings = runtime.settings
    return {"processes": base_versions,
            "draft": None if draft is None else {"model_id": draft.model_id, "version": draft.version,
                                                 "process_id": draft.process_id},
            "rules": {r.name: r.version for r in runtime.rules.rulesets()},
            "catalogue": digest(settings.catalogue_file), "calendar": digest(settings.calendar_file)}


def _plan(session: Session, runtime: Runtime, run: ScenarioRun, draft: Draft | None) -> list[_Planned]:
    known = known_names(session, runtime, [draft.content.decode("utf-8", "replace")] if draft else [])
    if run.text is not None:
        return [_Planned(None, None, check_text(run.text, known))]
    texts = store.current_texts(session, _selected(session, run))
    planned = []
    for document in _selected(session, run):
        revision = texts.get(document.id)
        if revision is not None:
            planned.append(_Planned(document, revision.version, check_text(revision.text, known)))
    return planned


def _result_rows(session: Session, run: ScenarioRun, planned: list[_Planned]) -> None:
    position = 0
    for plan in planned:
        document_id = plan.document.id if plan.document else None
        feature = plan.checked.feature.name or (plan.document.name if plan.document else "编辑器中的场景")
        if not plan.checked.ok:
            problems = "\n".join(p.message for p in plan.checked.problems[:20])
            row = ScenarioRunResult(run_id=run.id, position=position, document_id=document_id,
                                    document_version=plan.document_version, feature=feature[:300],
                                    name=(plan.document.name if plan.document else feature)[:300], line=1,
                                    example={}, status="error", steps=[], path={},
                                    message=f"场景有误，未运行：\n{problems}", seconds=0.0)
            session.add(row)
            position += 1
            continue
        for scenario in plan.checked.feature.scenarios:
            row = ScenarioRunResult(run_id=run.id, position=position, document_id=document_id,
                                    document_version=plan.document_version, feature=feature[:300],
                                    name=scenario.name[:300], line=scenario.line, example=dict(scenario.example),
                                    status="not_run", steps=initial_steps(scenario), path={}, message=None,
                                    seconds=0.0)
            session.add(row)
            plan.rows.append(row)
            position += 1
    session.flush()


def execute_run(db: Database, runtime: Runtime, factory: SandboxFactory, run_id: int) -> str | None:
    """The job: run ``run_id`` if still queued; its final status (None if another job had it)."""
    with db.unit_of_work() as session:
        if not store.claim_run(session, run_id, runtime.clock.now()):
            return None
    try:
        return _execute(db, runtime, factory, run_id)
    except Exception as err:  # the run must end; the reason is kept for the auditor
        log.exception("scenario run %s failed", run_id)
        with db.unit_of_work() as session:
            run = store.get_run(session, run_id)
            run.status, run.finished_at = "error", runtime.clock.now()
            run.message = f"运行出错：{type(err).__name__}：{str(err)[:500]}"
            _nightly_incident(session, runtime, run)
        return "error"


def _execute(db: Database, runtime: Runtime, factory: SandboxFactory, run_id: int) -> str:
    settings = runtime.settings
    with db.unit_of_work() as session:
        run = store.get_run(session, run_id)
        draft = None
        if run.model_revision_id is not None:
            revision = model_store.get_revision_by_id(session, run.model_revision_id)
            draft = Draft.of(revision)
        base = factory.prepare(session, draft)
        planned = _plan(session, runtime, run, draft)
        _result_rows(session, run, planned)
        run.versions = {**_versions(runtime, base.versions, draft), "draft_xml": base.draft_xml}
        jobs = [(row.id, scenario, checked) for plan in planned if plan.checked.ok
                for row, scenario, checked in zip(plan.rows, plan.checked.feature.scenarios, plan.checked.checked,
                                                  strict=True)]
    coverage = CoverageReport()
    deadline = time.monotonic() + settings.scenario_run_seconds
    for row_id, scenario, checked in jobs:
        if time.monotonic() > deadline:
            with db.unit_of_work() as session:
                row = session.get_one(ScenarioRunResult, row_id)
                row.status, row.message = "error", f"整个运行超出时间预算（{settings.scenario_run_seconds} 秒），未运行"
            continue

        def progress(index: int, step: dict[str, Any], row_id: int = row_id) -> None:
            with db.unit_of_work() as session:
                row = session.get_one(ScenarioRunResult, row_id)
                steps = list(row.steps)
                steps[index] = dict(step)
                row.steps, row.status = steps, "running"

        outcome = run_scenario(factory, base, scenario, checked, budget_seconds=settings.scenario_seconds,
                               budget_mb=settings.scenario_memory_mb, on_step=progress)
        coverage.merge(outcome.coverage)
        with db.unit_of_work() as session:
            row = session.get_one(ScenarioRunResult, row_id)
            row.steps, row.status, row.path = outcome.steps, outcome.status, outcome.path
            row.message, row.seconds = outcome.message, outcome.seconds
    with db.unit_of_work() as session:
        run = store.get_run(session, run_id)
        counts = store.counts_by_status(session, run_id)
        run.counts = counts
        run.coverage = dict(coverage.to_dict())
        run.status = "passed" if counts and set(counts) <= {"passed"} else (
            "failed" if counts.get("failed") else "error" if counts else "error")
        if not counts:
            run.message = "没有可运行的场景"
        run.finished_at = runtime.clock.now()
        _nightly_incident(session, runtime, run)
        return run.status


def _nightly_incident(session: Session, runtime: Runtime, run: ScenarioRun) -> None:
    """A nightly run that did not pass is an incident, visible at once."""
    if run.purpose != "nightly" or run.status == "passed":
        return
    counts = run.counts or {}
    record_failure(session, INCIDENT_KIND, None,
                   f"夜间场景运行 #{run.id} 未通过：失败 {counts.get('failed', 0)}，出错 {counts.get('error', 0)}"
                   + (f"；{run.message}" if run.message else ""), runtime.clock.now())


def close_stalled(session: Session, runtime: Runtime) -> int:
    """Runs left ``running`` by a process that stopped: closed as ``error``."""
    limit = runtime.clock.now() - timedelta(seconds=runtime.settings.scenario_run_seconds * 2)
    stalled = store.stalled_runs(session, limit)
    for run in stalled:
        run.status, run.finished_at = "error", runtime.clock.now()
        run.message = "运行中断（服务重启或进程退出），请重新运行"
    return len(stalled)
