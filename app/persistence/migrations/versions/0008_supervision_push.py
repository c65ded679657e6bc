"""The approval–supervision push (监管推送): the departments' endpoints, the events pushed (the outbox),
one delivery per event and department with every attempt, and the findings supervisors push back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 13:39:48.920436
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supervision_endpoints',
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=256), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('department', name=op.f('pk_supervision_endpoints'))
    )
    op.create_table('supervision_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('licence_number', sa.String(length=48), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('finding_id', sa.String(length=36), nullable=True),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_supervision_events_case_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_events'))
    )
    with op.batch_alter_table('supervision_events', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_events_licence', ['licence_number'], unique=False)
        batch_op.create_index('ix_supervision_events_occurred', ['occurred_at'], unique=False)

    op.create_table('supervision_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('licence_number', sa.String(length=48), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['supervision_events.id'], name=op.f('fk_supervision_deliveries_event_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_deliveries')),
    sa.UniqueConstraint('event_id', 'department', name=op.f('uq_supervision_deliveries_event_id_department'))
    )
    with op.batch_alter_table('supervision_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_deliveries_due', ['state', 'available_at'], unique=False)
        batch_op.create_index('ix_supervision_deliveries_order', ['department', 'licence_number', 'id'], unique=False)

    op.create_table('supervision_findings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('licence_number', sa.String(length=48), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by', sa.String(length=80), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_supervision_findings_case_id')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_supervision_findings_certificate_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_findings')),
    sa.UniqueConstraint('case_id', name=op.f('uq_supervision_findings_case_id'))
    )
    with op.batch_alter_table('supervision_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_findings_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_findings_licence_number'), ['licence_number'], unique=False)

    op.create_table('supervision_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['supervision_deliveries.id'], name=op.f('fk_supervision_attempts_delivery_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_attempts'))
    )
    with op.batch_alter_table('supervision_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_attempts_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('supervision_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_attempts_delivery_id'))

    op.drop_table('supervision_attempts')
    with op.batch_alter_table('supervision_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_findings_licence_number'))
        batch_op.drop_index(batch_op.f('ix_supervision_findings_department'))

    op.drop_table('supervision_findings')
    with op.batch_alter_table('supervision_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_deliveries_order')
        batch_op.drop_index('ix_supervision_deliveries_due')

    op.drop_table('supervision_deliveries')
    with op.batch_alter_table('supervision_events', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_events_occurred')
        batch_op.drop_index('ix_supervision_events_licence')

    op.drop_table('supervision_events')
    op.drop_table('supervision_endpoints')
