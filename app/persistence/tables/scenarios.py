"""Tables of the auditors' scenario workshop: the library of scenarios with their versions, and
the runs with a result per scenario. None of them holds case data: a run's cases live and die
in its sandbox database; only what was checked, what happened and the path taken are kept."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class ScenarioDocument(Base):
    """A scenario file (功能) of the library, under its own name and folder; its text is in its
    versions. Baseline documents are imported from the shipped ``tests/features`` and read-only."""

    __tablename__ = "scenario_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    #: the name folded for comparison (NFKC, case, no spaces), unique within its folder
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: ``审批/容缺`` (``/`` between levels); empty: the library's top
    folder: Mapped[str] = mapped_column(String(120), default="")
    #: the library's tags and the feature's own ``@tags``, without the ``@``
    tags: Mapped[list[Any]]
    #: ``library`` (written by auditors) | ``baseline`` (shipped with the release, read-only)
    source: Mapped[str] = mapped_column(String(16), default="library")
    #: for a baseline document: its path under tests/features
    baseline_path: Mapped[str | None] = mapped_column(String(300), unique=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def read_only(self) -> bool:
        return self.source == "baseline"


class ScenarioRevision(Base):
    """One saved version of a document's text: immutable; who saved it, when and why."""

    __tablename__ = "scenario_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("scenario_documents.id"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_scenario_revision"),)


class ScenarioRun(Base):
    """A run of scenarios in sandboxes: who asked, what for, against which versions, and how it went.

    ``purpose``: ``editor`` (unsaved text from the editor), ``one`` (a document), ``tag``, ``all``,
    ``gate`` (a model version checked before deployment), ``nightly``. ``status``: ``queued`` →
    ``running`` → ``passed`` | ``failed`` | ``error``.
    """

    __tablename__ = "scenario_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    #: the tag of a ``tag`` run; the document ids of a ``one`` run, as text
    selector: Mapped[str] = mapped_column(String(200), default="")
    #: the editor's text, for a run of unsaved text
    text: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: the model version run instead of the deployed process (a draft, a gate check)
    model_revision_id: Mapped[int | None] = mapped_column(ForeignKey("process_model_revisions.id"))
    #: what the sandbox held: process id → deployed version, the draft, rules and catalogue versions
    versions: Mapped[dict[str, Any]]
    #: passed / failed / error / not_run counts
    counts: Mapped[dict[str, Any]]
    #: the merged path coverage of the run (coverage.json's shape)
    coverage: Mapped[dict[str, Any]]
    #: why the run itself could not complete, in Chinese
    message: Mapped[str | None] = mapped_column(Text)
    #: a deployment over this failing gate check: why, by whom, when
    override_reason: Mapped[str | None] = mapped_column(String(500))
    overridden_by: Mapped[str | None] = mapped_column(String(64))
    overridden_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_scenario_runs_revision", "model_revision_id", "id"),)


class ScenarioRunResult(Base):
    """One scenario of a run (one row of an outline's examples): its steps as they went."""

    __tablename__ = "scenario_run_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scenario_runs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("scenario_documents.id"), index=True)
    document_version: Mapped[int | None] = mapped_column(Integer)
    feature: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    line: Mapped[int] = mapped_column(Integer)
    example: Mapped[dict[str, Any]]
    #: ``not_run`` | ``running`` | ``passed`` | ``failed`` | ``error``
    status: Mapped[str] = mapped_column(String(16))
    #: [{keyword, text, line, status, expected, actual}]
    steps: Mapped[list[Any]]
    #: process id → {"name", "content_hash", "flows": [...], "tasks": [...]}: the cases' path
    path: Mapped[dict[str, Any]]
    message: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(default=0.0)
