"""What the workshop's pages and API show: the library, a document, a run with its progress and
the path its cases took on the diagrams. Plain dicts, the same for the JSON API and the pages."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.persistence.processes import versions as process_versions
from app.persistence.audit import scenarios as store
from app.persistence.tables.scenarios import ScenarioDocument, ScenarioRevision, ScenarioRun, ScenarioRunResult
from app.scenarios.workshop.library import LibraryEntry
from app.scenarios.workshop.runs import PURPOSE_LABELS, RUN_STATUS
from app.services.processes.coverage import CoverageReport, coverage_views
from app.services.runtime import Runtime


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def document_view(document: ScenarioDocument, *, last_status: str | None = None,
                  last_run_id: int | None = None) -> dict[str, Any]:
    return {"id": document.id, "name": document.name, "folder": document.folder, "tags": list(document.tags),
            "source": document.source, "read_only": document.read_only, "version": document.current_version,
            "created_by": document.created_by, "created_at": _iso(document.created_at),
            "updated_at": _iso(document.updated_at), "last_status": last_status, "last_run_id": last_run_id}


def library_view(entries: Sequence[LibraryEntry]) -> list[dict[str, Any]]:
    return [document_view(e.document, last_status=e.last_status, last_run_id=e.last_run_id) for e in entries]


def revision_view(revision: ScenarioRevision, *, with_text: bool = False) -> dict[str, Any]:
    view = {"version": revision.version, "author": revision.author, "created_at": _iso(revision.created_at),
            "comment": revision.comment, "content_hash": revision.content_hash}
    return {**view, "text": revision.text} if with_text else view


def result_view(row: ScenarioRunResult) -> dict[str, Any]:
    return {"id": row.id, "position": row.position, "document_id": row.document_id,
            "document_version": row.document_version, "feature": row.feature, "name": row.name, "line": row.line,
            "example": dict(row.example), "status": row.status, "steps": list(row.steps), "path": dict(row.path),
            "message": row.message, "seconds": row.seconds}


def run_view(run: ScenarioRun, rows: Sequence[ScenarioRunResult] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": run.id, "purpose": run.purpose, "purpose_label": PURPOSE_LABELS.get(run.purpose, run.purpose),
        "selector": run.selector, "status": run.status, "status_label": RUN_STATUS.get(run.status, run.status),
        "requested_by": run.requested_by, "created_at": _iso(run.created_at), "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "model_revision_id": run.model_revision_id,
        "versions": {k: v for k, v in (run.versions or {}).items() if k != "draft_xml"},
        "counts": dict(run.counts or {}), "message": run.message,
        "override": None if run.override_reason is None else {
            "reason": run.override_reason, "by": run.overridden_by, "at": _iso(run.overridden_at)}}
    if rows is not None:
        view["results"] = [result_view(r) for r in rows]
        steps = [s for r in rows for s in r.steps]
        view["progress"] = {"scenarios": len(rows),
                            "scenarios_done": sum(r.status in ("passed", "failed", "error") for r in rows),
                            "steps": len(steps), "steps_done": sum(s["status"] in ("passed", "failed") for s in steps)}
    return view


def diagrams_of_run(session: Session, run: ScenarioRun, rows: Sequence[ScenarioRunResult]) -> list[dict[str, Any]]:
    """The diagrams the run's cases went through: each process's XML as the sandbox ran it."""
    wanted: dict[str, dict[str, Any]] = {}
    for row in rows:
        for process_id, path in row.path.items():
            wanted.setdefault(path["content_hash"], {"process_id": process_id, "name": path["name"]})
    draft_xml = (run.versions or {}).get("draft_xml") or {}
    diagrams = []
    for content_hash, info in wanted.items():
        xml = draft_xml.get(content_hash)
        if xml is None:
            version = process_versions.find_by_hash(session, info["process_id"], content_hash)
            xml = version.bpmn_xml if version is not None else None
        diagrams.append({**info, "content_hash": content_hash, "xml": xml})
    return diagrams


def library_coverage(session: Session, runtime: Runtime) -> tuple[ScenarioRun | None, list[Any]]:
    """The path coverage of the latest run of the whole library, per process, for the coverage page."""
    from typing import cast

    from app.services.processes.coverage import CoverageReportDict

    run = store.latest_library_run(session)
    if run is None or not run.coverage:
        return run, []
    report = CoverageReport.from_dict(cast(CoverageReportDict, run.coverage))
    return run, coverage_views(session, runtime, report)
