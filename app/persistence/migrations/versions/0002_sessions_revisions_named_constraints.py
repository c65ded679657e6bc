"""From the release before migrations to the first with them: browser sessions and failed
attempts kept in the database, a revision on each saved workflow (a save is made only at the
revision its step read), incidents without a case (a refused registration), and every constraint
named by the models' naming convention (``pk_users``, ``uq_users_username``,
``fk_tasks_case_id``), the same on SQLite and PostgreSQL.

On PostgreSQL the constraints are renamed in place. SQLite cannot rename a constraint: every
table of 0001 is rebuilt (batch mode) with its unnamed constraints named; the tasks' two inbox
indexes on an expression, which SQLite's reflection cannot carry over, and the audit trail's
append-only triggers, which go with their table, are made again after the rebuild.

Downgrading puts the columns and the names of 0001 back on PostgreSQL (SQLite keeps the names,
which 0001's code never reads); it fails if an incident without a case exists.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: the models' naming convention, as it was when this migration was written
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

#: the tables of 0001, parents first
TABLES_OF_0001 = (
    "audit_events", "case_number_counters", "idempotency_records", "incidents", "process_models",
    "process_versions", "users", "api_tokens", "cases", "process_model_revisions", "case_items",
    "clock_suspensions", "process_model_deployments", "project_stages", "projects", "rule_decisions",
    "supplement_notices", "tasks", "workflow_states",
)

#: PostgreSQL's names for the constraints 0001 left unnamed → the convention's
POSTGRES_RENAMES = (
    ("api_tokens", "api_tokens_pkey", "pk_api_tokens"),
    ("api_tokens", "api_tokens_token_hash_key", "uq_api_tokens_token_hash"),
    ("api_tokens", "api_tokens_user_id_fkey", "fk_api_tokens_user_id"),
    ("audit_events", "audit_events_pkey", "pk_audit_events"),
    ("audit_events", "audit_events_hash_key", "uq_audit_events_hash"),
    ("case_items", "case_items_pkey", "pk_case_items"),
    ("case_items", "case_items_case_id_fkey", "fk_case_items_case_id"),
    ("case_number_counters", "case_number_counters_pkey", "pk_case_number_counters"),
    ("cases", "cases_pkey", "pk_cases"),
    ("cases", "cases_number_key", "uq_cases_number"),
    ("cases", "cases_parent_case_id_fkey", "fk_cases_parent_case_id"),
    ("cases", "cases_process_version_id_fkey", "fk_cases_process_version_id"),
    ("clock_suspensions", "clock_suspensions_pkey", "pk_clock_suspensions"),
    ("clock_suspensions", "clock_suspensions_case_id_fkey", "fk_clock_suspensions_case_id"),
    ("idempotency_records", "idempotency_records_pkey", "pk_idempotency_records"),
    ("incidents", "incidents_pkey", "pk_incidents"),
    ("process_model_deployments", "process_model_deployments_pkey", "pk_process_model_deployments"),
    ("process_model_deployments", "process_model_deployments_process_version_id_fkey",
     "fk_process_model_deployments_process_version_id"),
    ("process_model_deployments", "process_model_deployments_revision_id_fkey",
     "fk_process_model_deployments_revision_id"),
    ("process_model_revisions", "process_model_revisions_pkey", "pk_process_model_revisions"),
    ("process_model_revisions", "process_model_revisions_model_id_fkey", "fk_process_model_revisions_model_id"),
    ("process_models", "process_models_pkey", "pk_process_models"),
    ("process_models", "process_models_name_key_key", "uq_process_models_name_key"),
    ("process_models", "process_models_process_id_key", "uq_process_models_process_id"),
    ("process_versions", "process_versions_pkey", "pk_process_versions"),
    ("project_stages", "project_stages_pkey", "pk_project_stages"),
    ("project_stages", "project_stages_case_id_fkey", "fk_project_stages_case_id"),
    ("projects", "projects_pkey", "pk_projects"),
    ("projects", "projects_case_id_fkey", "fk_projects_case_id"),
    ("rule_decisions", "rule_decisions_pkey", "pk_rule_decisions"),
    ("rule_decisions", "rule_decisions_case_id_fkey", "fk_rule_decisions_case_id"),
    ("supplement_notices", "supplement_notices_pkey", "pk_supplement_notices"),
    ("supplement_notices", "supplement_notices_case_id_fkey", "fk_supplement_notices_case_id"),
    ("tasks", "tasks_pkey", "pk_tasks"),
    ("tasks", "tasks_case_id_fkey", "fk_tasks_case_id"),
    ("users", "users_pkey", "pk_users"),
    ("users", "users_username_key", "uq_users_username"),
    ("workflow_states", "workflow_states_pkey", "pk_workflow_states"),
    ("workflow_states", "workflow_states_case_id_fkey", "fk_workflow_states_case_id"),
    ("workflow_states", "workflow_states_process_version_id_fkey", "fk_workflow_states_process_version_id"),
)

#: the inbox's indexes on an expression (SQLite's reflection drops them from a rebuilt table)
TASK_EXPRESSION_INDEXES: dict[str, list[Any]] = {
    "ix_tasks_inbox": ["status", "role", "department", sa.text("(due_at IS NULL)"), "due_at", "created_at",
                       "id", "claimed_by", "case_id"],
    "ix_tasks_holder": ["claimed_by", "status", "role", "department", sa.text("(due_at IS NULL)"), "due_at",
                        "created_at", "id", "case_id"],
}

SQLITE_AUDIT_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _name_sqlite_constraints()
    else:
        for table, old, new in POSTGRES_RENAMES:
            op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{old}" TO "{new}"')
        with op.batch_alter_table("incidents") as batch_op:
            batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        with op.batch_alter_table("workflow_states") as batch_op:
            batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id"),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_last_seen_at", "web_sessions", ["last_seen_at"])
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "failed_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_failed_attempts"),
    )
    op.create_index("ix_failed_attempts_at", "failed_attempts", ["at"])
    op.create_index("ix_failed_attempts_client", "failed_attempts", ["scope", "client", "at"])


def _name_sqlite_constraints() -> None:
    for table in TABLES_OF_0001:
        with op.batch_alter_table(table, recreate="always", naming_convention=NAMING_CONVENTION) as batch_op:
            if table == "incidents":
                batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
            if table == "workflow_states":
                batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    for name, columns in TASK_EXPRESSION_INDEXES.items():
        op.create_index(name, "tasks", columns)
    for statement in SQLITE_AUDIT_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_failed_attempts_client", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_at", table_name="failed_attempts")
    op.drop_table("failed_attempts")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_index("ix_web_sessions_last_seen_at", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("workflow_states", naming_convention=NAMING_CONVENTION) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("incidents", naming_convention=NAMING_CONVENTION) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    if op.get_bind().dialect.name != "sqlite":
        for table, old, new in POSTGRES_RENAMES:
            op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{new}" TO "{old}"')
