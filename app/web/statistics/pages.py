"""The statistics page (效能统计, ``/statistics``): the figures of a period with charts drawn by
Apache ECharts (from npm, served from ``node_modules`` like bpmn-js), each number a link to the
cases behind it, and the Excel report."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template, request, send_from_directory

from app.config import ROOT
from app.domain.errors import InvalidInput
from app.services.statistics import drilldown
from app.services.statistics.export import SUMMARY, period_line
from app.services.statistics.period import parse_period
from app.services.statistics.supervision import recent_alerts
from app.web.edge.api import browser_actor
from app.web.edge.downloads import Download, download
from app.web.edge.pages import page
from app.web.edge.request_input import int_param
from app.web.edge.units import Call
from app.web.statistics.api import current_figures, report

bp = Blueprint("statistics_pages", __name__, template_folder="../templates")

#: the ECharts package, installed by ``make install`` (npm ci) and never committed; only its
#: ``dist/`` folder is served, at /vendor/echarts/dist/…
ECHARTS = ROOT / "node_modules" / "echarts"
VENDOR_MAX_AGE = 7 * 24 * 3600


@bp.get("/statistics")
@page()
def statistics(call: Call) -> Any:
    now = call.runtime.clock.now()
    catalogue = call.runtime.catalogue
    error: str | None = None
    status = 200
    try:
        period = parse_period(request.args, call.actor, catalogue, now)
    except InvalidInput as err:
        period = parse_period({}, call.actor, catalogue, now)
        error, status = err.message, 400
    figures = current_figures(call, period, now)
    alerts = recent_alerts(call.session, call.runtime, period.department, period.last - timedelta(days=30))
    departments = [(code, d.name) for code, d in catalogue.departments.items() if code != "window"]
    items = sorted(((i.code, i.name) for i in catalogue.items.values()), key=lambda pair: pair[0])
    return render_template("statistics.html", figures=figures, period=period, params=period.as_params(),
                           error=error, summary=SUMMARY, alerts=alerts, departments=departments, items=items,
                           heading=period_line(figures, catalogue.bureau_name),
                           fixed_department=call.actor.role.value in ("reviewer", "inspector"),
                           section="statistics"), status


@bp.get("/statistics/cases")
@page()
def statistics_cases(call: Call) -> Any:
    period = parse_period(request.args, call.actor, call.runtime.catalogue, call.runtime.clock.now())
    found = drilldown.figure_cases(call.session, call.runtime, period, request.args.get("figure"),
                                   int_param("page", 1, what="页码"))
    return render_template("statistics_cases.html", found=found, params=period.as_params(),
                           section="statistics")


@bp.get("/statistics.xlsx")
@download(actor_from=browser_actor)
def statistics_xlsx(call: Call) -> Download:
    return report(call)


@bp.get("/vendor/echarts/dist/<path:filename>")
def echarts_asset(filename: str) -> Any:
    return send_from_directory(ECHARTS / "dist", filename, max_age=VENDOR_MAX_AGE)
