"""Tables of construction projects (工程建设项目): the project and its stages."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class Project(Base):
    """A construction project (工程建设项目) registered as a case of kind ``project``."""

    __tablename__ = "projects"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(200))
    #: other facts of the project the window recorded (项目代码, 总投资, 建筑面积…), as text
    details: Mapped[dict[str, Any]]


class ProjectStage(Base):
    """One stage of a project: its limit as registered, and when it ran (阶段时限)."""

    __tablename__ = "project_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    lead: Mapped[str] = mapped_column(String(64))
    limit_days: Mapped[int] = mapped_column(Integer)
    #: the day the lead section accepted the stage: its clock starts (that day not counted)
    started_on: Mapped[date | None]
    #: while the stage runs, the case's ``due_date`` (moved by suspensions); kept when it ends
    due_date: Mapped[date | None]
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    concluded_at: Mapped[datetime | None]
    #: ``passed`` | ``rejected`` | ``not_accepted``
    outcome: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (UniqueConstraint("case_id", "stage", name="uq_project_stage"),)
