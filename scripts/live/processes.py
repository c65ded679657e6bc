"""The server and the worker as child processes, started by the ``oneseal`` command.

Each child leads a process group of its own, so a kill reaches what it started (gunicorn's
workers) and nothing else. ``serve_command`` is a template: ``{port}`` and ``{processes}`` are
filled in. When ``oneseal serve`` takes ``--workers`` one server runs N processes; when it does
not, N single-process servers run on N ports and the clients spread over them.
"""
from __future__ import annotations

import http.client
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.live.database import oneseal

READY_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def interpreter() -> str:
    """The Python the servers run on (the ``oneseal`` beside this interpreter): the figures
    depend on its build — a distribution's, built with PGO and LTO, spends less CPU a request."""
    return f"Python {platform.python_version()} ({sys.base_prefix})"


def serve_takes_workers() -> bool:
    done = subprocess.run([oneseal(), "serve", "--help"], capture_output=True, text=True)
    return "--workers" in done.stdout


def default_serve_command(processes: int) -> tuple[list[str], int]:
    """The command template and how many copies of it to run for ``processes`` processes."""
    base = [oneseal(), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    if processes > 1 and serve_takes_workers():
        return [*base, "--workers", "{processes}"], 1
    return base, processes


def answers(port: int, path: str = "/api/v1/health", timeout: float = 2.0) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


@dataclass
class Child:
    """One child process (a server on its port, or the worker), restartable."""

    command: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self, *, wait: bool = True) -> None:
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.starts += 1
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        if self.port is None:
            return
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not answers(self.port):
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.command[1]} exited with {self.process.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not answer within {READY_TIMEOUT_S} s")
            time.sleep(0.05)

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)  # the group this child leads: itself and its workers
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL, at once: no request finishes, nothing is flushed."""
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        self.signal(signal.SIGTERM)
        if self.process is not None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Servers:
    """The servers of a run and the ports the clients use."""

    children: list[Child] = field(default_factory=list)

    @classmethod
    def build(cls, processes: int, env: dict[str, str], folder: Path, command: list[str] | None = None) -> Servers:
        if command is None:
            command, copies = default_serve_command(processes)
        else:
            copies = 1
        command = [part.replace("{processes}", str(processes)) for part in command]
        return cls([Child(command, env, folder / f"server-{i}.log", port=free_port()) for i in range(copies)])

    @property
    def ports(self) -> list[int]:
        return [child.port for child in self.children if child.port is not None]

    def start(self) -> None:
        for child in self.children:
            child.start(wait=False)
        for child in self.children:
            child.wait_ready()

    def stop(self) -> None:
        for child in self.children:
            child.stop()


def worker(env: dict[str, str], folder: Path, interval: int = 1) -> Child:
    return Child([oneseal(), "worker", "--interval", str(interval)], env, folder / "worker.log")
