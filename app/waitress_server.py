"""waitress, the one-process server of ``make run``, with the service's own answer to a request it
cannot parse (a malformed request line or header, headers over its limit, a body over its limit,
a transfer coding it does not know): JSON with a machine code and a Chinese message, the status
waitress chose, instead of its English plain-text page. The same refusals under gunicorn:
:mod:`app.gunicorn_worker`."""
from __future__ import annotations

import json
from typing import Any

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask
from waitress.utilities import (BadRequest, RequestEntityTooLarge, RequestHeaderFieldsTooLarge,
                                ServerNotImplemented)

#: the most specific kind first: waitress's size refusals are kinds of its BadRequest
_REFUSALS: tuple[tuple[type, str, str], ...] = (
    (RequestHeaderFieldsTooLarge, "request_headers_too_large", "请求头过多或过大"),
    (RequestEntityTooLarge, "request_body_too_large", "请求内容过大"),
    (BadRequest, "invalid_http_request", "请求格式不正确，不是有效的 HTTP 请求"),
    (ServerNotImplemented, "unsupported_transfer_coding", "不支持该传输编码（Transfer-Encoding）"),
)


def refusal_body(error: object) -> bytes:
    code, message = next(((code, message) for kind, code, message in _REFUSALS if isinstance(error, kind)),
                         ("server_error", "服务器内部错误，请稍后重试"))
    return json.dumps({"code": code, "message": message}, ensure_ascii=False).encode("utf-8")


class _RefusalTask(ErrorTask):
    def execute(self) -> None:
        error = self.request.error
        body = refusal_body(error)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json; charset=utf-8"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _RefusalTask


def serve(app: Any, **options: Any) -> None:
    """Like ``waitress.serve``: listen and serve until stopped."""
    server = create_server(app, **options)
    listeners = [server] if hasattr(server, "channel_class") else list(getattr(server, "map", {}).values())
    for listener in listeners:
        if hasattr(listener, "channel_class"):
            listener.channel_class = _Channel
    server.run()
