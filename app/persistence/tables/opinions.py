"""常用意见: the opinions each reviewer keeps for a step, to insert with one click."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.persistence.engine.base import Base


class CommonOpinion(Base):
    """One opinion a user keeps for the steps of one name (受理, 审查, 决定 …)."""

    __tablename__ = "common_opinions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    #: the step's name as the diagrams call it
    step: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("username", "step", "text", name="uq_common_opinion"),)
