"""The case page (everything that happened, in one timeline), the diagram for the viewer, and
the viewer's own files, served from ``node_modules`` (installed by ``make install``)."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, send_from_directory

from app.config import ROOT
from app.domain.roles import Role
from app.persistence.models import Case
from app.services import case_pages, case_views
from app.services.inbox import deadline_badge
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
    runtime = ext().runtime
    with unit(write=False) as db_session:
        actor = actor_or_logout(db_session)
        detail = or_abort(lambda: case_views.case_detail(db_session, runtime, actor, case_id))
        case = db_session.get(Case, case_id)
        labels = case_pages.decision_labels(db_session, runtime, case.process_version_id)
        names = case_pages.people(db_session, detail)
        badge = deadline_badge(case, runtime.calendar, runtime.clock.now())
    return render_template(
        "case.html", case=detail, names=names, badge=badge, actor=actor,
        groups=case_pages.opinion_groups(detail, names, runtime.catalogue, labels),
        timeline=case_pages.timeline(detail), diagram=case_pages.diagram_state(detail),
        field_labels=FIELD_LABELS, may_print_receipt=actor.role in (Role.WINDOW, Role.ADMIN))


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
