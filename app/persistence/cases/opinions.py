"""Queries over 常用意见 (``common_opinions``), as plain functions taking a Session."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.persistence.engine.changes import rows_changed
from app.persistence.tables.opinions import CommonOpinion


def opinions_of(session: Session, username: str, step: str) -> Sequence[CommonOpinion]:
    return session.scalars(select(CommonOpinion).where(CommonOpinion.username == username,
                                                       CommonOpinion.step == step)
                           .order_by(CommonOpinion.id)).all()


def count_of(session: Session, username: str, step: str) -> int:
    return session.scalar(select(func.count()).select_from(CommonOpinion).where(
        CommonOpinion.username == username, CommonOpinion.step == step)) or 0


def find(session: Session, username: str, step: str, text: str) -> CommonOpinion | None:
    return session.scalar(select(CommonOpinion).where(CommonOpinion.username == username,
                                                      CommonOpinion.step == step, CommonOpinion.text == text))


def add(session: Session, username: str, step: str, text: str, at: datetime) -> CommonOpinion:
    """Keep one; the same text kept at the same moment by another request is the one returned."""
    opinion = CommonOpinion(username=username, step=step, text=text, created_at=at)
    try:
        with session.begin_nested():
            session.add(opinion)
    except IntegrityError:
        kept = find(session, username, step, text)
        assert kept is not None
        return kept
    return opinion


def remove(session: Session, username: str, opinion_id: int) -> bool:
    """Remove one of the user's own opinions; False if they have none of that id."""
    return rows_changed(session, delete(CommonOpinion).where(CommonOpinion.id == opinion_id,
                                                             CommonOpinion.username == username)) == 1
