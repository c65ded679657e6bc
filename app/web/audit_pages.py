"""Pages for auditors under ``/audit``: the trail, its exports and chain check, path coverage,
the latest scenario report and the step catalogue. Also the read-only guard for auditors.

Every page is a GET and changes nothing. The guard refuses (403) any state-changing form
an auditor submits anywhere in the site, before the page's own handling runs; the JSON API
has the same rule at its edge (``Actor.require_write``).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy.orm import Session

from app.domain.clock import BUREAU_ZONE
from app.domain.errors import InvalidInput, OneSealError
from app.scenarios import report as scenario_files
from app.services.actor import Actor
from app.services.audit import trail as audit_trail
from app.services.processes import coverage as path_coverage
from app.web.audit_export import export_response
from app.web.browser_session import current_actor
from app.web.edge import STATUS_BY_KIND

bp = Blueprint("audit_pages", __name__, url_prefix="/audit", template_folder="templates",
               static_folder="static/audit", static_url_path="/static")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: form endpoints an auditor may still post to: signing in and out, and changing one's own
#: password, touch no case and no bureau data
SESSION_ENDPOINTS = ("login", "logout", "change_password")
#: files of the latest scenario run that auditors may open or download
REPORT_FILES = (scenario_files.REPORT_HTML, scenario_files.JUNIT_XML, scenario_files.RESULTS_JSON,
                scenario_files.COVERAGE_JSON, scenario_files.STEPS_HTML, scenario_files.STEPS_MD)


def _ext() -> Any:
    return current_app.extensions["oneseal"]


@bp.before_app_request
def _auditors_are_read_only() -> None:
    """Any state-changing page request by an auditor → 403, whatever page it targets."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return  # the API enforces this at its edge, with JSON errors
    if (request.endpoint or "").rsplit(".", 1)[-1] in SESSION_ENDPOINTS:
        return
    actor = current_actor()
    if actor is not None and actor.read_only:
        abort(403)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    actor = current_actor()
    return {"may_audit": actor is not None and actor.role in audit_trail.AUDIT_ROLES}


@bp.app_template_filter("beijing_time")
def beijing_time(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(BUREAU_ZONE).isoformat(sep=" ", timespec="seconds")[:19]


@contextmanager
def _reading() -> Iterator[tuple[Session, Actor]]:
    """A read-only unit with the signed-in auditor; 403 for anyone else."""
    db_session = _ext().db.session(write=False)
    try:
        actor = current_actor()
        if actor is None:
            abort(401)
        if actor.role not in audit_trail.AUDIT_ROLES:
            abort(403)
        yield db_session, actor
    except OneSealError as err:
        abort(STATUS_BY_KIND.get(err.kind, 400))
    finally:
        db_session.close()


@bp.before_request
def _signed_in() -> Any:
    if current_actor() is None:
        return redirect(url_for("pages.login", next=request.path))
    return None


@bp.get("/")
def trail() -> Any:
    error, status = None, 200
    with _reading() as (db_session, actor):
        try:
            query = audit_trail.parse_query(request.args)
        except InvalidInput as err:
            query, error, status = audit_trail.TrailQuery(), err.message, 400
        page = audit_trail.search(db_session, actor, query)
    return render_template("audit/trail.html", page=page, query=query, error=error,
                           actions=audit_trail.ACTION_LABELS, params=query.as_params()), status


@bp.get("/events.<any(csv, json):fmt>")
def export(fmt: str) -> Response:
    def resolve(_db_session: Session) -> Actor:
        actor = current_actor()
        if actor is None:
            abort(401)
        return actor

    try:
        return export_response(fmt, resolve)
    except OneSealError as err:
        abort(STATUS_BY_KIND.get(err.kind, 400))


@bp.get("/verify")
def verify() -> Any:
    with _reading() as (db_session, actor):
        checked, broken = audit_trail.verify(db_session, actor)
    return render_template("audit/verify.html", checked=checked, broken=broken)


@bp.get("/coverage")
def coverage() -> Any:
    reports_dir = _ext().runtime.settings.reports_dir
    report = path_coverage.read_report(reports_dir / scenario_files.COVERAGE_JSON)
    with _reading() as (db_session, _actor):
        views = path_coverage.coverage_views(db_session, _ext().runtime, report) if report else []
    summary = scenario_files.read_summary(reports_dir)
    return render_template("audit/coverage.html", views=views, summary=summary)


@bp.get("/scenarios")
def scenarios() -> Any:
    with _reading():
        summary = scenario_files.read_summary(_ext().runtime.settings.reports_dir)
    return render_template("audit/scenarios.html", summary=summary)


@bp.get("/reports/<name>")
def report_file(name: str) -> Any:
    if name not in REPORT_FILES:
        abort(404)
    with _reading():  # authorizes; the file itself is read outside the database unit
        pass
    return send_from_directory(_ext().runtime.settings.reports_dir, name, max_age=0)
