"""The case and its record: cases and their numbers, saved workflows, the inbox's tasks, the audit
trail, idempotent answers, rule decisions, clock suspensions, notices, incidents and the items of
a bundle or project. Plain tables; behaviour lives in services and domain.

Importing this module registers every table with ``Base.metadata`` (the other subjects' tables
live in their own modules, imported here), so ``Base.metadata`` is the whole schema and the
names of all tables may be imported from here."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column


from app.persistence.tables.access import ApiToken, User  # noqa: F401  (re-exported)
from app.persistence.engine.base import NAMING_CONVENTION, Base, UTCDateTime  # noqa: F401  (re-exported)
from app.persistence.tables.processes import (  # noqa: F401  (re-exported)
    ProcessModel,
    ProcessModelDeployment,
    ProcessModelRevision,
    ProcessVersion,
)


class CaseNumberCounter(Base):
    __tablename__ = "case_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Case(Base):
    """A case (办件). ``version`` is the optimistic lock: every change increments it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    query_code: Mapped[str] = mapped_column(String(16))
    #: ``item`` (one licensing item), ``bundle`` (一件事) or ``project`` (工程建设项目)
    kind: Mapped[str] = mapped_column(String(16), default="item")
    #: the item, bundle or project type code in the catalogue
    item_code: Mapped[str] = mapped_column(String(32))
    #: the case this one follows up (a revocation opened by a failed verification)
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    item_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(64))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant: Mapped[dict[str, Any]]
    materials: Mapped[list[Any]]
    facts: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(32))
    result: Mapped[str | None] = mapped_column(String(32))
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    accepted_on: Mapped[date | None]
    due_date: Mapped[date | None]
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``normal`` | ``warning`` (预警) | ``overdue`` (超期); moved forward by the deadline checks only
    deadline_state: Mapped[str] = mapped_column(String(16), default="normal")
    #: set while the clock is stopped (退回补正, 专家评审, 听证, 整改): time limits do not run
    clock_suspended_since: Mapped[datetime | None]
    #: how the result reached the applicant, recorded when it is issued (出件, the task's
    #: ``delivery`` field): ``window`` (collected), ``post`` or ``online``
    delivery: Mapped[str] = mapped_column(String(16), default="window", server_default="window")
    #: accepted while secondary materials were missing (容缺受理); set when the clock starts
    accepted_with_gaps: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_cases_status", "status"),
        Index("ix_cases_department_status", "department", "status"),
        Index("ix_cases_deadline", "deadline_state", "due_date"),
        # the statistics (app/services/statistics): a day's figures of one department and item
        # are computed again from these, and the cases behind a figure are listed by them
        Index("ix_cases_received", "department", "item_code", "created_at"),
        Index("ix_cases_accepted", "department", "item_code", "accepted_on"),
        Index("ix_cases_concluded", "department", "item_code", "completed_at"),
        Index("ix_cases_created_at", "created_at"),
        Index("ix_cases_completed_at", "completed_at"),
    )


class WorkflowState(Base):
    """The serializer's JSON for one case, with the serializer version it was written by."""

    __tablename__ = "workflow_states"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    serializer_version: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    #: when the earliest waiting BPMN timer fires; the worker looks for due ones
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    #: moved on by every save; a save is made only at the revision its step started from
    revision: Mapped[int] = mapped_column(default=0, server_default="0")


class TaskRecord(Base):
    """Inbox projection of human tasks: ready ones for the inbox, finished ones for history."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64))
    #: ``workflow`` (a BPMN user task) or ``escalation`` (超期督办, outside the diagram)
    kind: Mapped[str] = mapped_column(String(16), default="workflow")
    #: the catalogue item the task decides, in a case of several items (一件事, 工程建设项目)
    item_code: Mapped[str | None] = mapped_column(String(32))
    #: the stage of a construction project the task belongs to (1–4)
    project_stage: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    #: who handed the task to its holder (转办) and why; cleared when the holder releases it
    transferred_by: Mapped[str | None] = mapped_column(String(64))
    transfer_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(32))
    opinion: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]

    __table_args__ = (
        Index("ix_tasks_queue", "status", "role", "department", "created_at"),  # 最新到达 order
        Index("ix_tasks_case", "case_id"),
        # The inbox (app/persistence/cases/tasks.py): each tab reads one index in its display order and
        # counts without touching the table (see scripts/bench_inbox.py).
        Index("ix_tasks_inbox", "status", "role", "department", text("(due_at IS NULL)"), "due_at",
              "created_at", "id", "claimed_by", "case_id"),
        Index("ix_tasks_holder", "claimed_by", "status", "role", "department", text("(due_at IS NULL)"),
              "due_at", "created_at", "id", "case_id"),
        Index("ix_tasks_done", "completed_by", "status", "completed_at"),
    )


class AuditEvent(Base):
    """Append-only, hash-chained record of every change (never updated nor deleted)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict[str, Any]]
    after: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the request (or job) that wrote it, as in the log lines and the ``X-Request-Id`` answered;
    #: hashed with the rest when present (see app/persistence/audit/chain.py); none for events written
    #: outside a request and for those of earlier releases
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_case", "case_id", "id"),
        Index("ix_audit_actor", "actor", "id"),
        Index("ix_audit_action", "action", "id"),
    )


class IdempotencyRecord(Base):
    """The first answer to a request sent with an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotency_records"

    actor: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class RuleDecisionRecord(Base):
    """A rules decision made for a case: which ruleset version, which rule, on which facts."""

    __tablename__ = "rule_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(128))
    ruleset: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(64))
    decision: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime]


class ClockSuspension(Base):
    """A period in which the case's time limit did not run (法定不计时)."""

    __tablename__ = "clock_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    #: working days the deadline moved when the suspension ended
    days_added: Mapped[int | None] = mapped_column(Integer)


class SupplementNotice(Base):
    """One-time notice (一次性告知): everything the applicant must supply or correct, at once."""

    __tablename__ = "supplement_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]
    #: [{"material": code, "name": Chinese name, "reason": text}]
    items: Mapped[list[Any]]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_supplement_notices_issued", "issued_at"),)


class Incident(Base):
    """Work that failed and must not be forgotten: background work that keeps failing (a
    timer, a deadline check, the delivery of an outbox message), retried until it succeeds; or
    a step refused because the diagram exceeded a limit (``step``; ``registration`` when there
    is no case yet), visible at once. Never dropped."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: none for a refused registration: the case was never created
    case_id: Mapped[int | None] = mapped_column(Integer)
    #: the outbox message whose delivery failed (kind ``outbox``); one incident per message
    outbox_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("kind", "case_id", name="uq_incident_job"),)


class CaseItem(Base):
    """One licensing item decided inside a case of several (一件事, 工程建设项目): each keeps
    its own result and certificate."""

    __tablename__ = "case_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(32))
    item_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(64))
    #: the construction-project stage the item belongs to (1–4), if any
    stage: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    certificate_no: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("case_id", "item_code", name="uq_case_item"),)



# The construction-project tables, the access tables (browser sessions, failed attempts), the
# outbox, the figures, the certificates, 常用意见 and attachments live in their own modules; importing them here registers them with
# ``Base.metadata``, so the schema is always complete.
from app.persistence.tables.access import FailedAttempt, WebSession  # noqa: E402,F401
from app.persistence.background.outbox import OutboxRow  # noqa: E402,F401
from app.persistence.tables.figures import (  # noqa: E402,F401
    DailyDuration,
    DailyFigure,
    FigureRefresh,
    MonthlyDuration,
    MonthlyFigure,
    SupervisionAlert,
    SupervisionRun,
)
from app.persistence.tables.certificates import (  # noqa: E402,F401
    Certificate,
    CertificateCounter,
    CertificateEvent,
    LicenceApplication,
    SealRecord,
)
from app.persistence.tables.opinions import CommonOpinion  # noqa: E402,F401
from app.persistence.tables.queue_counts import TaskQueueCount  # noqa: E402,F401
from app.persistence.tables.attachments import Attachment  # noqa: E402,F401
from app.persistence.tables.projects import Project, ProjectStage  # noqa: E402,F401
from app.persistence.tables.scenarios import (  # noqa: E402,F401
    ScenarioDocument,
    ScenarioRevision,
    ScenarioRun,
    ScenarioRunResult,
)
from app.persistence.tables.push import (  # noqa: E402,F401
    DeliveryAttempt,
    SupervisionDelivery,
    SupervisionEndpoint,
    SupervisionEvent,
    SupervisionFinding,
)
