"""Queries over a case's uploaded files (``attachments``)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.tables.attachments import Attachment


def attachments_of(session: Session, case_id: int) -> Sequence[Attachment]:
    return session.scalars(select(Attachment).where(Attachment.case_id == case_id)
                           .order_by(Attachment.uploaded_at, Attachment.id)).all()


def get_attachment(session: Session, attachment_id: str) -> Attachment:
    found = session.get(Attachment, attachment_id) if len(attachment_id) == 32 else None
    if found is None:
        raise NotFound("attachment_not_found", "附件不存在", attachment_id=attachment_id[:40])
    return found
