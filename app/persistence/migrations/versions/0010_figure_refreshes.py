"""Marks of the figures' roll-ups to compute again (figure_refreshes): a registration or an
acceptance marks its day, department and item instead of computing the rows in its own
transaction; readers and the worker compute the marked rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'figure_refreshes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_refreshes')),
    )


def downgrade() -> None:
    op.drop_table('figure_refreshes')
