"""Process models, their immutable revisions, and which deployed versions came from which."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, undefer

from app.domain.errors import NotFound
from app.persistence.models import (
    ProcessModel,
    ProcessModelDeployment,
    ProcessModelRevision,
    ProcessVersion,
)


def get_model(session: Session, model_id: int, *, for_update: bool = False) -> ProcessModel:
    query = select(ProcessModel).where(ProcessModel.id == model_id)
    model = session.scalar(query.with_for_update() if for_update else query)
    if model is None:
        raise NotFound("process_model_not_found", f"流程模型 {model_id} 不存在", model_id=model_id)
    return model


def model_by_name_key(session: Session, name_key: str) -> ProcessModel | None:
    return session.scalar(select(ProcessModel).where(ProcessModel.name_key == name_key))


def model_for_process(session: Session, process_id: str) -> ProcessModel | None:
    return session.scalar(select(ProcessModel).where(ProcessModel.process_id == process_id))


def all_models(session: Session) -> list[ProcessModel]:
    return list(session.scalars(select(ProcessModel).order_by(ProcessModel.id)))


def get_revision(session: Session, model_id: int, version: int, *, with_content: bool = False) -> ProcessModelRevision:
    query = select(ProcessModelRevision).where(ProcessModelRevision.model_id == model_id,
                                               ProcessModelRevision.version == version)
    if with_content:
        query = query.options(undefer(ProcessModelRevision.content))
    revision = session.scalar(query)
    if revision is None:
        raise NotFound("process_model_version_not_found", f"流程模型 {model_id} 没有第 {version} 版",
                       model_id=model_id, version=version)
    return revision


def revisions(session: Session, model_id: int) -> list[ProcessModelRevision]:
    """Every revision of a model, newest first, without their content."""
    return list(session.scalars(select(ProcessModelRevision).where(ProcessModelRevision.model_id == model_id)
                                .order_by(ProcessModelRevision.version.desc())))


def latest_revisions(session: Session) -> dict[int, ProcessModelRevision]:
    """The newest revision of every model, by model id, without content."""
    newest = (select(ProcessModelRevision.model_id, func.max(ProcessModelRevision.version).label("version"))
              .group_by(ProcessModelRevision.model_id).subquery())
    rows = session.scalars(select(ProcessModelRevision).join(
        newest, (ProcessModelRevision.model_id == newest.c.model_id)
        & (ProcessModelRevision.version == newest.c.version)))
    return {row.model_id: row for row in rows}


def revision_with_hash(session: Session, model_id: int, content_hash: str) -> ProcessModelRevision | None:
    return session.scalar(select(ProcessModelRevision).where(
        ProcessModelRevision.model_id == model_id, ProcessModelRevision.content_hash == content_hash)
        .order_by(ProcessModelRevision.version.desc()).limit(1))


def next_version(session: Session, model_id: int) -> int:
    current = session.scalar(select(func.max(ProcessModelRevision.version))
                             .where(ProcessModelRevision.model_id == model_id))
    return (current or 0) + 1


def deployments(session: Session, revision_ids: list[int]) -> dict[int, list[ProcessVersion]]:
    """The deployed process versions made from each of the given revisions."""
    found: dict[int, list[ProcessVersion]] = {rid: [] for rid in revision_ids}
    if not revision_ids:
        return found
    rows = session.execute(select(ProcessModelDeployment.revision_id, ProcessVersion)
                           .join(ProcessVersion, ProcessVersion.id == ProcessModelDeployment.process_version_id)
                           .where(ProcessModelDeployment.revision_id.in_(revision_ids))
                           .options(defer(ProcessVersion.bpmn_xml))
                           .order_by(ProcessVersion.id))
    for revision_id, version in rows:
        found[revision_id].append(version)
    return found


def revision_of_version(session: Session, process_version_id: int) -> int | None:
    return session.scalar(select(ProcessModelDeployment.revision_id)
                          .where(ProcessModelDeployment.process_version_id == process_version_id))


def link_deployment(session: Session, process_version_id: int, revision_id: int) -> None:
    if revision_of_version(session, process_version_id) is None:
        session.add(ProcessModelDeployment(process_version_id=process_version_id, revision_id=revision_id))
        session.flush()


def get_revision_by_id(session: Session, revision_id: int) -> ProcessModelRevision:
    """A version by its row id, with its bytes."""
    revision = session.scalar(select(ProcessModelRevision).where(ProcessModelRevision.id == revision_id)
                              .options(undefer(ProcessModelRevision.content)))
    if revision is None:
        raise NotFound("model_version_not_found", "模型版本不存在", revision_id=revision_id)
    return revision
