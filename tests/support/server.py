"""``oneseal serve`` as a real server process on a free port, against a test's database, and a
small HTTP client for it (``http.client``: one connection per request unless told)."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.api import PASSWORD

ONESEAL = Path(sys.executable).with_name("oneseal")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def token(self, username: str) -> str:
        answer = self.request("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
        assert answer.status == 200, answer.body
        return str(answer.json()["token"])

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def server_env(database_url: str, instance_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONESEAL_", "PROMETHEUS_"))}
    env.update(ONESEAL_DATABASE_URL=database_url, ONESEAL_INSTANCE_DIR=str(instance_dir),
               ONESEAL_SECRET_KEY="test-secret", ONESEAL_PASSWORD_METHOD="pbkdf2:sha256:1000", **extra)
    return env


@contextmanager
def running_server(env: dict[str, str], log: Path, *args: str, startup: float = 60) -> Iterator[Server]:
    """``oneseal serve --port <free> ARGS`` until the block ends (then SIGTERM, SIGKILL if it hangs)."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([str(ONESEAL), "serve", "--port", str(port), *args], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}:\n{server.output()}")
            try:
                if server.request("GET", "/api/v1/items", timeout=5).status == 401:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server not answering after {startup} s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
