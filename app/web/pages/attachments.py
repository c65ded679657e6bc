"""Scanned materials on the pages: the window uploads a scan of a received material (a file or
a document camera, through the browser's file input); the inspector working an inspection step
uploads the photos taken on site (现场照片); whoever may see the case opens them inline, PDF or
image, served as exactly what its content is."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, request, url_for

from app.domain.errors import OneSealError
from app.services.casework.inspection_photos import attach_photo, remove_photo
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


@bp.post("/tasks/<task_id>/photos")
@page()
def upload_photos(call: Call, task_id: str) -> Any:
    """One or several photos at once: all are kept, or, if one is refused, none."""
    uploads = [u for u in request.files.getlist("file") if u.filename or u.content_length]
    try:
        with call.writing() as session:
            for name, data in [(u.filename, u.read()) for u in uploads] or [("", b"")]:
                attach_photo(session, call.runtime, call.actor, task_id, name, data)
    except OneSealError as err:
        if err.kind in ("not_found", "forbidden"):
            raise
        flash(err.message, "error")
    else:
        flash(f"已上传现场照片 {len(uploads)} 张")
    # back to the form, what was typed in it put back from the tab's draft
    return redirect(url_for("pages.task_page", task_id=task_id, draft="restore") + "#photos")


@bp.post("/tasks/<task_id>/photos/<attachment_id>/delete")
@page()
def remove_photo_page(call: Call, task_id: str, attachment_id: str) -> Any:
    try:
        with call.writing() as session:
            removed = remove_photo(session, call.runtime, call.actor, attachment_id[:64])
    except OneSealError as err:
        if err.kind in ("not_found", "forbidden"):
            raise
        flash(err.message, "error")
    else:
        flash(f"已删除现场照片：{removed.filename}")
    return redirect(url_for("pages.task_page", task_id=task_id, draft="restore") + "#photos")
