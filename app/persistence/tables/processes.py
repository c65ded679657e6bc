"""The process tables: deployed process versions (what cases run on), and the designers' process
models with their revisions and which revision each deployment came from."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class ProcessVersion(Base):
    """An immutable deployed diagram. Cases point at the version they started on."""

    __tablename__ = "process_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    #: called process id → the deployed version id it was pinned to at deployment
    calls: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_process_version"),)


class ProcessModel(Base):
    """A designer's process model: a display name (unique, Chinese) and its revisions.

    ``process_id`` is the BPMN process id the model deploys, bound at its first deployment;
    no other model may deploy the same process id.
    """

    __tablename__ = "process_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    #: the name folded for comparison (NFKC, case, no spaces), so names never collide
    name_key: Mapped[str] = mapped_column(String(80), unique=True)
    process_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ProcessModelRevision(Base):
    """One uploaded or saved version of a model: immutable, the bytes exactly as received."""

    __tablename__ = "process_model_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    #: the main executable process of this version, if it has exactly one
    process_id: Mapped[str | None] = mapped_column(String(128))
    process_name: Mapped[str] = mapped_column(String(200), default="")
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    #: the validation findings at upload: [{severity, code, message, element_id, element_name, line}]
    findings: Mapped[list[Any]]

    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_revision"),)


class ProcessModelDeployment(Base):
    """Which model version a deployed process version was made from."""

    __tablename__ = "process_model_deployments"

    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), primary_key=True,
                                                    autoincrement=False)
    revision_id: Mapped[int] = mapped_column(ForeignKey("process_model_revisions.id"), index=True)
