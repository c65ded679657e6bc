"""The process modeler: pages for designers (and read-only for auditors) around bpmn-js.

Pages: the list of models and the modeler of one model. The page's script calls the same
handlers as ``/api/v1/process-models``, mounted under ``/modeler/api`` with the browser
session's user; state-changing calls carry the session's CSRF token in ``X-CSRF-Token`` (checked
by the edge for every browser request). bpmn-js and its Chinese translation are served from
``node_modules`` (``make install`` runs ``npm ci``) under the fixed URL ``/modeler/vendor/<package>/…``;
so is the modeler's bundle (bpmn-js, the properties panel and bpmnlint with our own provider,
rules and moddle file from ``app/web/modeler_src``), which ``npm ci`` builds with esbuild.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, send_from_directory

from app.config import ROOT
from app.domain.roles import Role
from app.services.processes import designer_aids
from app.services.processes import modeler as process_models
from app.web.modeler import api as process_models_api
from app.web.edge.api import browser_actor
from app.web.edge.pages import page
from app.web.edge.units import Call

bp = Blueprint("modeler", __name__, url_prefix="/modeler", template_folder="../templates",
               static_folder="../static/modeler", static_url_path="/static")

#: package → the folder of its files that pages may load
VENDOR = {
    "bpmn-js": ROOT / "node_modules" / "bpmn-js" / "dist",
    "bpmn-js-i18n": ROOT / "node_modules" / "bpmn-js-i18n" / "translations",
    "oneseal-modeler": ROOT / "node_modules" / ".oneseal",
    "properties-panel": ROOT / "node_modules" / "@bpmn-io" / "properties-panel" / "dist" / "assets",
    "bpmnlint": ROOT / "node_modules" / "bpmn-js-bpmnlint" / "dist" / "assets" / "css",
}


api_bp = Blueprint("api", __name__, url_prefix="/api")
process_models_api.register(api_bp, actor_from=browser_actor)
bp.register_blueprint(api_bp)


@bp.get("/")
@page()
def index(call: Call) -> Any:
    models = process_models.list_models(call.session, call.actor)
    return render_template("modeler/index.html", models=models, can_edit=call.actor.role is Role.DESIGNER)


@bp.get("/<int:model_id>")
@page()
def edit(call: Call, model_id: int) -> Any:
    found = process_models.model_versions(call.session, call.actor, model_id)
    versions = [revision.version for revision, _ in found.versions]
    wanted = request.args.get("version", type=int)
    version = wanted if wanted in versions else (versions[0] if versions else None)
    return render_template("modeler/edit.html", model=found.model, version=version,
                           can_edit=call.actor.role is Role.DESIGNER,
                           vocabulary=designer_aids.vocabulary(call.session, call.actor))


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Any:
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)
