"""The sample deployment in deploy/ holds together: each unit's command is one the CLI takes,
the settings it names exist, the web unit stops within systemd's patience, and the nginx site
proxies to the port the web unit listens on, from the address the app trusts, with static
folders that exist in the checkout."""
from __future__ import annotations

import re
import shlex
from dataclasses import fields
from pathlib import Path

import pytest

from app.cli import main
from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
#: settings that arrive with another part of the release (the Celery jobs)
COMING = {"broker_url"}


def _directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _env_keys() -> set[str]:
    text = (DEPLOY / "oneseal.env").read_text(encoding="utf-8")
    return set(re.findall(r"^#?(ONESEAL_\w+)=", text, re.M))


def test_there_are_units_for_the_web_the_worker_and_beat():
    assert [u.name for u in UNITS] == ["oneseal-beat.service", "oneseal-web.service", "oneseal-worker.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_units_command_is_one_the_cli_takes(unit: Path):
    for line in _directives(unit)["ExecStart"] + _directives(unit).get("ExecStartPre", []):
        program, *args = shlex.split(line)
        assert program == "/opt/oneseal/.venv/bin/oneseal"
        if args[0] not in main.commands:
            pytest.skip(f"oneseal {args[0]} comes with the Celery jobs")
        ctx = main.make_context("oneseal", list(args))
        name, command, rest = main.resolve_command(ctx, list(args))
        assert command is not None
        command.make_context(name or args[0], rest, parent=ctx)  # raises on an option the command does not take


def test_every_setting_the_environment_file_names_exists():
    known = {f"ONESEAL_{f.name.upper()}" for f in fields(Settings)} | {f"ONESEAL_{k.upper()}" for k in COMING}
    assert _env_keys() <= known, _env_keys() - known
    assert {"ONESEAL_DATABASE_URL", "ONESEAL_SECRET_KEY", "ONESEAL_TRUSTED_PROXIES", "ONESEAL_BROKER_URL"} <= _env_keys()


def test_the_web_unit_stops_gracefully_within_systemds_patience():
    web = _directives(DEPLOY / "systemd" / "oneseal-web.service")
    command = web["ExecStart"][0]
    graceful = int(re.search(r"--graceful-timeout (\d+)", command).group(1))
    assert int(web["TimeoutStopSec"][0]) > graceful
    assert web["KillSignal"] == ["SIGTERM"] and web["KillMode"] == ["mixed"]
    assert "--workers" in command
    runtime = web["RuntimeDirectory"][0]
    assert f"PROMETHEUS_MULTIPROC_DIR=/run/{runtime}/" in web["Environment"][0]


def test_nginx_proxies_to_the_web_unit_from_the_address_the_app_trusts():
    site = (DEPLOY / "nginx" / "oneseal.conf").read_text(encoding="utf-8")
    command = _directives(DEPLOY / "systemd" / "oneseal-web.service")["ExecStart"][0]
    host = re.search(r"--host (\S+)", command).group(1)
    port = re.search(r"--port (\d+)", command).group(1)
    assert f"server {host}:{port};" in site
    env = (DEPLOY / "oneseal.env").read_text(encoding="utf-8")
    assert re.search(r"^ONESEAL_TRUSTED_PROXIES=127\.0\.0\.1$", env, re.M) and host == "127.0.0.1"
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "X-Request-Id $request_id"):
        assert f"proxy_set_header {header};" in site
    assert "location = /metrics { return 404; }" in site


def test_the_static_folders_nginx_serves_exist_in_the_checkout():
    site = (DEPLOY / "nginx" / "oneseal.conf").read_text(encoding="utf-8")
    aliases = re.findall(r"location (\S+)\s+\{ alias /opt/oneseal/(\S+);", site)
    assert len(aliases) == 9  # static files, bpmn-js, its translation, ECharts, the modeler's bundle …
    for _location, folder in aliases:
        assert (ROOT / folder).is_dir(), folder


def test_every_command_logs_json_lines_when_the_environment_file_says_so(tmp_path: Path):
    """The units' environment file sets ONESEAL_LOG_FORMAT=json: the worker and any command
    run by hand log as the web does."""
    import os
    import subprocess
    import sys

    script = ("import logging, sys\nfrom app.cli import main\n"
              "sys.argv = ['oneseal', 'calendar', 'is-workday', '2026-02-14']\n"
              "main(standalone_mode=False)\nlogging.getLogger('app.worker').info('worker pass: 定时事件 0 个')\n")
    env = {**os.environ, "ONESEAL_LOG_FORMAT": "json", "ONESEAL_INSTANCE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    import json
    (line,) = [json.loads(text) for text in done.stderr.splitlines() if text.startswith("{")]
    assert line["logger"] == "app.worker" and line["message"] == "worker pass: 定时事件 0 个"
