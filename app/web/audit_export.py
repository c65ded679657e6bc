"""Streamed exports of the audit trail (CSV for Excel, JSON), for the API and the pages alike.

The actor is resolved and authorized before the first byte is sent, so a refusal is a proper
401/403; the rows are then read in batches by a read-only session that lives as long as the
response and is closed when it ends, even when the client goes away half-way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

from flask import Response, current_app, request
from sqlalchemy.orm import Session

from app.services.actor import Actor
from app.services.audit import trail as audit_trail

FORMATS = {
    "csv": ("text/csv; charset=utf-8", audit_trail.csv_chunks),
    "json": ("application/json; charset=utf-8", audit_trail.json_chunks),
}
FILENAME = "审计轨迹"


def export_response(fmt: str, resolve_actor: Callable[[Session], Actor]) -> Response:
    """The whole matching trail as a download; domain errors propagate before streaming starts."""
    mimetype, encode = FORMATS[fmt]
    query = audit_trail.parse_query(request.args)
    session = current_app.extensions["oneseal"].db.session(write=False)
    try:
        events = audit_trail.export_events(session, resolve_actor(session), query)
    except BaseException:
        session.close()
        raise

    def stream() -> Iterator[str]:
        try:
            yield from encode(events)
        finally:
            session.close()

    disposition = f"attachment; filename=\"audit-trail.{fmt}\"; filename*=UTF-8''{quote(FILENAME)}.{fmt}"
    return Response(stream(), mimetype=mimetype, headers={"Content-Disposition": disposition,
                                                          "Cache-Control": "no-store"})
