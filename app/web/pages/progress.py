"""The public progress page: no login; case number and query code → stage and dates. Failed
lookups are limited per client (behind trusted proxies, the forwarded client) for every process
at once: the failures are counted in the database."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, render_template, request

from app.domain.errors import OneSealError
from app.services.reading.progress import lookup_progress
from app.web.edge.client_address import client_address
from app.web.edge.pages import page
from app.web.edge.units import Call, ext
from app.web.pages.common import bp
from app.web.edge.rate_limit import DatabaseFailureLimiter, FailureLimiter

FAILURES_PER_CLIENT = 10
FAILURE_WINDOW = timedelta(minutes=15)


def _limiter() -> FailureLimiter:
    limiter = current_app.extensions.get("oneseal_progress_limiter")
    if limiter is None:
        limiter = current_app.extensions["oneseal_progress_limiter"] = DatabaseFailureLimiter(
            ext().db, ext().runtime.clock, "progress", FAILURES_PER_CLIENT, FAILURE_WINDOW)
    return limiter


@bp.route("/progress", methods=["GET", "POST"])
@page(signed_in=False)
def progress(call: Call) -> Any:
    if request.method == "GET":
        return render_template("progress.html", result=None, errors={}, form={})
    client = client_address()
    limiter = _limiter()
    if limiter.blocked(client):
        return render_template("progress.html", result=None, form=request.form,
                               errors={"_form": "查询失败次数过多，请 15 分钟后再试"}), 429
    try:
        result = lookup_progress(call.session, call.runtime, request.form.get("number"), request.form.get("code"))
    except OneSealError as err:
        limiter.fail(client)
        status = 404 if err.kind == "not_found" else 400
        return render_template("progress.html", result=None, form=request.form,
                               errors={err.details.get("field") or "_form": err.message}), status
    return render_template("progress.html", result=result, errors={}, form={})
