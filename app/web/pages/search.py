"""办件综合查询: one page for the window, leaders, auditors and administrators (and any
department's staff, within what they may see) to find cases, page through them and export them
to Excel."""
from __future__ import annotations

from typing import Any

from flask import render_template, request

from app.domain.cases.status import CaseStatus
from app.domain.errors import InvalidInput
from app.domain.roles import Role
from app.services.reading import case_search
from app.services.reading.case_search_export import EXPORT_ASCII_NAME, EXPORT_NAME, workbook_bytes
from app.web.edge.api import browser_actor
from app.web.edge.downloads import Download, download
from app.web.edge.pages import page
from app.web.edge.request_input import int_param
from app.web.edge.units import Call
from app.web.pages.common import bp

#: everyone but designers, who read process data only
SEARCH_ROLES = tuple(role for role in Role if role not in (Role.DESIGNER, Role.SUPERVISOR))


@bp.get("/cases/search")
@page(roles=SEARCH_ROLES)
def search(call: Call) -> Any:
    fields: dict[str, str] = {}
    status = 200
    try:
        criteria = case_search.parse_search(request.args, call.runtime, page=int_param("page", 1))
    except InvalidInput as err:
        criteria, fields, status = case_search.CaseSearch(), err.details.get("fields", {}), 400
        fields = fields or {str(err.details.get("field", "q")): err.message}
    found = case_search.search(call.session, call.runtime, call.actor, criteria)
    catalogue = call.runtime.catalogue
    return render_template(
        "search.html", found=found, criteria=criteria, args=request.args if fields else criteria.as_args(),
        fields=fields, params=criteria.as_args(), statuses=[(s.value, s.label) for s in CaseStatus],
        departments=sorted(((code, d.name) for code, d in catalogue.departments.items()), key=lambda d: d[0]),
        items=sorted(((code, i.name) for code, i in catalogue.items.items()), key=lambda i: i[0]),
        bundles=sorted(((code, b.name) for code, b in catalogue.bundles.items()), key=lambda b: b[0]),
        max_export=case_search.MAX_EXPORT), status


@bp.get("/cases/search/export.xlsx")
@download(actor_from=browser_actor)
def export(call: Call) -> Download:
    call.actor.require(*SEARCH_ROLES)
    criteria = case_search.parse_search(request.args, call.runtime)
    return Download([workbook_bytes(call.session, call.runtime, call.actor, criteria)],
                    EXPORT_NAME, EXPORT_ASCII_NAME, "xlsx")
