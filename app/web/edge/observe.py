"""Around every request: its id, its timing, its metrics and its log line.

The request id is the ``X-Request-Id`` a trusted proxy sent (``ONESEAL_TRUSTED_PROXIES``; a
well-formed one: letters, digits and ``-_.:``, 8–64 characters), else a new one. It is
answered in ``X-Request-Id``, written in every audit event of the request
(``audit_events.request_id``) and in every log line. With ``ONESEAL_LOG_FORMAT=json`` each
request ends with one line on the ``oneseal.access`` logger: method, endpoint (the route's
name, never the URL: a query string may hold an applicant's name), status, duration, user.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, request

from app.observability import metrics
from app.observability.context import bind_request_id, new_request_id, sane_request_id, unbind
from app.observability.logs import ACCESS_LOGGER, FIELDS
from app.web.edge.client_address import trusted_proxies

HEADER = "X-Request-Id"
access_log = logging.getLogger(ACCESS_LOGGER)


def init_app(app: Flask, log_format: str) -> None:
    """Installed first, so that even a request the edge refuses has an id, a count and a line."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)  # after-request functions run last-registered first: this one last
    app.teardown_request(_end)
    app.extensions["oneseal_access_log"] = log_format == "json"


def _start() -> None:
    g.oneseal_started = time.perf_counter()
    incoming = None
    if trusted_proxies().is_proxy(request.remote_addr or ""):
        incoming = sane_request_id(request.headers.get(HEADER))
    g.oneseal_request_id = incoming or new_request_id()
    g.oneseal_request_token = bind_request_id(g.oneseal_request_id)


def _user() -> str | None:
    actor: Any = g.get("oneseal_log_user") or g.get("oneseal_actor")
    return getattr(actor, "username", None)


def _finish(response: Response) -> Response:
    started = g.get("oneseal_started")
    if started is None:  # before_request did not run (an error before it): nothing to report
        return response
    seconds = time.perf_counter() - started
    endpoint = request.url_rule.endpoint if request.url_rule is not None else None
    metrics.request_finished(endpoint, request.method, response.status_code, seconds)
    response.headers[HEADER] = g.oneseal_request_id
    if current_app.extensions.get("oneseal_access_log"):
        access_log.info("request", extra={"request_id": g.oneseal_request_id, FIELDS: {
            "method": request.method, "endpoint": endpoint or "unmatched", "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2), "user": _user()}})
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop("oneseal_request_token", None)
    if token is not None:
        try:
            unbind(token)
        except ValueError:  # reset from another context: clear it instead
            bind_request_id(None)
