"""Deployed process versions (immutable rows)."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, defer

from app.domain.errors import NotFound
from app.persistence.models import ProcessVersion


#: every registration asks it: built once; the XML is read only when the version is parsed (a
#: cache miss), not with every row
_LATEST = (select(ProcessVersion).where(ProcessVersion.process_id == bindparam("b_process"))
           .order_by(ProcessVersion.version.desc()).limit(1).options(defer(ProcessVersion.bpmn_xml)))


def find_latest(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(_LATEST, {"b_process": process_id})


def latest_version(session: Session, process_id: str) -> ProcessVersion:
    row = find_latest(session, process_id)
    if row is None:
        raise NotFound("process_not_deployed", f"流程“{process_id}”尚未部署", process_id=process_id)
    return row


def find_by_hash(session: Session, process_id: str, content_hash: str) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.content_hash == content_hash))


def next_version_number(session: Session, process_id: str) -> int:
    current = session.scalar(select(func.max(ProcessVersion.version))
                             .where(ProcessVersion.process_id == process_id))
    return (current or 0) + 1


def all_versions(session: Session) -> list[ProcessVersion]:
    return list(session.scalars(select(ProcessVersion).order_by(ProcessVersion.id)))


def latest_versions(session: Session) -> list[ProcessVersion]:
    """The newest version of every deployed process (the XML is loaded when first read)."""
    newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
              .group_by(ProcessVersion.process_id).subquery())
    return list(session.scalars(select(ProcessVersion).join(
        newest, (ProcessVersion.process_id == newest.c.process_id)
        & (ProcessVersion.version == newest.c.version)).options(defer(ProcessVersion.bpmn_xml))
        .order_by(ProcessVersion.process_id)))


def callers_of(session: Session, process_id: str) -> list[str]:
    """The processes whose latest deployed version calls ``process_id``."""
    return [v.process_id for v in latest_versions(session) if process_id in v.calls]
