"""Pages for auditors under ``/audit``: the trail, its exports and chain check, path coverage,
the latest scenario report and the step catalogue.

Every page is a GET and changes nothing; auditors are read-only everywhere (the edge refuses
any state-changing request they make, see ``app/web/edge/browser_session.py``).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request, send_from_directory
from markupsafe import Markup, escape

from app.domain.timing.clock import BUREAU_ZONE
from app.domain.errors import InvalidInput
from app.scenarios.reports import report as scenario_files
from app.persistence.audit import scenarios as scenario_store
from app.scenarios.reports.run_report import coverage_of, summary_of
from app.scenarios.workshop.views import library_coverage, run_view
from app.services.audit import trail as audit_trail
from app.services.audit.readable import raw_json
from app.services.processes import coverage as path_coverage
from app.web.edge.api import browser_actor
from app.web.edge.browser_session import current_actor
from app.web.edge.downloads import Download, download
from app.web.edge.pages import page
from app.web.edge.units import Call

bp = Blueprint("audit_pages", __name__, url_prefix="/audit", template_folder="../templates",
               static_folder="../static/audit", static_url_path="/static")

#: files of the latest scenario run that auditors may open or download
REPORT_FILES = (scenario_files.REPORT_HTML, scenario_files.JUNIT_XML, scenario_files.RESULTS_JSON,
                scenario_files.COVERAGE_JSON, scenario_files.STEPS_HTML, scenario_files.STEPS_MD)
AUDIT_ROLES = audit_trail.AUDIT_ROLES


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    actor = current_actor()
    return {"may_audit": actor is not None and actor.role in AUDIT_ROLES}


@bp.app_template_filter("raw_json")
def raw_json_filter(value: dict[str, Any]) -> str:
    return raw_json(value)  # Chinese as it is; Jinja escapes it for HTML


_QUOTED_CODE = re.compile(r"“([A-Za-z0-9_.\-]+)”")


@bp.app_template_filter("codes_marked")
def codes_marked(text: str | None) -> Markup:
    """A scenario's sentence with the machine values it quotes (usernames such as “window”) set as code."""
    return Markup(_QUOTED_CODE.sub(r"“<code>\1</code>”", str(escape(text or ""))))


@bp.app_template_filter("beijing_time")
def beijing_time(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(BUREAU_ZONE).isoformat(sep=" ", timespec="seconds")[:19]


@bp.get("/")
@page(roles=AUDIT_ROLES)
def trail(call: Call) -> Any:
    error, status = None, 200
    try:
        query = audit_trail.parse_query(request.args)
    except InvalidInput as err:
        query, error, status = audit_trail.TrailQuery(), err.message, 400
    found = audit_trail.search(call.session, call.runtime, call.actor, query)
    return render_template("audit/trail.html", page=found, query=query, error=error,
                           actions=audit_trail.ACTION_LABELS, params=query.as_params()), status


@bp.get("/events.<any(csv, json):fmt>")
@download(actor_from=browser_actor)
def export(call: Call, fmt: str) -> Download:
    chunks = audit_trail.export_chunks(call.session, call.runtime, call.actor, request.args, fmt)
    return Download(chunks, audit_trail.EXPORT_NAME, audit_trail.EXPORT_ASCII_NAME, fmt)


@bp.get("/verify")
@page(roles=AUDIT_ROLES)
def verify(call: Call) -> Any:
    checked, broken = audit_trail.verify(call.session, call.actor)
    return render_template("audit/verify.html", checked=checked, broken=broken)


@bp.get("/coverage")
@page(roles=AUDIT_ROLES)
def coverage(call: Call) -> Any:
    """The latest run of the whole scenario library; without one, the last ``oneseal scenarios run``."""
    run, views = library_coverage(call.session, call.runtime)
    if run is not None and views:
        return render_template("audit/coverage.html", views=views, summary=None, run=run_view(run))
    reports_dir = call.runtime.settings.reports_dir
    report = path_coverage.read_report(reports_dir / scenario_files.COVERAGE_JSON)
    views = path_coverage.coverage_views(call.session, call.runtime, report) if report else []
    summary = scenario_files.read_summary(reports_dir)
    return render_template("audit/coverage.html", views=views, summary=summary, run=None)


@bp.get("/scenarios")
@page(roles=AUDIT_ROLES)
def scenarios(call: Call) -> Any:
    """The latest run of the whole library (with its report), else the last command-line run."""
    run, _ = library_coverage(call.session, call.runtime)
    if run is not None:
        return render_template("audit/scenarios.html", summary=summary_of(run, scenario_store.results(call.session, run.id)),
                               run=run_view(run))
    summary = scenario_files.read_summary(call.runtime.settings.reports_dir)
    return render_template("audit/scenarios.html", summary=summary, run=None)


@bp.get("/scenarios/report")
@page(roles=AUDIT_ROLES)
def scenario_report(call: Call) -> Any:
    """The whole report of the latest run (every scenario with its steps, the path coverage) in
    the site's pages; the standalone HTML file stays a download."""
    run, _ = library_coverage(call.session, call.runtime)
    if run is not None:
        summary = summary_of(run, scenario_store.results(call.session, run.id))
        return render_template("audit/report.html", summary=summary, coverage=coverage_of(run), run=run_view(run))
    reports_dir = call.runtime.settings.reports_dir
    written = scenario_files.read_summary(reports_dir)
    if written is None:
        abort(404)
    coverage = path_coverage.read_report(reports_dir / scenario_files.COVERAGE_JSON) or path_coverage.CoverageReport()
    return render_template("audit/report.html", summary=written, coverage=coverage, run=None)


@bp.get("/reports/<name>")
@page(roles=AUDIT_ROLES)
def report_file(call: Call, name: str) -> Any:
    if name not in REPORT_FILES:
        abort(404)
    return send_from_directory(call.runtime.settings.reports_dir, name, max_age=0)
