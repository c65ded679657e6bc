"""Settings, validated once: defaults, then ``ONESEAL_*`` environment variables, then overrides."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{ROOT / 'instance' / 'oneseal.db'}"
    secret_key: str = ""
    demo_password: str = "oneseal-demo"
    processes_dir: Path = ROOT / "processes"
    catalogue_file: Path = ROOT / "data" / "catalogue.toml"
    #: construction-project types and stages (工程建设项目); no file, no project types
    projects_file: Path = ROOT / "data" / "projects.toml"
    calendar_file: Path = ROOT / "data" / "calendar.toml"
    #: the efficiency-supervision policy (效能监察设置); no file, the defaults
    supervision_file: Path = ROOT / "data" / "supervision.toml"
    #: the certificate templates per catalogue item (证照模板); no file, no certificates
    certificates_file: Path = ROOT / "data" / "certificates.toml"
    rules_dir: Path = ROOT / "rules"
    instance_dir: Path = ROOT / "instance"
    #: where `oneseal scenarios run` writes its reports, and where the auditors' pages read them
    reports_dir: Path = ROOT / "reports"
    token_ttl_hours: int = 12
    #: a signed-in browser session ends after this many minutes without a request…
    session_idle_minutes: int = 30
    #: …and this many hours after signing in, however busy
    session_max_hours: int = 12
    #: proxies in front of the service whose ``X-Forwarded-For`` is believed: a number of hops,
    #: or addresses and networks separated by commas; empty: the connecting address is the client
    trusted_proxies: str = ""
    #: seconds a retry with the same ``Idempotency-Key`` waits for the first request's answer
    idempotency_wait_seconds: int = 10
    password_method: str = "scrypt"
    max_upload_bytes: int = 5 * 1024 * 1024
    #: 预警: warn when at most this many working days are left
    deadline_warning_days: int = 2
    #: seconds between two passes of ``oneseal worker`` when it runs the jobs in process
    worker_interval: int = 30
    #: the Celery broker (Redis), e.g. ``redis://127.0.0.1:6379/0``; empty: jobs run in process
    #: (and ``/api/v1/ready`` does not ask for it)
    broker_url: str = ""
    #: the Celery queue, and the prefix of every key OneSeal and Celery keep in Redis (two
    #: installations, or two test runs, sharing one Redis keep apart by it)
    broker_prefix: str = "oneseal"
    #: Celery beat: seconds between two scans for due timers, deadlines and outbox messages
    scan_timers_seconds: int = 10
    scan_deadlines_seconds: int = 60
    scan_outbox_seconds: int = 5
    #: Celery beat: seconds between two refreshes of the roll-ups changes have marked (the
    #: in-process worker refreshes them every pass); a reader refreshes what is left itself
    refresh_figures_seconds: int = 10
    #: a job found by a scan is sent once, then not again for this many seconds while it is
    #: under way (a lost message is sent again after it)
    job_claim_seconds: int = 300
    #: Celery retries of a failing job: at most this many, after base·2ⁿ seconds (capped);
    #: then the job waits for the claim above to end and the next scan starts over
    job_max_retries: int = 5
    job_retry_base_seconds: int = 2
    job_retry_max_seconds: int = 300
    #: a delivery of an outbox message holds it this long; a failed one is tried again after
    #: base·2ⁿ seconds, at most the max
    outbox_lease_seconds: int = 300
    outbox_retry_base_seconds: int = 10
    outbox_retry_max_seconds: int = 3600
    #: seconds a message handed to a worker that died stays invisible before Redis hands it
    #: to another (Celery's ``visibility_timeout``)
    broker_visibility_seconds: int = 3600
    #: live workflows a process keeps between the steps of their cases (0: none); each a few
    #: tens of KB, see app/workflow/instance_cache.py
    workflow_cache: int = 512
    #: the auditors' scenario runs: ``celery`` (the background workers), ``thread`` (a pool in the
    #: service's process), ``inline`` (in the request that asks, after its commit); empty: ``inline``
    #: when testing, else ``celery`` with a broker, else ``thread``
    scenario_jobs: str = ""
    #: scenario runs executed at once (more wait in the queue)
    scenario_workers: int = 2
    #: time budget of one scenario, and of a whole run, in seconds
    scenario_seconds: int = 60
    scenario_run_seconds: int = 1800
    #: memory the service's process may hold while scenarios run (MB); a step starts only below it
    scenario_memory_mb: int = 2048
    #: ``text`` (a terminal) or ``json`` (one object a line, with the request id; see
    #: app/observability/logs.py)
    log_format: str = "text"
    #: a Bearer token that may read ``/metrics`` from anywhere; empty: only a scraper on this
    #: host, connecting directly (not through a proxy), may read them
    metrics_token: str = ""
    #: directories (comma-separated) where this host's ``oneseal worker`` processes count (their
    #: ``PROMETHEUS_MULTIPROC_DIR``): ``/metrics`` of gunicorn's processes adds their job counts
    metrics_worker_dirs: str = ""
    #: the bureau's seal in production: a PKCS#12 file issued by a CA, and its password;
    #: unset, the demo seal under ``seal_dir`` (``oneseal seal init``)
    seal_pkcs12: str = ""
    seal_password: str = ""
    #: where the demo seal lives (default: ``instance/seal``)
    seal_dir: str = ""
    #: an RFC 3161 timestamp service: signatures become PAdES B-T/B-LT instead of B-B
    tsa_url: str = ""
    #: the address the public reaches the service at: the QR code's verification link
    public_url: str = "http://127.0.0.1:8000"
    #: the supervision push (监管推送): the wait before the first retry of a failed delivery
    #: (doubling, at most an hour), the failed attempts after which it becomes an incident, the
    #: seconds one attempt may take, and how long a worker holds a delivery it is sending
    delivery_backoff_s: int = 10
    delivery_max_attempts: int = 8
    delivery_timeout_s: int = 10
    delivery_lease_s: int = 60
    #: milliseconds between two looks for due deliveries by ``oneseal worker`` without a broker
    delivery_poll_ms: int = 300
    #: hosts (``host`` or ``host:port``, comma-separated) that may receive pushes although they
    #: are internal (test receivers, the departments' intranet); everything else must be public
    supervision_allowed_hosts: str = ""
    testing: bool = False

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"ONESEAL_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("int",):
                values[f.name] = int(raw)
            elif f.type in ("bool",):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            elif f.type in ("Path",):
                values[f.name] = Path(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        settings = cls(**values)
        if settings.log_format not in ("text", "json"):
            raise ValueError(f"ONESEAL_LOG_FORMAT 应为 text 或 json：{settings.log_format}")
        if not settings.secret_key:
            settings = replace(settings, secret_key=_instance_secret(settings.instance_dir))
        return settings

    @property
    def seal_folder(self) -> Path:
        return Path(self.seal_dir) if self.seal_dir else self.instance_dir / "seal"


def _instance_secret(instance_dir: Path) -> str:
    """A per-installation secret kept in the instance folder, so sessions survive restarts."""
    path = instance_dir / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        instance_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret, encoding="utf-8")
        path.chmod(0o600)
        return secret
