"""The service's Prometheus metrics, and the functions that count them.

Under gunicorn (``oneseal serve --workers N``) every process writes its counts to files in
``PROMETHEUS_MULTIPROC_DIR`` (``oneseal serve`` names it with :func:`count_in_files` before
the first count, and removes a dead worker's live gauges); a scrape, answered by any worker,
adds them all up. One process (waitress, tests) counts in memory. Every metric has labels, so
none holds a value before its first count: that is what lets the choice be made after import. Labels are bounded sets only: endpoint names (never
the URL), methods, statuses, decisions declared by the diagrams, rulesets, job kinds — never a
case, a user or anything an applicant wrote.
"""
from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client import values as _values
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import REGISTRY

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: request latency buckets, seconds: a completion takes a few ms, a page tens
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: a label value taken from data (a decision, an outcome) must look like an identifier
_LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,48}")

HTTP_REQUESTS = Counter("oneseal_http_requests", "HTTP requests answered, by Flask endpoint, method and status",
                        ["endpoint", "method", "status"])
HTTP_LATENCY = Histogram("oneseal_http_request_duration_seconds",
                         "Time from the request's arrival at the app to its answer, by Flask endpoint and method",
                         ["endpoint", "method"], buckets=LATENCY_BUCKETS)
COMPLETIONS = Counter("oneseal_task_completions", "Tasks completed (committed), by decision", ["decision"])
RULE_DECISIONS = Counter("oneseal_rule_decisions", "Rule decisions recorded (committed), by ruleset and outcome",
                         ["ruleset", "outcome"])
JOBS = Counter("oneseal_jobs", "Background jobs run, by job and outcome (ok, failed)", ["job", "outcome"])
POOL_CHECKED_OUT = Gauge("oneseal_db_pool_checked_out", "Database connections in use, all live processes",
                         ["pool"], multiprocess_mode="livesum")
POOL_SIZE = Gauge("oneseal_db_pool_size", "Database connections the pools keep, all live processes",
                  ["pool"], multiprocess_mode="livesum")


ALL = (HTTP_REQUESTS, HTTP_LATENCY, COMPLETIONS, RULE_DECISIONS, JOBS, POOL_CHECKED_OUT, POOL_SIZE)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def count_in_files(directory: str) -> None:
    """From now on count in ``directory``, shared by the processes forked after this call.
    prometheus-client picks its value store when a value is made; ours are made at the first
    count of each label set, so choosing here, before any request, covers them all."""
    os.environ[MULTIPROC_ENV] = directory
    _values.ValueClass = _values.get_value_class()
    _REQUEST_CHILDREN.clear()


def _label(value: object, fallback: str = "other") -> str:
    text = "none" if value is None else str(value)
    return text if _LABEL.fullmatch(text) else fallback


#: (endpoint, method, status) → the two children a request counts in: ``labels()`` checks and
#: locks on every call, a dict read does not (the key set is bounded like the labels)
_REQUEST_CHILDREN: dict[tuple[str | None, str, int], tuple[Any, Any]] = {}


def request_finished(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    key = (endpoint, method, status)
    children = _REQUEST_CHILDREN.get(key)
    if children is None:
        name = endpoint or "unmatched"  # no route: a 404 (or 405) by URL, which would be unbounded
        label_method = method if method in _METHODS else "other"
        children = (HTTP_REQUESTS.labels(name, label_method, str(status)), HTTP_LATENCY.labels(name, label_method))
        if method in _METHODS:
            _REQUEST_CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


def completion_committed(decision: str | None) -> None:
    COMPLETIONS.labels(_label(decision)).inc()


def rule_decided(ruleset: str, outcome: str | None) -> None:
    RULE_DECISIONS.labels(_label(ruleset), _label(outcome)).inc()


def job_finished(name: str, ok: bool) -> None:
    """A background job ran: the in-process worker and the Celery tasks both call this."""
    JOBS.labels(_label(name), "ok" if ok else "failed").inc()


def pool_connection_checked_out(pool: str) -> None:
    POOL_CHECKED_OUT.labels(pool).inc()


def pool_connection_checked_in(pool: str) -> None:
    POOL_CHECKED_OUT.labels(pool).dec()


def pool_opened(pool: str, size: int) -> None:
    POOL_SIZE.labels(pool).inc(size)


def pool_closed(pool: str, size: int) -> None:
    POOL_SIZE.labels(pool).dec(size)


class _CountFiles:
    """Every count this host's OneSeal processes wrote: the server's processes (all their files),
    and the counters and histograms of the workers' processes (``worker_dirs``; their live
    gauges are left out: no one marks a worker's dead child)."""

    def __init__(self, own: str, worker_dirs: Sequence[str]) -> None:
        self.own, self.worker_dirs = own, worker_dirs

    def collect(self) -> Iterable[Metric]:
        files = glob.glob(os.path.join(self.own, "*.db"))
        for directory in self.worker_dirs:
            for kind in ("counter", "histogram"):
                files += glob.glob(os.path.join(directory, f"{kind}_*.db"))
        return _multiprocess.MultiProcessCollector.merge(files, accumulate=True)


def exposition(extra: CollectorRegistry | None = None, worker_dirs: Sequence[str] = ()) -> bytes:
    """The text a scrape gets: every process's counts (multiprocess: with the workers' of
    ``worker_dirs``) or this process's, then ``extra`` (gauges read from the database)."""
    if multiprocess():
        registry = CollectorRegistry()
        registry.register(_CountFiles(os.environ[MULTIPROC_ENV], worker_dirs))
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    return text + (generate_latest(extra) if extra is not None else b"")


def worker_exited(pid: int) -> None:
    """A server process ended: its live gauges (connections in use) stop counting."""
    if multiprocess():
        _multiprocess.mark_process_dead(pid)
