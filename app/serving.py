"""``oneseal serve``: the web app in one process (waitress, the embedded default of ``make run``)
or in several (gunicorn, Linux: ``--workers N``).

Under gunicorn the master builds the app once (settings checked, diagrams parsed, rules
loaded: a bad setting stops start-up before any worker forks), closes its database
connections, freezes what it built out of the garbage collector's scans and forks N workers
of ``--threads`` threads each. Nothing a request needs from another request lives in one
process's memory: sessions, the failure limiter and idempotency keys are rows; the caches
(parsed diagrams, live workflows) are keyed by content and checked against the database.

SIGTERM stops gracefully: the workers stop accepting, finish the requests in flight (up to
``--graceful-timeout`` seconds) and exit. SIGHUP reloads the workers one by one.

Metrics under gunicorn are written per process to ``PROMETHEUS_MULTIPROC_DIR`` (a fresh
temporary directory unless the environment names one, which is emptied at start), chosen
before the app is built and any count made.
"""
from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.config import Settings

from app.observability.metrics import MULTIPROC_ENV, count_in_files


def prepare_metrics_dir() -> tuple[Path, bool]:
    """The directory the processes count in, emptied; and whether we made it (and remove it)."""
    named = os.environ.get(MULTIPROC_ENV)
    if named:
        path = Path(named)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # counts of an earlier run would be added to this one's
            stale.unlink()
        made = False
    else:
        path, made = Path(tempfile.mkdtemp(prefix="oneseal-metrics-")), True
    count_in_files(str(path))
    return path, made


def _forwarded_allow_ips(trusted_proxies: str) -> str:
    """Whose ``X-Forwarded-Proto`` gunicorn believes: the proxies ``ONESEAL_TRUSTED_PROXIES``
    names (every address when it counts hops: then only proxies can reach the service)."""
    raw = trusted_proxies.strip()
    if not raw:
        return "127.0.0.1,::1"
    return "*" if raw.isdigit() else raw


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(settings: Settings, *, host: str, port: int, workers: int, threads: int,
                     graceful_timeout: int) -> dict[str, Any]:
    from app.observability.logs import gunicorn_log_config
    from app.observability.metrics import worker_exited

    def child_exit(_server: Any, worker: Any) -> None:
        worker_exited(worker.pid)  # its live gauges (connections in use) stop counting

    def on_exit(_server: Any) -> None:
        worker_exited(os.getpid())  # the master's own (it opened connections to build the app)

    return {
        "bind": [_bind(host, port)],
        "workers": workers,
        "worker_class": "app.gunicorn_worker.OneSealWorker",  # gthread, its refusals in Chinese JSON
        "threads": threads,
        "graceful_timeout": graceful_timeout,
        "timeout": max(60, graceful_timeout + 10),
        "keepalive": 5,
        "preload_app": True,
        "child_exit": child_exit,
        "on_exit": on_exit,
        "forwarded_allow_ips": _forwarded_allow_ips(settings.trusted_proxies),
        "logconfig_dict": gunicorn_log_config(settings.log_format),
        "proc_name": "oneseal",
        "control_socket_disable": True,
    }


def _gunicorn_application(build: Callable[[], Any], options: dict[str, Any]) -> Any:
    from gunicorn.app.base import BaseApplication

    class OneSealServer(BaseApplication):
        """gunicorn driven from ``oneseal serve``: options from the command, the app built once."""

        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return build()

    return OneSealServer()


def _built(settings: Settings) -> Any:
    from app import create_app

    app = create_app(settings)
    app.extensions["oneseal"].db.dispose()  # no connection crosses a fork: each worker opens its own
    # What start-up built and keeps (parsed diagrams, rules, calendar, catalogue) leaves the
    # collector's generations: full collections then scan only what requests create, and no
    # step pauses for tens of milliseconds (measured by scripts/simulate_projects.py); pages
    # left untouched stay shared between the workers.
    gc.collect()
    gc.freeze()
    return app


#: threads of a gunicorn worker by default: a step is CPU work under Python's lock, so more threads
#: mostly wait for it (scripts/load.py on PostgreSQL, 2 cores: two processes of 2 threads served
#: 1.5× one process, of 8 threads 1.4×, of 4 threads 1.3×); one waitress process keeps 8 for
#: slow clients
GUNICORN_THREADS, WAITRESS_THREADS = 2, 8


def serve(*, host: str, port: int, workers: int, threads: int | None, graceful_timeout: int,
          server: str | None = None, announce: Callable[[str], None] = print) -> None:
    server = server or ("gunicorn" if workers > 1 else "waitress")
    threads = threads or (GUNICORN_THREADS if server == "gunicorn" else WAITRESS_THREADS)
    if server == "gunicorn":
        if sys.platform == "win32":
            raise SystemExit("gunicorn 只能在 Linux/Unix 上运行；请去掉 --workers，使用单进程（waitress）")
        metrics_dir, made = prepare_metrics_dir()
        from app.observability.logs import configure_logging

        settings = Settings.load()
        configure_logging(settings.log_format)
        options = gunicorn_options(settings, host=host, port=port, workers=workers, threads=threads,
                                   graceful_timeout=graceful_timeout)
        announce(f"OneSeal 已启动：http://{host}:{port}/（gunicorn，{workers} 个进程 × {threads} 个线程）")
        master = os.getpid()
        try:
            _gunicorn_application(lambda: _built(settings), options).run()
        finally:  # a worker leaves through here too (SystemExit after fork): only the master cleans up
            if made and os.getpid() == master:
                shutil.rmtree(metrics_dir, ignore_errors=True)
        return

    from app.observability.logs import configure_logging
    from app.waitress_server import serve as waitress_serve

    settings = Settings.load()
    configure_logging(settings.log_format)
    app = _built(settings)
    announce(f"OneSeal 已启动：http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=threads, ident="OneSeal")
