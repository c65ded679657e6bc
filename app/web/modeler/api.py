"""Process models over HTTP: ``/api/v1/process-models`` (Bearer) and the modeler's own calls.

The handlers are written once and registered twice by :func:`register`: on the JSON API with
the Bearer token's user, and on the modeler page's blueprint with the logged-in user of the
browser session (see :mod:`app.web.modeler.pages`). Four beats each: load-or-404 and
authorize happen in the service call, then serialize.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.domain.errors import InvalidInput
from app.domain.design.findings import Finding, ModelRefused, ModelTooLarge, Severity
from app.persistence.models import ProcessModelRevision, ProcessVersion
from app.services.processes import designer_aids
from app.services.processes import modeler as process_models
from app.web.edge.api import ActorLoader, api, bearer_actor
from app.web.edge.request_input import MAX_ID, int_param, json_body
from app.web.edge.units import Call

bp = Blueprint("process_models_api", __name__, url_prefix="/api/v1")

XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")


def xml_body() -> bytes:
    """The request body as bytes, exactly as sent, if it is XML within the size limit."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.mimetype not in XML_TYPES:
        raise InvalidInput("content_type_not_xml", "请求体应为 BPMN XML（Content-Type: application/xml）")
    try:
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        finding = Finding(Severity.ERROR, "xml_too_large", f"文件过大，上限为 {limit // 1024} KB")
        raise ModelTooLarge(finding.code, finding.message, [finding], limit=limit) from None
    if not data.strip():
        finding = Finding(Severity.ERROR, "bpmn_empty", "请求体为空：请发送 BPMN XML")
        raise ModelRefused(finding.code, finding.message, [finding])
    return data


def _has_errors(findings: list[dict[str, Any]]) -> bool:
    return any(f["severity"] == Severity.ERROR.value for f in findings)


def _person(names: dict[str, str], username: str) -> str:
    """Who did it, by name; the shipped diagrams were stored by the system (系统)."""
    return names.get(username) or ("系统" if username == "system" else username)


def _deployment_view(version: ProcessVersion, names: dict[str, str]) -> dict[str, Any]:
    return {"process_id": version.process_id, "process_version": version.version,
            "deployed_at": version.created_at.isoformat(), "deployed_by": version.author,
            "deployed_by_name": _person(names, version.author), "comment": version.comment}


def _revision_view(revision: ProcessModelRevision, deployed: list[ProcessVersion],
                   names: dict[str, str], active_id: int | None = None) -> dict[str, Any]:
    """``active``: this version was deployed as the process version new cases start on (当前生效)."""
    return {"version": revision.version, "author": revision.author,
            "author_name": _person(names, revision.author), "created_at": revision.created_at.isoformat(),
            "comment": revision.comment, "content_hash": revision.content_hash, "size": revision.size,
            "process_id": revision.process_id, "process_name": revision.process_name,
            "deployable": not _has_errors(revision.findings), "findings": revision.findings,
            "active": any(v.id == active_id for v in deployed),
            "deployments": [{**_deployment_view(v, names), "active": v.id == active_id} for v in deployed]}


def _stored(model: Any, revision: ProcessModelRevision) -> dict[str, Any]:
    return {"id": model.id, "name": model.name, "version": revision.version, "process_id": revision.process_id,
            "deployable": not _has_errors(revision.findings), "findings": revision.findings}


def _version_arg(name: str) -> int:
    if name not in request.args:
        raise InvalidInput("invalid_query", f"请提供查询参数“{name}”（版本号）", field=name)
    return int_param(name, 1, high=MAX_ID, what="版本号")


# --------------------------------------------------------------------------- handlers

def create_model(call: Call) -> tuple[Any, int]:
    model, revision = process_models.create_model(call.session, call.runtime, call.actor,
                                                  name=request.args.get("name"), content=xml_body(),
                                                  comment=request.args.get("comment"))
    return _stored(model, revision), 201


def add_version(call: Call, model_id: int) -> tuple[Any, int]:
    model, revision = process_models.add_version(call.session, call.runtime, call.actor, model_id,
                                                 content=xml_body(), comment=request.args.get("comment"))
    return _stored(model, revision), 201


def validate(call: Call) -> tuple[Any, int]:
    validation = process_models.check_model(call.session, call.runtime, call.actor, xml_body())
    return {"process_id": validation.process_id, "deployable": not validation.errors,
            "findings": [f.to_dict() for f in validation.findings]}, 200


def check_expression(call: Call) -> tuple[Any, int]:
    """One condition or timer value, checked as the designer types it (nothing is stored)."""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body_not_object", "请求体应为 JSON 对象：{\"expression\": \"…\"}")
    return designer_aids.check_expression(call.runtime, call.actor, body.get("expression")).to_dict(), 200


def list_models(call: Call) -> tuple[Any, int]:
    summaries = process_models.list_models(call.session, call.actor)
    return {"models": [{
        "id": s.model.id, "name": s.model.name, "process_id": s.model.process_id,
        "created_at": s.model.created_at.isoformat(), "created_by": s.model.created_by,
        "created_by_name": s.created_by_name,
        "latest_version": s.latest.version if s.latest else None,
        "latest_deployable": not _has_errors(s.latest.findings) if s.latest else False,
        "deployed": _deployment_view(s.deployed, {s.deployed.author: s.deployed_by_name or ""}) if s.deployed else None,
    } for s in summaries]}, 200


def list_versions(call: Call, model_id: int) -> tuple[Any, int]:
    found = process_models.model_versions(call.session, call.actor, model_id)
    return {"id": found.model.id, "name": found.model.name, "process_id": found.model.process_id,
            "versions": [_revision_view(r, d, found.names, found.active.id if found.active else None)
                         for r, d in found.versions]}, 200


def download(call: Call, model_id: int, version: int) -> tuple[Any, int]:
    model, revision = process_models.version_content(call.session, call.actor, model_id, version)
    fallback = f"model-{model.id}-v{version}.bpmn"
    disposition = "attachment" if request.args.get("download") else "inline"
    headers = {"Content-Disposition": f"{disposition}; filename=\"{fallback}\"; "
                                      f"filename*=UTF-8''{quote(f'{model.name}-v{version}.bpmn')}",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache"}
    return Response(revision.content, mimetype="application/xml", headers=headers), 200


def deploy(call: Call, model_id: int, version: int) -> tuple[Any, int]:
    body = json_body()
    if body is None and not request.content_length:
        body = {}
    if not isinstance(body, dict):
        raise InvalidInput("body_not_object", "请求体应为 JSON 对象（可含 comment）")
    done = process_models.deploy_version(call.session, call.runtime, call.actor, model_id, version,
                                         body.get("comment"), body.get("override_reason"))
    return {"id": model_id, "version": done.revision.version, "created": done.created,
            **_deployment_view(done.deployed, {call.actor.username: call.actor.display_name or call.actor.username}), "findings": [f.to_dict() for f in done.findings]}, 200


def _gate_view(call: Call, model_id: int, version: int) -> dict[str, Any]:
    from app.persistence.processes import models as model_store
    from app.persistence.audit import scenarios as scenario_store
    from app.scenarios.workshop.views import run_view
    from app.services.processes.scenario_gate import gate_state

    call.actor.require(*process_models.READERS)
    revision = model_store.get_revision(call.session, model_store.get_model(call.session, model_id).id, version)
    gate = gate_state(call.session, revision.id, revision.process_id)
    run = None if gate.run is None else run_view(gate.run, scenario_store.results(call.session, gate.run.id))
    return {"id": model_id, "version": version, "process_id": revision.process_id, "state": gate.state,
            "scenarios": gate.scenarios, "failing": gate.failing, "run": run}


def start_scenario_check(call: Call, model_id: int, version: int) -> tuple[Any, int]:
    from app.scenarios.workshop.runs import start_gate_check
    from app.web.audit.workshop_api import submit_after_commit

    run = start_gate_check(call.session, call.runtime, call.actor, model_id, version)
    if run.status == "queued":
        submit_after_commit(run.id)
    return _gate_view(call, model_id, version), 202


def scenario_check(call: Call, model_id: int, version: int) -> tuple[Any, int]:
    return _gate_view(call, model_id, version), 200


def diff(call: Call, model_id: int) -> tuple[Any, int]:
    old, new = _version_arg("from"), _version_arg("to")
    changes = process_models.diff_versions(call.session, call.actor, model_id, old, new)
    return {"id": model_id, "from": old, "to": new, **changes.to_dict()}, 200


ROUTES = (
    # rule, endpoint, view, methods, writes
    ("/process-models", "create_model", create_model, "POST", True),
    ("/process-models", "list_models", list_models, "GET", False),
    ("/process-models/validate", "validate", validate, "POST", False),
    ("/process-models/expressions/check", "check_expression", check_expression, "POST", False),
    ("/process-models/<int:model_id>/versions", "add_version", add_version, "POST", True),
    ("/process-models/<int:model_id>/versions", "list_versions", list_versions, "GET", False),
    ("/process-models/<int:model_id>/versions/<int:version>/bpmn", "download", download, "GET", False),
    ("/process-models/<int:model_id>/versions/<int:version>/deploy", "deploy", deploy, "POST", True),
    ("/process-models/<int:model_id>/diff", "diff", diff, "GET", False),
    ("/process-models/<int:model_id>/versions/<int:version>/scenario-check", "start_scenario_check",
     start_scenario_check, "POST", True),
    ("/process-models/<int:model_id>/versions/<int:version>/scenario-check", "scenario_check", scenario_check,
     "GET", False),
)


def register(blueprint: Blueprint, actor_from: ActorLoader = bearer_actor) -> None:
    """Add every route to ``blueprint``; ``actor_from`` says who is calling (default: Bearer)."""
    for rule, endpoint, view, method, writes in ROUTES:
        blueprint.add_url_rule(rule, endpoint, api(write=writes, actor_from=actor_from)(view), methods=[method])


register(bp)
