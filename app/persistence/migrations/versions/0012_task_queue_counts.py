"""The count of ready tasks per role and department (task_queue_counts), kept on SQLite by
triggers on tasks and filled from the tasks already there; on PostgreSQL the table stays empty
and unread (see app/persistence/tables/queue_counts.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _change(sign: str, row: str, when: str = "true") -> str:
    """The statement adding ``sign``1 to the count of ``row`` (NEW or OLD)'s role and department
    when ``when`` holds (SQLite's upsert from a SELECT needs a WHERE)."""
    return (f"INSERT INTO task_queue_counts (role, department, ready) SELECT {row}.role, {row}.department, {sign}1 "
            f"WHERE {when} ON CONFLICT (role, department) DO UPDATE SET ready = ready {sign} 1;")


#: the triggers as this revision defines them (names in app/persistence/tables/queue_counts.py)
TRIGGERS = (
    "CREATE TRIGGER tasks_queue_count_insert AFTER INSERT ON tasks WHEN NEW.status = 'ready' "
    f"BEGIN {_change('+', 'NEW')} END",
    "CREATE TRIGGER tasks_queue_count_delete AFTER DELETE ON tasks WHEN OLD.status = 'ready' "
    f"BEGIN {_change('-', 'OLD')} END",
    # a change of status, role or department: out of the old count if it was ready, into the new
    # one if it is; both when a ready task moves to another department
    "CREATE TRIGGER tasks_queue_count_update AFTER UPDATE OF status, role, department ON tasks "
    "WHEN OLD.status = 'ready' OR NEW.status = 'ready' "
    "BEGIN " + _change("-", "OLD", "OLD.status = 'ready'") + " " + _change("+", "NEW", "NEW.status = 'ready'") + " END",
)
FILL = ("INSERT INTO task_queue_counts (role, department, ready) "
        "SELECT role, department, count(*) FROM tasks WHERE status = 'ready' GROUP BY role, department")


def upgrade() -> None:
    op.create_table(
        'task_queue_counts',
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('ready', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('role', 'department', name=op.f('pk_task_queue_counts')),
    )
    if op.get_bind().dialect.name == "sqlite":
        for trigger in TRIGGERS:
            op.execute(trigger)
        op.execute(FILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("tasks_queue_count_insert", "tasks_queue_count_delete", "tasks_queue_count_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('task_queue_counts')
