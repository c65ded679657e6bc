"""JSON API for auditors under ``/api/v1/audit``: search and export the audit trail."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from app.domain.errors import OneSealError
from app.services.audit import trail as audit_trail
from app.web.audit_export import export_response
from app.web.edge import Call, api, bearer_actor, error_response

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit")


@bp.get("/events")
@api()
def events(call: Call) -> tuple[Any, int]:
    page = audit_trail.search(call.session, call.actor, audit_trail.parse_query(request.args))
    return {"items": page.items, "total": page.total, "page": page.query.page,
            "page_size": page.query.page_size, "pages": page.pages}, 200


@bp.get("/events.<any(csv, json):fmt>")
def export(fmt: str) -> Response:
    runtime = current_app.extensions["oneseal"].runtime
    try:
        return export_response(fmt, lambda session: bearer_actor(session, runtime))
    except OneSealError as err:
        return error_response(err)
