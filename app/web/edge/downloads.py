"""``@download``: streamed files (the audit trail as CSV for Excel, or JSON; case search results as
an Excel workbook), for the API and the pages alike.

The caller is resolved and authorized, and the handler has chosen what to send, before the first
byte goes out, so a refusal is a proper 401/403 (JSON on the API, the error page otherwise). The
rows are then read in batches by a read-only session that lives as long as the response and is
closed when it ends, even when the client goes away half-way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote

from flask import Response

from app.web.edge.api import ActorLoader
from app.web.edge.units import Call, ext

MIMETYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Download:
    #: text (CSV, JSON) or bytes (a workbook)
    chunks: Iterable[str] | Iterable[bytes]
    #: the file's name as people read it (Chinese), and the ASCII one for old clients
    name: str
    ascii_name: str
    fmt: str


def download(*, actor_from: ActorLoader) -> Callable[..., Callable[..., Response]]:
    """Decorate a handler ``(call, **url_args) -> Download``."""
    def decorator(view: Callable[..., Download]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            runtime = ext().runtime
            session = ext().db.session(write=False)
            try:
                found = view(Call(session, runtime, actor_from(session, runtime)), **kwargs)
            except BaseException:
                session.close()
                raise

            def stream() -> Iterator[Any]:  # str (CSV, JSON) or bytes (a workbook)
                try:
                    yield from found.chunks
                finally:
                    session.close()

            disposition = (f"attachment; filename=\"{found.ascii_name}.{found.fmt}\"; "
                           f"filename*=UTF-8''{quote(found.name)}.{found.fmt}")
            return Response(stream(), mimetype=MIMETYPES[found.fmt],
                            headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
        return wrapper
    return decorator
