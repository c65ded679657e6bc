"""Uploaded files of a case (scanned materials, inspection photos): what each is; the bytes are
in the blob store under ``id``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class Attachment(Base):
    __tablename__ = "attachments"

    #: made by the server (32 hex digits); also the blob's key
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: the material it is a scan of (its code in the catalogue); None for an inspection photo
    material_code: Mapped[str | None] = mapped_column(String(32))
    #: the task an inspection photo was taken for (its form's ``photos`` field); None for a scan
    task_id: Mapped[str | None] = mapped_column(String(36))
    #: ``material`` | ``inspection_photo``
    kind: Mapped[str] = mapped_column(String(32))
    #: the name the file had on the uploader's computer (shown, never used as a path)
    filename: Mapped[str] = mapped_column(String(200))
    #: found from the content: application/pdf, image/jpeg or image/png
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]

    __table_args__ = (Index("ix_attachments_case", "case_id"),)
