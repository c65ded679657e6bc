"""waitress, the one-process server of ``make run``, with the service's own answer to a request it
cannot parse (a malformed request line or header, headers over its limit, a body over its limit,
a transfer coding it does not know): JSON with a machine code and a Chinese message, the status
waitress chose, instead of its English plain-text page. The same refusals under gunicorn:
:mod:`app.gunicorn_worker`."""
from __future__ import annotations

from typing import Any

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask
from waitress.utilities import (BadRequest, RequestEntityTooLarge, RequestHeaderFieldsTooLarge,
                                ServerNotImplemented)

from app.server_refusals import CONTENT_TYPE, refusal_body

#: the most specific kind first: waitress's size refusals are kinds of its BadRequest
_CODES: tuple[tuple[type, str], ...] = (
    (RequestHeaderFieldsTooLarge, "request_headers_too_large"),
    (RequestEntityTooLarge, "request_body_too_large"),
    (BadRequest, "invalid_http_request"),
    (ServerNotImplemented, "unsupported_transfer_coding"),
)


def refusal_code(error: object) -> str:
    return next((code for kind, code in _CODES if isinstance(error, kind)), "server_error")


class _RefusalTask(ErrorTask):
    def execute(self) -> None:
        error = self.request.error
        body = refusal_body(refusal_code(error))
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", CONTENT_TYPE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _RefusalTask


def serve(app: Any, **options: Any) -> None:
    """Like ``waitress.serve``: listen and serve until stopped."""
    server(app, **options).run()


def server(app: Any, **options: Any) -> Any:
    """waitress's server for ``options``, each of its listening sockets answering refusals as
    above (a host name such as ``localhost`` may give two: IPv4 and IPv6)."""
    built = create_server(app, **options)
    listeners = [built] if hasattr(built, "channel_class") else list(getattr(built, "map", {}).values())
    for listener in listeners:
        if hasattr(listener, "channel_class"):
            listener.channel_class = _Channel
    return built
