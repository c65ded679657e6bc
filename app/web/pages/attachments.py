"""Scanned materials on the pages: the window uploads a scan of a received material (a file or
a document camera, through the browser's file input); whoever may see the case opens it inline,
PDF or image, served as exactly what its content is."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, request, url_for

from app.domain.errors import OneSealError
from app.services.intake.attachments import attach_scan, read_attachment
from app.web.edge.pages import page
from app.web.edge.units import Call
from app.web.pages.common import bp
from app.web.pages.window import DESK_ROLES

#: what a served file may do in the browser: show itself, nothing else
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
                "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
                "Cross-Origin-Resource-Policy": "same-origin"}


def file_response(view: Any, data: bytes) -> Response:
    name = view["filename"]
    fallback = f"attachment-{view['id'][:8]}"
    headers = {**FILE_HEADERS, "Content-Disposition": f"inline; filename=\"{fallback}\"; "
                                                     f"filename*=UTF-8''{quote(name)}"}
    return Response(data, mimetype=view["content_type"], headers=headers)


@bp.post("/cases/<int:case_id>/attachments")
@page(roles=DESK_ROLES)
def upload_scan(call: Call, case_id: int) -> Any:
    upload = request.files.get("file")
    try:
        with call.writing() as session:
            attached = attach_scan(session, call.runtime, call.actor, case_id, request.form.get("material"),
                                   upload.filename if upload else "", upload.read() if upload else b"")
    except OneSealError as err:
        if err.kind in ("not_found", "forbidden"):
            raise
        flash(err.message, "error")
    else:
        flash(f"已上传扫描件：{attached['filename']}")
    return redirect(url_for("pages.case_page", case_id=case_id) + "#materials")


@bp.get("/attachments/<attachment_id>")
@page()
def open_attachment(call: Call, attachment_id: str) -> Any:
    view, data = read_attachment(call.session, call.runtime, call.actor, attachment_id[:64])
    return file_response(view, data)
