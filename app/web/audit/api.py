"""JSON API for auditors under ``/api/v1/audit``: search and export the audit trail."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from app.services.audit import trail as audit_trail
from app.web.edge.api import api, bearer_actor
from app.web.edge.downloads import Download, download
from app.web.edge.units import Call

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1/audit")


@bp.get("/events")
@api()
def events(call: Call) -> tuple[Any, int]:
    page = audit_trail.search(call.session, call.runtime, call.actor, audit_trail.parse_query(request.args))
    return {"items": page.items, "total": page.total, "page": page.query.page,
            "page_size": page.query.page_size, "pages": page.pages}, 200


@bp.get("/events.<any(csv, json):fmt>")
@download(actor_from=bearer_actor)
def export(call: Call, fmt: str) -> Download:
    chunks = audit_trail.export_chunks(call.session, call.runtime, call.actor, request.args, fmt)
    return Download(chunks, audit_trail.EXPORT_NAME, audit_trail.EXPORT_ASCII_NAME, fmt)
