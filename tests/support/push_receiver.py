"""A supervising department's receiver for the tests: a real HTTP server on 127.0.0.1 that keeps
every push it gets and answers as it is told (a status per request, a delay, or down)."""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.domain.licences.supervision_push import check_signature


@dataclass
class Received:
    event_id: str
    signature: str
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = "department-secret-0123456789"
    #: answers to give, one per request, then 200
    answers: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/oneseal/events"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answers.popleft() if receiver.answers else 200
                check_signature(self.headers.get("OneSeal-Signature"), receiver.secret, body, int(time.time()))
                receiver.received.append(Received(self.headers["OneSeal-Event-Id"],
                                                  self.headers["OneSeal-Signature"], body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def types(self) -> list[str]:
        return [r.event["type"] for r in self.received]
