"""Seeing the service run: Prometheus metrics, the request id, structured (JSON) logs.

Owns the metric objects and the functions the edges and services call to count
(``request_finished``, ``completion_committed``, ``rule_decided``, ``job_finished``…), the
request id of the work under way (a context variable the audit trail and the log lines read)
and the JSON log formatter. It imports nothing from the rest of the app, so every layer may
use it; what a scrape reads from the database is asked by the web edge (``app/web/operations/metrics.py``).
"""
