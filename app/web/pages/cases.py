"""The case page (everything that happened, in one timeline), the diagram for the viewer (the
case's process, or with ``?process=`` one it calls), and the viewer's own files, served from
``node_modules`` (installed by ``make install``)."""
from __future__ import annotations

from typing import Any

from flask import render_template, request, send_from_directory

from app.config import ROOT
from app.domain.roles import Role
from app.services.reading import case_pages
from app.web.edge.pages import page
from app.web.edge.responses import json_response
from app.web.edge.units import Call
from app.web.pages.common import FIELD_LABELS, bp

#: the bpmn-js package, installed by ``make install`` (npm ci) and never committed; only its
#: ``dist/`` folder (viewer scripts, stylesheets, font) is served, at /vendor/bpmn-js/dist/…
BPMN_JS = ROOT / "node_modules" / "bpmn-js"
VENDOR_MAX_AGE = 7 * 24 * 3600


@bp.get("/cases/<int:case_id>")
@page()
def case_page(call: Call, case_id: int) -> Any:
    view = case_pages.case_page_view(call.session, call.runtime, call.actor, case_id)
    return render_template("case.html", **view, actor=call.actor, field_labels=FIELD_LABELS,
                           at_window=call.actor.role in (Role.WINDOW, Role.ADMIN))


@bp.get("/cases/<int:case_id>/diagram.json")
@page()
def case_diagram(call: Call, case_id: int) -> Any:
    source = case_pages.diagram_source(call.session, call.runtime, call.actor, case_id,
                                       request.args.get("process"))
    response = json_response(source)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/vendor/bpmn-js/dist/<path:filename>")
def bpmn_js_asset(filename: str) -> Any:
    return send_from_directory(BPMN_JS / "dist", filename, max_age=VENDOR_MAX_AGE)
