"""Deployed process versions and the definitions the engine runs."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput
from app.domain.roles import role_for_lane
from app.persistence import process_versions
from app.persistence.audit import append_event
from app.persistence.models import ProcessVersion
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.workflow.definitions import DefinitionError, Document, ProcessDefinition


def check_executable(definition: ProcessDefinition) -> None:
    """Application-level checks on top of parsing: lanes map to roles."""
    for task in definition.human_tasks.values():
        if role_for_lane(task.lane) is None:
            raise DefinitionError(
                "task_lane_unknown",
                f"任务 {task.element_id}（{task.name}）所在泳道“{task.lane or '无'}”未对应任何角色",
                element_id=task.element_id, element_name=task.name)


def compile_version(runtime: Runtime, version: ProcessVersion) -> ProcessDefinition:
    """The definition of a stored version: from the cache, or parsed once on a miss."""
    definition = runtime.by_version.get(version.id)
    if definition is None:
        document = Document(version.filename, version.bpmn_xml.encode("utf-8"))
        definition = runtime.by_version[version.id] = runtime.definitions.compile(
            [document], version.process_id)
    return definition


def definition_for(session: Session, runtime: Runtime, version_id: int) -> ProcessDefinition:
    """The definition a case runs on, without loading the stored XML when it is cached."""
    definition = runtime.by_version.get(version_id)
    if definition is None:
        version = session.get(ProcessVersion, version_id)
        if version is None:
            raise DefinitionError("process_version_missing", "办件所用的流程版本不存在", version_id=version_id)
        definition = compile_version(runtime, version)
    return definition


def deploy(session: Session, runtime: Runtime, actor: Actor, *, filename: str, content: bytes,
           process_id: str, comment: str = "") -> ProcessVersion:
    """Store a new immutable version unless identical content is already deployed."""
    digest = hashlib.sha256(content).hexdigest()
    existing = process_versions.find_by_hash(session, process_id, digest)
    if existing is not None:
        return existing
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("bpmn_not_utf8", "流程文件必须为 UTF-8 编码", file=filename) from None
    definition = runtime.definitions.compile([Document(filename, content)], process_id)
    check_executable(definition)
    now = runtime.clock.now()
    version = ProcessVersion(
        process_id=process_id, name=definition.name, filename=filename,
        version=process_versions.next_version_number(session, process_id),
        content_hash=digest, bpmn_xml=text, author=actor.username, comment=comment, created_at=now)
    session.add(version)
    session.flush()
    append_event(session, occurred_at=now, actor=actor.username, action="model_deployed",
                 element_id=process_id,
                 after={"process_id": process_id, "version": version.version, "hash": digest,
                        "comment": comment})
    return version


def deploy_shipped(session: Session, runtime: Runtime, actor: Actor) -> list[ProcessVersion]:
    """Deploy every diagram in ``processes/`` whose content is new."""
    deployed = []
    for path in sorted(Path(runtime.settings.processes_dir).glob("*.bpmn")):
        deployed.append(deploy(session, runtime, actor, filename=path.name,
                               content=path.read_bytes(), process_id=path.stem,
                               comment="随版本发布的流程"))
    return deployed


def warm_cache(session: Session, runtime: Runtime) -> int:
    """Parse every deployed version once at start-up, so requests never parse."""
    versions = process_versions.all_versions(session)
    for version in versions:
        compile_version(runtime, version)
    return len(versions)
