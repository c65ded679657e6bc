"""How many tasks are ready per role and department, kept by the database itself (SQLite).

The inbox's 部门待办 total is the department's whole queue less what the reader holds. Counted,
it is a walk over the queue index, one entry per ready task (0.45 ms for 10,000 on the 2-core
machine), on every inbox page. On SQLite the count is kept instead: triggers on ``tasks``
(migration 0012) add or take one on every insert, delete and change of status, role or
department, in the transaction that makes the change, so the row is right whenever a
reader can see it, whoever wrote the task and however. SQLite's writers queue for the one
database lock anyway, so the row costs no waiting.

PostgreSQL has the table but no triggers and never reads it: there, one row per department
written by every step would make the department's steps wait on each other until commit,
and the queue is counted from the index as before.
"""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base

#: the triggers migration 0012 makes on SQLite (``oneseal db check`` requires them there)
QUEUE_COUNT_TRIGGERS = ("tasks_queue_count_insert", "tasks_queue_count_delete", "tasks_queue_count_update")


class TaskQueueCount(Base):
    __tablename__ = "task_queue_counts"

    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    ready: Mapped[int] = mapped_column(Integer, default=0)
