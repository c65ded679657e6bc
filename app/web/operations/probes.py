"""Probes for load balancers, without sign-in: ``/api/v1/health`` (the process answers; touches
nothing) and ``/api/v1/ready`` (the database is reachable and at the newest migration, the broker
answers when one is configured): 200 when ready, else 503 with a machine code and a Chinese message."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from app.services.health.readiness import check_readiness
from app.web.edge.responses import json_response

bp = Blueprint("probes", __name__, url_prefix="/api/v1")

_ALIVE = b'{"status": "ok"}'


@bp.get("/health")
def health() -> Any:
    return current_app.response_class(_ALIVE, mimetype="application/json")


@bp.get("/ready")
def ready() -> Any:
    ext: Any = current_app.extensions["oneseal"]
    with ext.db.session(write=False) as session:
        result = check_readiness(session, ext.runtime.settings.broker_url)
    if result.ready:
        return json_response({"status": "ready", "checks": result.checks})
    return json_response({"code": result.code, "message": result.message, "details": {"checks": result.checks}}, 503)
