"""A keep-alive JSON client over ``http.client``, one connection at a time, reconnecting when
the server went away. A request that finds its kept-alive connection closed by the server while
it sat idle (gunicorn closes those after a few seconds) is sent once more on a new connection,
as HTTP client libraries do (only a read, or a write with its ``Idempotency-Key``). With ``retry`` (the chaos run) a request whose answer never came, or that
was refused as busy or still in progress, is sent again with the same ``Idempotency-Key``."""
from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any

#: statuses after which a retry with the same key is right: nothing was saved, or the first
#: request with the key still runs
RETRY_STATUSES = {502, 503, 504}
GIVE_UP_AFTER_S = 90


@dataclass
class Answer:
    status: int  # 0: no answer at all
    body: Any
    ms: float
    attempts: int = 1
    #: the server replayed the answer it kept for the key (``Idempotent-Replay: true``)
    replayed: bool = False


class Client:
    def __init__(self, port: int, *, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None
        self.sent = 0  # HTTP requests sent, retries included
        self.failures = 0  # requests that got no answer (connection refused, reset, timed out)
        self.answered = 0  # answers received on the current connection

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.answered = 0

    def once(self, method: str, path: str, body: Any = None, *, token: str | None = None,
             key: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        """One attempt; status 0 when no answer came back."""
        sent_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent_headers["Authorization"] = f"Bearer {token}"
        if key:
            sent_headers["Idempotency-Key"] = key
        payload = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.perf_counter()
        for fresh in (False, True):
            self.sent += 1
            kept_alive = self.connection is not None and self.answered > 0
            try:
                connection = self._connection()
                connection.request(method, path, body=payload, headers=sent_headers)
                response = connection.getresponse()
                data = response.read()
                self.answered += 1
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if kept_alive and not fresh and (method == "GET" or key):
                    continue  # the server had closed the idle connection (a write is safe again: its key)
                self.failures += 1
                return Answer(0, None, (time.perf_counter() - started) * 1000)
            except (OSError, http.client.HTTPException):
                self.close()
                self.failures += 1
                return Answer(0, None, (time.perf_counter() - started) * 1000)
        ms = (time.perf_counter() - started) * 1000
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        return Answer(response.status, parsed, ms, replayed=response.getheader("Idempotent-Replay") == "true")

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None,
             key: str | None = None, retry: bool = False, headers: dict[str, str] | None = None) -> Answer:
        """The request's answer; with ``retry``, sent again (same key) until it gets one."""
        started = time.perf_counter()
        attempts = 0
        while True:
            attempts += 1
            answer = self.once(method, path, body, token=token, key=key, headers=headers)
            busy = answer.status in RETRY_STATUSES or (
                answer.status == 409 and isinstance(answer.body, dict)
                and answer.body.get("code") == "request_in_progress")
            if not retry or not (answer.status == 0 or busy):
                break
            if time.perf_counter() - started > GIVE_UP_AFTER_S:
                break
            time.sleep(0.1 if answer.status == 0 else 0.05)
        answer.attempts = attempts
        answer.ms = (time.perf_counter() - started) * 1000
        return answer
