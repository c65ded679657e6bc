"""JSON API of the performance figures under ``/api/v1/statistics`` (效能统计): the figures of a
period, the same as an Excel report, and the cases behind any figure."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, request

from app.services.statistics import drilldown, export
from app.services.statistics.figures import Figures, compute_figures
from app.services.statistics.period import Period, parse_period
from app.services.statistics.rollup import catch_up, has_pending
from app.web.edge.api import api, bearer_actor
from app.web.edge.downloads import Download, download
from app.web.edge.request_input import int_param
from app.web.edge.units import Call

bp = Blueprint("statistics_api", __name__, url_prefix="/api/v1")
REPORT_NAME = "效能统计报表"


@bp.get("/statistics")
@api()
def statistics(call: Call) -> tuple[Any, int]:
    now = call.runtime.clock.now()
    period = parse_period(request.args, call.actor, call.runtime.catalogue, now)
    return current_figures(call, period, now), 200


def current_figures(call: Call, period: Period, now: datetime) -> Figures:
    """The figures of ``period``, every roll-up a committed change has moved computed again
    first: in a write unit of its own, after which the request's read starts afresh and sees them."""
    if has_pending(call.session):
        with call.writing() as session:
            catch_up(session, call.runtime.calendar)
        call.session.rollback()  # the read's snapshot predates the refresh: the next one sees it
    return compute_figures(call.session, call.runtime, period, now)


@bp.get("/statistics.xlsx")
@download(actor_from=bearer_actor)
def statistics_xlsx(call: Call) -> Download:
    return report(call)


@bp.get("/statistics/cases")
@api()
def statistics_cases(call: Call) -> tuple[Any, int]:
    period = parse_period(request.args, call.actor, call.runtime.catalogue, call.runtime.clock.now())
    page = int_param("page", 1, what="页码")
    return drilldown.figure_cases(call.session, call.runtime, period, request.args.get("figure"), page), 200


def report(call: Call) -> Download:
    """The Excel report of what the request asks for (the API and the page alike)."""
    now = call.runtime.clock.now()
    period = parse_period(request.args, call.actor, call.runtime.catalogue, now)
    figures = current_figures(call, period, now)
    body = export.to_xlsx(figures, call.runtime.catalogue.bureau_name)
    return Download([body], f"{REPORT_NAME}_{period.first}_{period.last}",
                    f"statistics_{period.first}_{period.last}", "xlsx")
