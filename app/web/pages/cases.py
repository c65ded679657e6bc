"""The case page (everything that happened, in one timeline), the diagram for the viewer, and
the viewer's own files, served from ``node_modules`` (installed by ``make install``)."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, send_from_directory

from app.config import ROOT
from app.domain.roles import Role
from app.services import case_pages
from app.web.edge import json_response
from app.web.pages.common import (
    FIELD_LABELS,
    actor_or_logout,
    bp,
    ext,
    login_required,
    or_abort,
    unit,
)

#: the bpmn-js distribution files (viewer script and its stylesheets), never committed
BPMN_JS_DIST = ROOT / "node_modules" / "bpmn-js" / "dist"
VENDOR_MAX_AGE = 7 * 24 * 3600


@bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    with unit(write=False) as db_session:
        actor = actor_or_logout(db_session)
        view = or_abort(lambda: case_pages.case_page_view(db_session, ext().runtime, actor, case_id))
    return render_template("case.html", **view, actor=actor, field_labels=FIELD_LABELS,
                           at_window=actor.role in (Role.WINDOW, Role.ADMIN))


@bp.get("/cases/<int:case_id>/diagram.json")
@login_required
def case_diagram(case_id: int) -> Any:
    with unit(write=False) as db_session:
        actor = actor_or_logout(db_session)
        source = or_abort(lambda: case_pages.diagram_source(db_session, ext().runtime, actor, case_id))
    response = json_response(source)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js_asset(filename: str) -> Any:
    if not BPMN_JS_DIST.is_dir():
        abort(404)
    return send_from_directory(BPMN_JS_DIST, filename, max_age=VENDOR_MAX_AGE)
