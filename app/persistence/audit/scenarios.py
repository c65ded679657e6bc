"""Queries of the scenario library and its runs (tables in :mod:`app.persistence.tables.scenarios`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.tables.scenarios import ScenarioDocument, ScenarioRevision, ScenarioRun, ScenarioRunResult

FINISHED = ("passed", "failed", "error")


def all_documents(session: Session) -> list[ScenarioDocument]:
    return list(session.scalars(select(ScenarioDocument).order_by(ScenarioDocument.folder, ScenarioDocument.name)))


def get_document(session: Session, document_id: int, *, for_update: bool = False) -> ScenarioDocument:
    statement = select(ScenarioDocument).where(ScenarioDocument.id == document_id)
    if for_update:
        statement = statement.with_for_update()
    document = session.scalar(statement)
    if document is None:
        raise NotFound("scenario_not_found", "场景不存在", scenario_id=document_id)
    return document


def document_by_key(session: Session, key: str) -> ScenarioDocument | None:
    return session.scalar(select(ScenarioDocument).where(ScenarioDocument.name_key == key))


def document_by_baseline(session: Session, path: str) -> ScenarioDocument | None:
    return session.scalar(select(ScenarioDocument).where(ScenarioDocument.baseline_path == path))


def revisions(session: Session, document_id: int) -> list[ScenarioRevision]:
    return list(session.scalars(select(ScenarioRevision).where(ScenarioRevision.document_id == document_id)
                                .order_by(ScenarioRevision.version.desc())))


def get_revision(session: Session, document_id: int, version: int) -> ScenarioRevision:
    revision = session.scalar(select(ScenarioRevision).where(ScenarioRevision.document_id == document_id,
                                                             ScenarioRevision.version == version))
    if revision is None:
        raise NotFound("scenario_version_not_found", "场景的这一版本不存在", scenario_id=document_id, version=version)
    return revision


def current_texts(session: Session, documents: list[ScenarioDocument]) -> dict[int, ScenarioRevision]:
    """The current revision of each document."""
    if not documents:
        return {}
    wanted = {(d.id, d.current_version) for d in documents}
    rows = session.scalars(select(ScenarioRevision).where(
        ScenarioRevision.document_id.in_([d.id for d in documents])))
    return {r.document_id: r for r in rows if (r.document_id, r.version) in wanted}


def get_run(session: Session, run_id: int, *, for_update: bool = False) -> ScenarioRun:
    statement = select(ScenarioRun).where(ScenarioRun.id == run_id)
    if for_update:
        statement = statement.with_for_update()
    run = session.scalar(statement)
    if run is None:
        raise NotFound("scenario_run_not_found", "场景运行记录不存在", run_id=run_id)
    return run


def recent_runs(session: Session, limit: int = 50, purpose: str | None = None) -> list[ScenarioRun]:
    statement = select(ScenarioRun).order_by(ScenarioRun.id.desc()).limit(limit)
    if purpose is not None:
        statement = statement.where(ScenarioRun.purpose == purpose)
    return list(session.scalars(statement))


def open_runs_of(session: Session, username: str) -> int:
    """Runs of one person still queued or running."""
    return int(session.scalar(select(func.count()).select_from(ScenarioRun).where(
        ScenarioRun.requested_by == username, ScenarioRun.status.in_(("queued", "running")))) or 0)


def claim_run(session: Session, run_id: int, at: datetime) -> bool:
    """Queued → running, compare-and-set: of two workers, one runs it."""
    result = session.execute(update(ScenarioRun).where(ScenarioRun.id == run_id, ScenarioRun.status == "queued")
                             .values(status="running", started_at=at))
    return bool(getattr(result, "rowcount", 0))


def queued_runs(session: Session) -> list[int]:
    return list(session.scalars(select(ScenarioRun.id).where(ScenarioRun.status == "queued").order_by(ScenarioRun.id)))


def stalled_runs(session: Session, before: datetime) -> list[ScenarioRun]:
    return list(session.scalars(select(ScenarioRun).where(ScenarioRun.status == "running",
                                                          ScenarioRun.started_at < before)))


def results(session: Session, run_id: int) -> list[ScenarioRunResult]:
    return list(session.scalars(select(ScenarioRunResult).where(ScenarioRunResult.run_id == run_id)
                                .order_by(ScenarioRunResult.position)))


def last_results(session: Session, document_ids: list[int]) -> dict[int, ScenarioRunResult]:
    """The latest finished result of each document, from any run (one per document: its last scenario)."""
    if not document_ids:
        return {}
    latest = (select(ScenarioRunResult.document_id, func.max(ScenarioRunResult.id).label("id"))
              .where(ScenarioRunResult.document_id.in_(document_ids),
                     ScenarioRunResult.status.in_(FINISHED))
              .group_by(ScenarioRunResult.document_id).subquery())
    rows = session.scalars(select(ScenarioRunResult).join(latest, ScenarioRunResult.id == latest.c.id))
    return {r.document_id: r for r in rows if r.document_id is not None}


def reached_processes(session: Session, run_id: int) -> dict[int, set[str]]:
    """Document id → the processes its scenarios' cases went through in a run."""
    reached: dict[int, set[str]] = {}
    for row in results(session, run_id):
        if row.document_id is not None:
            reached.setdefault(row.document_id, set()).update(row.path)
    return reached


def latest_library_run(session: Session) -> ScenarioRun | None:
    """The newest finished run of the whole library (by hand or nightly)."""
    return session.scalar(select(ScenarioRun).where(ScenarioRun.purpose.in_(("all", "nightly")),
                                                    ScenarioRun.status.in_(FINISHED))
                          .order_by(ScenarioRun.id.desc()).limit(1))


def latest_gate_run(session: Session, revision_id: int) -> ScenarioRun | None:
    return session.scalar(select(ScenarioRun).where(ScenarioRun.purpose == "gate",
                                                    ScenarioRun.model_revision_id == revision_id)
                          .order_by(ScenarioRun.id.desc()).limit(1))


def counts_by_status(session: Session, run_id: int) -> dict[str, Any]:
    rows = session.execute(select(ScenarioRunResult.status, func.count()).where(ScenarioRunResult.run_id == run_id)
                           .group_by(ScenarioRunResult.status))
    return {status: int(count) for status, count in rows}
