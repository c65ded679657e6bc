"""The public progress page: no login; case number and query code → stage and dates."""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from app.domain.errors import OneSealError
from app.services.reading.progress import lookup_progress
from app.web.pages.common import bp, ext, unit
from app.web.rate_limit import FailureLimiter

FAILURES_PER_CLIENT = 10
FAILURE_WINDOW_SECONDS = 15 * 60


def _limiter() -> FailureLimiter:
    return current_app.extensions.setdefault(
        "oneseal_progress_limiter", FailureLimiter(FAILURES_PER_CLIENT, FAILURE_WINDOW_SECONDS))


@bp.route("/progress", methods=["GET", "POST"])
def progress() -> Any:
    if request.method == "GET":
        return render_template("progress.html", result=None, errors={}, form={})
    client = request.remote_addr or "unknown"
    limiter = _limiter()
    if limiter.blocked(client):
        return render_template("progress.html", result=None, form=request.form,
                               errors={"_form": "查询失败次数过多，请 15 分钟后再试"}), 429
    try:
        with unit(write=False) as db_session:
            result = lookup_progress(db_session, ext().runtime, request.form.get("number"),
                                     request.form.get("code"))
    except OneSealError as err:
        limiter.fail(client)
        status = 404 if err.kind == "not_found" else 400
        return render_template("progress.html", result=None, form=request.form,
                               errors={err.details.get("field") or "_form": err.message}), status
    return render_template("progress.html", result=result, errors={}, form={})
