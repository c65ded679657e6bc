"""The process modeler: pages for designers (and read-only for auditors) around bpmn-js.

Pages: the list of models and the modeler of one model. The page's script calls the same
handlers as ``/api/v1/process-models``, mounted under ``/modeler/api`` with the browser
session's user; state-changing calls must carry the session's CSRF token in ``X-CSRF-Token``.
bpmn-js and its Chinese translation are served from ``node_modules`` (``make install`` runs
``npm ci``) under the fixed URL ``/modeler/vendor/<package>/…``.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from sqlalchemy.orm import Session

from app.config import ROOT
from app.domain.errors import InvalidInput, NotAuthenticated, OneSealError
from app.domain.roles import Role
from app.services.actor import Actor
from app.services.processes import modeler as process_models
from app.services.runtime import Runtime
from app.web import process_models_api
from app.web.browser_session import current_actor
from app.web.edge import STATUS_BY_KIND

bp = Blueprint("modeler", __name__, url_prefix="/modeler", template_folder="templates",
               static_folder="static/modeler", static_url_path="/static")

#: package → the folder of its files that pages may load
VENDOR = {
    "bpmn-js": ROOT / "node_modules" / "bpmn-js" / "dist",
    "bpmn-js-i18n": ROOT / "node_modules" / "bpmn-js-i18n" / "translations",
}
CSRF_HEADER = "X-CSRF-Token"


def session_actor(_db_session: Session, _runtime: Runtime) -> Actor:
    """The browser session's user; a state-changing call must echo the session's CSRF token."""
    actor = current_actor()
    if actor is None:
        raise NotAuthenticated("login_required", "请先登录")
    if request.method not in ("GET", "HEAD"):
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            raise InvalidInput("csrf_invalid", "页面已过期，请刷新后重试（缺少或错误的 CSRF 令牌）")
    return actor


api_bp = Blueprint("api", __name__, url_prefix="/api")
process_models_api.register(api_bp, actor_from=session_actor)
bp.register_blueprint(api_bp)


def _page(load: Callable[[Session, Actor], Any]) -> Any:
    """Run a read for a page as the session's user; a domain error becomes its error page."""
    ext = current_app.extensions["oneseal"]
    db_session = ext.db.session(write=False)
    try:
        actor = session_actor(db_session, ext.runtime)
        return actor, load(db_session, actor)
    except OneSealError as err:
        abort(STATUS_BY_KIND.get(err.kind, 400))
    finally:
        db_session.close()


def _login_first() -> Any:
    return None if current_actor() is not None else redirect(url_for("pages.login", next=request.path))


@bp.get("/")
def index() -> Any:
    if (to_login := _login_first()) is not None:
        return to_login
    actor, models = _page(lambda s, a: process_models.list_models(s, a))
    return render_template("modeler/index.html", models=models, can_edit=actor.role is Role.DESIGNER)


@bp.get("/<int:model_id>")
def edit(model_id: int) -> Any:
    if (to_login := _login_first()) is not None:
        return to_login
    actor, found = _page(lambda s, a: process_models.model_versions(s, a, model_id))
    versions = [revision.version for revision, _ in found.versions]
    wanted = request.args.get("version", type=int)
    version = wanted if wanted in versions else (versions[0] if versions else None)
    return render_template("modeler/edit.html", model=found.model, version=version,
                           can_edit=actor.role is Role.DESIGNER)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Any:
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)
