"""The schema of the release before migrations (commit 0e509ab), exactly as its ``create_all``
and its append-only guard on the audit trail made it: constraints unnamed where that release
left them to the database (PostgreSQL's ``users_username_key``…), so that a database of that
release, stamped with this revision, is the same as one made by it.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: the audit trail is append-only: the database itself refuses an UPDATE or DELETE
AUDIT_GUARDS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table('audit_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('element_id', sa.String(length=128), nullable=True),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('hash')
    )
    op.create_index('ix_audit_action', 'audit_events', ['action', 'id'], unique=False)
    op.create_index('ix_audit_actor', 'audit_events', ['actor', 'id'], unique=False)
    op.create_index('ix_audit_case', 'audit_events', ['case_id', 'id'], unique=False)
    op.create_table('case_number_counters',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year')
    )
    op.create_table('idempotency_records',
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('actor', 'key')
    )
    op.create_table('incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'case_id', name='uq_incident_job')
    )
    op.create_table('process_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('name_key', sa.String(length=80), nullable=False),
        sa.Column('process_id', sa.String(length=128), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name_key'),
        sa.UniqueConstraint('process_id')
    )
    op.create_table('process_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('bpmn_xml', sa.Text(), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('calls', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('process_id', 'version', name='uq_process_version')
    )
    op.create_table('users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username')
    )
    op.create_index('ix_users_role_department', 'users', ['role', 'department'], unique=False)
    op.create_table('api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash')
    )
    op.create_table('cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=16), nullable=False),
        sa.Column('query_code', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=False),
        sa.Column('parent_case_id', sa.Integer(), nullable=True),
        sa.Column('item_name', sa.String(length=200), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('applicant_name', sa.String(length=200), nullable=False),
        sa.Column('applicant', sa.JSON(), nullable=False),
        sa.Column('materials', sa.JSON(), nullable=False),
        sa.Column('facts', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('result', sa.String(length=32), nullable=True),
        sa.Column('process_version_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('accepted_on', sa.Date(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('deadline_provisional', sa.Boolean(), nullable=False),
        sa.Column('deadline_state', sa.String(length=16), nullable=False),
        sa.Column('clock_suspended_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['parent_case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['process_version_id'], ['process_versions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number')
    )
    op.create_index('ix_cases_deadline', 'cases', ['deadline_state', 'due_date'], unique=False)
    op.create_index('ix_cases_department_status', 'cases', ['department', 'status'], unique=False)
    op.create_index('ix_cases_parent_case_id', 'cases', ['parent_case_id'], unique=False)
    op.create_index('ix_cases_status', 'cases', ['status'], unique=False)
    op.create_table('process_model_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.String(length=128), nullable=True),
        sa.Column('process_name', sa.String(length=200), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['process_models.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('model_id', 'version', name='uq_model_revision')
    )
    op.create_table('case_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=False),
        sa.Column('item_name', sa.String(length=200), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('stage', sa.Integer(), nullable=True),
        sa.Column('result', sa.String(length=32), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('certificate_no', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'item_code', name='uq_case_item')
    )
    op.create_index('ix_case_items_case_id', 'case_items', ['case_id'], unique=False)
    op.create_table('clock_suspensions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('days_added', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_clock_suspensions_case_id', 'clock_suspensions', ['case_id'], unique=False)
    op.create_table('process_model_deployments',
        sa.Column('process_version_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['process_version_id'], ['process_versions.id']),
        sa.ForeignKeyConstraint(['revision_id'], ['process_model_revisions.id']),
        sa.PrimaryKeyConstraint('process_version_id')
    )
    op.create_index('ix_process_model_deployments_revision_id', 'process_model_deployments', ['revision_id'], unique=False)
    op.create_table('project_stages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('lead', sa.String(length=64), nullable=False),
        sa.Column('limit_days', sa.Integer(), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('provisional', sa.Boolean(), nullable=False),
        sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'stage', name='uq_project_stage')
    )
    op.create_index('ix_project_stages_case_id', 'project_stages', ['case_id'], unique=False)
    op.create_table('projects',
        sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('case_id')
    )
    op.create_table('rule_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('element_id', sa.String(length=128), nullable=True),
        sa.Column('ruleset', sa.String(length=64), nullable=False),
        sa.Column('ruleset_version', sa.String(length=64), nullable=False),
        sa.Column('rule_id', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.String(length=64), nullable=False),
        sa.Column('decision', sa.JSON(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_rule_decisions_case_id', 'rule_decisions', ['case_id'], unique=False)
    op.create_table('supplement_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_supplement_notices_case_id', 'supplement_notices', ['case_id'], unique=False)
    op.create_table('tasks',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('element_id', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=True),
        sa.Column('project_stage', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_by', sa.String(length=64), nullable=True),
        sa.Column('decision', sa.String(length=32), nullable=True),
        sa.Column('opinion', sa.Text(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_tasks_case', 'tasks', ['case_id'], unique=False)
    op.create_index('ix_tasks_done', 'tasks', ['completed_by', 'status', 'completed_at'], unique=False)
    op.create_index('ix_tasks_holder', 'tasks', ['claimed_by', 'status', 'role', 'department', sa.text('(due_at IS NULL)'), 'due_at', 'created_at', 'id', 'case_id'], unique=False)
    op.create_index('ix_tasks_inbox', 'tasks', ['status', 'role', 'department', sa.text('(due_at IS NULL)'), 'due_at', 'created_at', 'id', 'claimed_by', 'case_id'], unique=False)
    op.create_index('ix_tasks_queue', 'tasks', ['status', 'role', 'department', 'created_at'], unique=False)
    op.create_table('workflow_states',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('process_version_id', sa.Integer(), nullable=False),
        sa.Column('serializer_version', sa.String(length=32), nullable=False),
        sa.Column('state', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['process_version_id'], ['process_versions.id']),
        sa.PrimaryKeyConstraint('case_id')
    )
    op.create_index('ix_workflow_states_next_timer_at', 'workflow_states', ['next_timer_at'], unique=False)
    for statement in AUDIT_GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('workflow_states')
    op.drop_table('tasks')
    op.drop_table('supplement_notices')
    op.drop_table('rule_decisions')
    op.drop_table('projects')
    op.drop_table('project_stages')
    op.drop_table('process_model_deployments')
    op.drop_table('clock_suspensions')
    op.drop_table('case_items')
    op.drop_table('process_model_revisions')
    op.drop_table('cases')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('process_versions')
    op.drop_table('process_models')
    op.drop_table('incidents')
    op.drop_table('idempotency_records')
    op.drop_table('case_number_counters')
    op.drop_table('audit_events')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
