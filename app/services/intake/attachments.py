"""Scanned materials (扫描件) at the window, and any case's uploaded files read back.

The window attaches a scan (PDF, JPEG or PNG, from a file or a document camera) to a material it
received; reviewers, leaders and inspectors who may see the case read it beside the form.
Whatever name or type the browser claims, the type is found from the content, the size is
bounded, the id is made here, and a file is only ever served as what it is (never as HTML).
The bytes go to the blob store (``runtime.blobs``), the row and its audit event to the database
in the caller's transaction."""
from __future__ import annotations

import hashlib
import uuid
from typing import TypedDict

from sqlalchemy.orm import Session

from app.domain.errors import Forbidden, InvalidInput, TooLarge
from app.domain.roles import Role
from app.domain.cases.uploads import clean_name, content_type_of
from app.persistence.cases import attachments as attachment_queries
from app.persistence.tables.attachments import Attachment
from app.persistence.audit.chain import append_event
from app.services.access.visibility import load_visible_case
from app.services.actor import Actor
from app.services.runtime import Runtime

UPLOADERS = (Role.WINDOW, Role.ADMIN)
MAX_PER_CASE = 200


class AttachmentView(TypedDict):
    id: str
    material_code: str | None
    task_id: str | None
    kind: str
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: str


def view(row: Attachment) -> AttachmentView:
    return {"id": row.id, "material_code": row.material_code, "task_id": row.task_id, "kind": row.kind,
            "filename": row.filename,
            "content_type": row.content_type, "size": row.size, "uploaded_by": row.uploaded_by,
            "uploaded_at": row.uploaded_at.isoformat()}


def attach_scan(session: Session, runtime: Runtime, actor: Actor, case_id: int, material_code: object,
                filename: object, data: bytes) -> AttachmentView:
    """A scan of one of the case's materials, as the window received it."""
    actor.require_write()
    if actor.role not in UPLOADERS:
        raise Forbidden("role_not_allowed", "只有综合窗口人员可以上传材料扫描件", role=actor.role.value)
    case = load_visible_case(session, actor, case_id)
    codes = {m["code"] if isinstance(m, dict) else str(m) for m in case.materials}
    subject = runtime.catalogue.find(case.item_code)
    known = {m.code: m.name for m in subject.materials} if subject else {}
    if not isinstance(material_code, str) or material_code not in known:
        raise InvalidInput("unknown_material", "请选择扫描件对应的材料", field="material")
    if material_code not in codes:
        raise InvalidInput("material_not_received", f"材料“{known[material_code]}”尚未收取，不能上传其扫描件",
                           field="material")
    if not data:
        raise InvalidInput("file_required", "请选择要上传的文件", field="file")
    limit = runtime.settings.max_upload_bytes
    if len(data) > limit:
        raise TooLarge("file_too_large", f"文件过大，单个文件不能超过 {limit // (1024 * 1024)} MB", limit=limit)
    kind = content_type_of(data)
    if kind is None:
        raise InvalidInput("file_type_refused", "只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别）", field="file")
    if len(attachment_queries.attachments_of(session, case.id)) >= MAX_PER_CASE:
        raise InvalidInput("too_many_files", f"每件办件最多上传 {MAX_PER_CASE} 个文件", field="file")
    row = Attachment(id=uuid.uuid4().hex, case_id=case.id, material_code=material_code, kind="material",
                     filename=clean_name(filename), content_type=kind, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor.username,
                     uploaded_at=runtime.clock.now())
    # the bytes first: a transaction that then fails leaves an unreferenced file, never a row
    # pointing at nothing
    runtime.blobs.put(row.id, data)
    session.add(row)
    append_event(session, occurred_at=row.uploaded_at, actor=actor.username, action="attachment_added",
                 case_id=case.id, after={"material": known[material_code], "filename": row.filename,
                                         "content_type": kind, "size": row.size, "sha256": row.sha256})
    return view(row)


def attachments(session: Session, actor: Actor, case_id: int) -> list[AttachmentView]:
    load_visible_case(session, actor, case_id)
    return [view(row) for row in attachment_queries.attachments_of(session, case_id)]


def read_attachment(session: Session, runtime: Runtime, actor: Actor, attachment_id: str) -> tuple[AttachmentView, bytes]:
    """The file and its bytes, for those who may see its case (never designers)."""
    row = attachment_queries.get_attachment(session, attachment_id)
    load_visible_case(session, actor, row.case_id)
    return view(row), runtime.blobs.get(row.id)
