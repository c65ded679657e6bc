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
    #: seconds between two passes of ``oneseal worker``
    worker_interval: int = 30
    #: live workflows a process keeps between the steps of their cases (0: none); each a few
    #: tens of KB, see app/workflow/instance_cache.py
    workflow_cache: int = 512
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
        if not settings.secret_key:
            settings = replace(settings, secret_key=_instance_secret(settings.instance_dir))
        return settings


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
