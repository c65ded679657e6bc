"""gunicorn's worker with the service's own answer to a request it cannot parse.

gunicorn refuses some requests before the application sees them: a request line over its limit
(4,094 bytes: a very long URL), too many or too large headers, a malformed request line, header
or chunk. It answers those with an English HTML page. Like every other refusal of the service,
they get a JSON body with a machine code and a Chinese message here; the status stays gunicorn's.
Anything else (a TLS or proxy-protocol failure, an application error) is left to gunicorn.

Imported only where gunicorn runs (Linux, ``oneseal serve --workers N``).
"""
from __future__ import annotations

from typing import Any

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker

from app.server_refusals import CONTENT_TYPE, refusal_body


def _kinds(*names: str) -> tuple[type[BaseException], ...]:
    """gunicorn's error classes of those names that this release of gunicorn has."""
    return tuple(getattr(errors, name) for name in names if hasattr(errors, name))


#: status, reason phrase and machine code for each kind of request gunicorn refuses
_REFUSALS: tuple[tuple[tuple[type[BaseException], ...], int, str, str], ...] = (
    (_kinds("LimitRequestLine"), 414, "URI Too Long", "request_line_too_long"),
    (_kinds("LimitRequestHeaders"), 431, "Request Header Fields Too Large", "request_headers_too_large"),
    (_kinds("UnsupportedTransferCoding"), 501, "Not Implemented", "unsupported_transfer_coding"),
    (_kinds("ExpectationFailed"), 417, "Expectation Failed", "expectation_failed"),
    (_kinds("InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion", "InvalidHeader",
            "InvalidHeaderName", "ObsoleteFolding", "InvalidSchemeHeaders", "InvalidChunkSize",
            "ChunkMissingTerminator", "InvalidChunkExtension",
            # a SCRIPT_NAME header (trusted from the proxy) the request's path does not start with
            "ConfigurationProblem"), 400, "Bad Request", "invalid_http_request"),
)


def refusal(exc: BaseException) -> tuple[int, str, bytes] | None:
    """The status, reason phrase and body for a request gunicorn refused; None to leave it to gunicorn."""
    for kinds, status, reason, code in _REFUSALS:
        if isinstance(exc, kinds):
            return status, reason, refusal_body(code)
    return None


class OneSealWorker(ThreadWorker):
    """gunicorn's threaded worker, answering unparseable requests in the service's own format."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        answer = refusal(exc)
        if answer is None:
            super().handle_error(req, client, addr, exc)
            return
        status, reason, body = answer
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: {CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            util.write_nonblock(client, head.encode("latin-1") + body)
        except Exception:  # the client is gone: nothing to tell it
            self.log.debug("Failed to send error message.")
