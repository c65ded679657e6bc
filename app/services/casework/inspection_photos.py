"""现场照片: the inspector working an inspection step attaches the photos taken on site.

A step whose diagram declares a ``photos`` field takes them: JPEG or PNG only (found from the
content), at most ``ONESEAL_MAX_UPLOAD_BYTES`` each, ids made here, stored like the window's
scans (``runtime.blobs``, an ``attachments`` row of kind ``inspection_photo`` naming the task).
Only the one who may work the task adds photos, and only while it is open; a photo added by
mistake is taken away by its uploader before the step is done. Completing the step records
the photos in the task's data (``form_fields``); afterwards reviewers and leaders see them on
the case and task pages."""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, Forbidden, InvalidInput, TooLarge
from app.domain.cases.kinds import TaskStatus
from app.domain.cases.uploads import IMAGE_TYPES, clean_name, content_type_of
from app.persistence.cases import attachments as attachment_queries
from app.persistence.cases import tasks as task_queries
from app.persistence.tables.attachments import Attachment
from app.persistence.audit.chain import append_event
from app.persistence.cases.rows import get_case
from app.persistence.models import TaskRecord
from app.services.actor import Actor
from app.services.casework.claims import ensure_may_act, ensure_ready_for
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.workflow.task_metadata import MAX_PHOTOS, FieldSpec

PHOTO_KIND = "inspection_photo"


def photo_field(session: Session, runtime: Runtime, task: TaskRecord) -> FieldSpec | None:
    """The step's ``photos`` field, if its diagram declares one."""
    case = get_case(session, task.case_id)
    spec = definition_for(session, runtime, case.process_version_id).human_task(task.element_id)
    return next((f for f in (spec.fields if spec else ()) if f.type == "photos"), None)


def photos_of_task(session: Session, task_id: str) -> list[Attachment]:
    task = task_queries.get_task(session, task_id)
    return [row for row in attachment_queries.attachments_of(session, task.case_id)
            if row.kind == PHOTO_KIND and row.task_id == task_id]


def attach_photo(session: Session, runtime: Runtime, actor: Actor, task_id: str, filename: object,
                 data: bytes) -> Attachment:
    actor.require_write()
    task = task_queries.get_task(session, task_id)
    ensure_may_act(actor, task)
    ensure_ready_for(task, actor)
    if photo_field(session, runtime, task) is None:
        raise InvalidInput("photos_not_expected", f"“{task.name}”环节不需要上传现场照片", field="file")
    if not data:
        raise InvalidInput("file_required", "请选择要上传的照片", field="file")
    limit = runtime.settings.max_upload_bytes
    if len(data) > limit:
        raise TooLarge("file_too_large", f"照片过大，单张不能超过 {limit // (1024 * 1024)} MB", limit=limit)
    kind = content_type_of(data)
    if kind not in IMAGE_TYPES:
        raise InvalidInput("file_type_refused", "现场照片只能是 JPEG 或 PNG 图片（按文件内容识别）", field="file")
    if len(photos_of_task(session, task.id)) >= MAX_PHOTOS:
        raise InvalidInput("too_many_files", f"每个环节最多上传 {MAX_PHOTOS} 张现场照片", field="file")
    row = Attachment(id=uuid.uuid4().hex, case_id=task.case_id, task_id=task.id, material_code=None,
                     kind=PHOTO_KIND, filename=clean_name(filename, "现场照片"), content_type=kind,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor.username,
                     uploaded_at=runtime.clock.now())
    runtime.blobs.put(row.id, data)  # the bytes first: a failed transaction leaves no row pointing at nothing
    session.add(row)
    append_event(session, occurred_at=row.uploaded_at, actor=actor.username, action="inspection_photo_added",
                 case_id=task.case_id, element_id=task.element_id,
                 after={"task": task.name, "filename": row.filename, "content_type": kind, "size": row.size,
                        "sha256": row.sha256})
    return row


def remove_photo(session: Session, runtime: Runtime, actor: Actor, attachment_id: str) -> Attachment:
    """A photo added by mistake, taken away by its uploader while the step is still open."""
    actor.require_write()
    row = attachment_queries.get_attachment(session, attachment_id)
    if row.kind != PHOTO_KIND or row.task_id is None:
        raise InvalidInput("not_a_photo", "只能删除现场照片", field="file")
    task = task_queries.get_task(session, row.task_id)
    ensure_may_act(actor, task)
    if task.status != TaskStatus.READY:
        raise Conflict("task_done", "环节已办理，照片不能再删除", task_id=task.id)
    if row.uploaded_by != actor.username:
        raise Forbidden("photo_not_yours", "只能删除自己上传的照片", attachment_id=row.id)
    session.delete(row)
    append_event(session, occurred_at=runtime.clock.now(), actor=actor.username, action="inspection_photo_removed",
                 case_id=task.case_id, element_id=task.element_id,
                 after={"task": task.name, "filename": row.filename, "sha256": row.sha256})
    return row
