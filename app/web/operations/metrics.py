"""``GET /metrics``: the Prometheus metrics (app/observability/metrics.py) and the gauges read
from the database at scrape time (incidents open, outbox backlog).

Who may read them: a scraper on this host connecting directly (loopback address, no
``X-Forwarded-For``: not through the proxy in front), or anyone sending
``Authorization: Bearer <ONESEAL_METRICS_TOKEN>`` when that setting is made. Everyone else
gets 404, as if there were nothing here. The metrics hold counts by route name, status,
decision, ruleset and job kind only: no case, user, applicant or address, so even a reader
who may see them learns nothing personal.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from app.observability import metrics
from app.persistence.background.monitoring import open_incidents_by_kind, outbox_backlog, push_backlog
from app.web.edge.units import ext

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def may_read() -> bool:
    token: str = ext().runtime.settings.metrics_token
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    return _loopback(request.remote_addr) and "X-Forwarded-For" not in request.headers \
        and "Forwarded" not in request.headers


class DatabaseGauges:
    """Gauges read from the database at each scrape, by whichever process answers it (values
    of the moment, never kept in the metrics files)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        incidents = GaugeMetricFamily("oneseal_incidents_open", "Incidents not yet resolved, by kind of work",
                                      labels=["kind"])
        up = GaugeMetricFamily("oneseal_database_up", "1 when the scrape could read the database")
        backlog, pushes = None, None
        try:
            with self.db.session(write=False) as session:
                for kind, count in sorted(open_incidents_by_kind(session).items()):
                    incidents.add_metric([kind], count)
                backlog = outbox_backlog(session)
                pushes = push_backlog(session)
            up.add_metric([], 1)
        except Exception:  # the scrape still answers: the counters say more than a 500 would
            log.exception("metrics: the database could not be read")
            up.add_metric([], 0)
        yield incidents
        yield up
        if backlog is not None:
            yield GaugeMetricFamily("oneseal_outbox_backlog", "Outbox messages not yet delivered", value=backlog)
        if pushes is not None:
            gauge = GaugeMetricFamily("oneseal_push_backlog", "Supervision-push deliveries not yet delivered, by state",
                                      labels=["state"])
            for state, count in sorted(pushes.items()):
                gauge.add_metric([state], count)
            yield gauge


def _database_gauges() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(DatabaseGauges(ext().db))
    return registry


@bp.get("/metrics")
def metrics_page() -> Any:
    if not may_read():
        abort(404)
    settings = ext().runtime.settings
    worker_dirs = [d.strip() for d in settings.metrics_worker_dirs.split(",") if d.strip()]
    return Response(metrics.exposition(_database_gauges(), worker_dirs), mimetype=None, content_type=CONTENT_TYPE)
