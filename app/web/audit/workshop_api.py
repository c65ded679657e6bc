"""The auditors' scenario workshop over HTTP: ``/api/v1/scenarios``, ``/api/v1/scenario-runs``.

Written once and registered twice (as the process models are): on the JSON API with the Bearer
token's user, and under ``/audit/workshop/api`` with the browser session's user for the editor
and run pages. Saving scenarios and starting runs are writes to the auditors' own workshop
(``@api(workspace=True)``): auditors stay read-only on everything else. A started run is handed
to the job queue only after the request's unit of work has committed it.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, after_this_request, current_app, request

from app.domain.errors import InvalidInput, NotFound
from app.persistence.processes import models as model_store
from app.scenarios.workshop import library
from app.scenarios.workshop import runs
from app.scenarios.language.checking import check_text
from app.scenarios.language.completion import editor_catalogue
from app.scenarios.workshop.jobs import run_queue
from app.scenarios.language.known import known_names
from app.scenarios.reports.run_report import html_report, junit_xml
from app.scenarios.workshop.views import document_view, library_view, revision_view, run_view
from app.web.edge.api import ActorLoader, api, bearer_actor, json_body
from app.web.edge.units import Call, ext

bp = Blueprint("workshop_api", __name__, url_prefix="/api/v1")


def submit_after_commit(run_id: int) -> None:
    """Queue the run once the response (and so the commit) is done; a rolled-back run is never found."""
    def submit(response: Response) -> Response:
        if response.status_code < 300:
            queue = run_queue(current_app.extensions, ext().db, ext().runtime)
            queue.resume()
            queue.submit(run_id)
        return response
    after_this_request(submit)


def _draft_xml(call: Call, body: dict[str, Any]) -> list[str]:
    model_id, version = body.get("model_id"), body.get("version")
    if model_id is None and version is None:
        return []
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (model_id, version)):
        raise InvalidInput("draft_invalid", "model_id 与 version 应同时给出，为正整数")
    revision = model_store.get_revision(call.session, model_id, version, with_content=True)  # type: ignore[arg-type]
    return [revision.content.decode("utf-8", "replace")]


def _positive(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 2**31 - 1:
        raise InvalidInput("invalid_field", f"{name} 应为正整数", field=name)
    return value


# --------------------------------------------------------------------------- handlers

def steps(call: Call) -> tuple[Any, int]:
    call.actor.require(*library.READERS)
    return editor_catalogue(known_names(call.session, call.runtime)), 200


def check(call: Call) -> tuple[Any, int]:
    call.actor.require(*library.READERS)
    body = json_body()
    text = library.clean_text(body.get("text"))
    result = check_text(text, known_names(call.session, call.runtime, _draft_xml(call, body)))
    scenarios = [{"name": s.name, "line": s.line, "steps": len(s.steps), "example": dict(s.example)}
                 for s in result.feature.scenarios]
    return {"ok": result.ok, "feature": result.feature.name, "tags": list(result.feature.tags),
            "problems": [p.to_dict() for p in result.problems], "scenarios": scenarios}, 200


def list_scenarios(call: Call) -> tuple[Any, int]:
    tag = request.args.get("tag")
    entries = library.list_library(call.session, call.actor, tag=tag[:60] if tag else None)
    return {"scenarios": library_view(entries), "tags": library.all_tags(call.session)}, 200


def create_scenario(call: Call) -> tuple[Any, int]:
    body = json_body()
    document, revision = library.create_document(
        call.session, call.runtime, call.actor, name=body.get("name"), folder=body.get("folder"),
        tags=body.get("tags"), text=body.get("text"), comment=body.get("comment"))
    return {**document_view(document), "revision": revision_view(revision)}, 201


def get_scenario(call: Call, scenario_id: int) -> tuple[Any, int]:
    document, revisions = library.document_detail(call.session, call.actor, scenario_id)
    current = next(r for r in revisions if r.version == document.current_version)
    return {**document_view(document), "text": current.text,
            "versions": [revision_view(r) for r in revisions]}, 200


def save_scenario(call: Call, scenario_id: int) -> tuple[Any, int]:
    body = json_body()
    document, revision = library.save_version(
        call.session, call.runtime, call.actor, scenario_id, text=body.get("text"),
        base_version=body.get("base_version"), name=body.get("name"), folder=body.get("folder"),
        tags=body.get("tags"), comment=body.get("comment"))
    return {**document_view(document), "revision": revision_view(revision)}, 201


def get_version(call: Call, scenario_id: int, version: int) -> tuple[Any, int]:
    document, revisions = library.document_detail(call.session, call.actor, scenario_id)
    found = next((r for r in revisions if r.version == version), None)
    if found is None:
        raise NotFound("scenario_version_not_found", f"场景“{document.name}”没有第 {version} 版")
    return {"id": document.id, "name": document.name, **revision_view(found, with_text=True)}, 200


def import_baseline(call: Call) -> tuple[Any, int]:
    return {"imported": library.import_baseline(call.session, call.runtime, call.actor)}, 200


def start_run(call: Call) -> tuple[Any, int]:
    body = json_body()
    everything = body.get("all", False)
    if not isinstance(everything, bool):
        raise InvalidInput("invalid_field", "all 应为 true 或 false", field="all")
    model_id, version = _positive(body, "model_id"), _positive(body, "version")
    if (model_id is None) != (version is None):
        raise InvalidInput("draft_invalid", "model_id 与 version 应同时给出")
    run = runs.start_run(call.session, call.runtime, call.actor, scenario_ids=body.get("scenario_ids"),
                         tag=body.get("tag"), everything=everything, text=body.get("text"),
                         model_id=model_id, version=version)
    submit_after_commit(run.id)
    return run_view(run), 202


def list_runs(call: Call) -> tuple[Any, int]:
    return {"runs": [run_view(r) for r in runs.list_runs(call.session, call.actor)]}, 200


def get_run(call: Call, run_id: int) -> tuple[Any, int]:
    run, rows = runs.get_run(call.session, call.actor, run_id)
    return run_view(run, rows), 200


def _file(content: str, mimetype: str, name: str) -> Response:
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache"})


def run_report(call: Call, run_id: int) -> tuple[Any, int]:
    run, rows = runs.get_run(call.session, call.actor, run_id)
    return _file(html_report(run, rows), "text/html", f"scenario-run-{run.id}.html"), 200


def run_junit(call: Call, run_id: int) -> tuple[Any, int]:
    run, rows = runs.get_run(call.session, call.actor, run_id)
    return _file(junit_xml(run, rows), "application/xml", f"scenario-run-{run.id}-junit.xml"), 200


ROUTES = (
    # rule, endpoint, view, method, writes
    ("/scenarios/steps", "scenario_steps", steps, "GET", False),
    ("/scenarios/check", "check_scenario", check, "POST", False),
    ("/scenarios", "list_scenarios", list_scenarios, "GET", False),
    ("/scenarios", "create_scenario", create_scenario, "POST", True),
    ("/scenarios/baseline", "import_baseline", import_baseline, "POST", True),
    ("/scenarios/<int:scenario_id>", "get_scenario", get_scenario, "GET", False),
    ("/scenarios/<int:scenario_id>/versions", "save_scenario", save_scenario, "POST", True),
    ("/scenarios/<int:scenario_id>/versions/<int:version>", "get_scenario_version", get_version, "GET", False),
    ("/scenario-runs", "start_run", start_run, "POST", True),
    ("/scenario-runs", "list_runs", list_runs, "GET", False),
    ("/scenario-runs/<int:run_id>", "get_run", get_run, "GET", False),
    ("/scenario-runs/<int:run_id>/report.html", "run_report", run_report, "GET", False),
    ("/scenario-runs/<int:run_id>/junit.xml", "run_junit", run_junit, "GET", False),
)


def register(blueprint: Blueprint, actor_from: ActorLoader = bearer_actor) -> None:
    for rule, endpoint, view, method, writes in ROUTES:
        # every route is the auditors' own workshop; who may use each is the service's to say
        blueprint.add_url_rule(rule, endpoint, api(write=writes, actor_from=actor_from, workspace=True)(view),
                               methods=[method])


register(bp)
