"""Deployed process versions and the definitions the engine runs.

A deployed version is immutable and complete: it pins the version of every process it calls
(``callActivity``), resolved to the latest deployed version at deployment. Deploying a new
version of a called process re-pins its callers in new versions of their own, so new cases
pick the change up while running cases stay on exactly what they started with.
"""
from __future__ import annotations

import hashlib
import json
from functools import partial
from pathlib import Path

from lxml import etree
from sqlalchemy.orm import Session

from app.domain.bureau.catalogue import Catalogue
from app.domain.errors import InvalidInput, NotFound
from app.domain.design.findings import errors_in
from app.persistence.processes import models as process_models
from app.persistence.processes import versions as process_versions
from app.persistence.audit.chain import append_event
from app.persistence.engine.commit_hooks import after_commit
from app.persistence.models import ProcessVersion
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.workflow.checking import model_checks
from app.workflow.definitions import (
    DefinitionError,
    Document,
    ProcessDefinition,
    called_process_ids,
    element_names,
)
from app.workflow.checking.safe_xml import parse_untrusted

MAX_CALL_DEPTH = 8


def check_executable(root: etree._Element, process_id: str, definition: ProcessDefinition,
                     catalogue: Catalogue | None) -> None:
    """The pipeline's executable checks (fan-outs, catalogue items, lanes); raise on the first error."""
    names = element_names(root)
    main = next((p for p in model_checks.executable_processes(root) if p.get("id") == process_id), None)
    findings = model_checks.lane_findings(definition)
    if main is not None:
        findings += model_checks.executable_findings(root, main, names, catalogue)
    problems = errors_in(findings)
    if problems:
        first = problems[0]
        raise DefinitionError(first.code, first.message, element_id=first.element_id,
                              element_name=first.element_name, problems=[p.message for p in problems])


def pinned_versions(session: Session, version: ProcessVersion) -> list[ProcessVersion]:
    """The version and, transitively, the versions it pins."""
    found, pending, seen = [version], list(version.calls.values()), {version.id}
    while pending:
        called = session.get(ProcessVersion, pending.pop())
        if called is None or called.id in seen:
            continue
        seen.add(called.id)
        found.append(called)
        pending.extend(called.calls.values())
    return found


def document_of(version: ProcessVersion) -> Document:
    return Document(version.filename, version.bpmn_xml.encode("utf-8"))


def version_documents(session: Session, version: ProcessVersion) -> list[Document]:
    """The version's own file and, transitively, the files of the versions it pins."""
    return [document_of(v) for v in pinned_versions(session, version)]


def compile_version(session: Session, runtime: Runtime, version: ProcessVersion) -> ProcessDefinition:
    """The definition of a stored version: from the cache, or parsed once on a miss."""
    definition = runtime.by_version.get(version.id)
    if definition is None:
        definition = runtime.by_version[version.id] = runtime.definitions.compile(
            version_documents(session, version), version.process_id)
    return definition


def definition_for(session: Session, runtime: Runtime, version_id: int) -> ProcessDefinition:
    """The definition a case runs on, without loading the stored XML when it is cached."""
    definition = runtime.by_version.get(version_id)
    if definition is None:
        version = session.get(ProcessVersion, version_id)
        if version is None:
            raise DefinitionError("process_version_missing", "办件所用的流程版本不存在", version_id=version_id)
        definition = compile_version(session, runtime, version)
    return definition


def _pin_calls(session: Session, filename: str, process_id: str, called: list[str]) -> dict[str, int]:
    """Resolve each called process to its latest deployed version; refuse call cycles."""
    calls: dict[str, int] = {}
    for target in called:
        try:
            version = process_versions.latest_version(session, target)
        except NotFound:
            raise DefinitionError("called_process_missing",
                                  f"调用活动引用的子流程“{target}”尚未部署，请先部署该子流程",
                                  file=filename, called=target) from None
        calls[target] = version.id
    reachable, pending = set(), list(calls.values())
    while pending:
        row = session.get(ProcessVersion, pending.pop())
        if row is None or row.id in reachable:
            continue
        reachable.add(row.id)
        if row.process_id == process_id or len(reachable) > 64:
            raise DefinitionError("called_process_cycle",
                                  f"流程“{process_id}”通过调用活动循环调用了自身", file=filename)
        pending.extend(row.calls.values())
    return calls


def _content_hash(content: bytes, calls: dict[str, int]) -> str:
    digest = hashlib.sha256(content)
    digest.update(json.dumps(calls, sort_keys=True).encode())
    return digest.hexdigest()


def deploy(session: Session, runtime: Runtime, actor: Actor, *, filename: str, content: bytes,
           process_id: str, comment: str = "", model_revision_id: int | None = None,
           reuse_any_version: bool = True) -> ProcessVersion:
    """Store a new immutable version unless identical content (and pins) is already deployed.

    With ``reuse_any_version`` any earlier version with the same content is returned (the
    shipped diagrams: deploying them again changes nothing); without it only the latest is,
    so deploying an older model version again makes it the latest (a rollback).
    ``model_revision_id`` records the process model version the content comes from.
    """
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("bpmn_not_utf8", "流程文件必须为 UTF-8 编码", file=filename) from None
    root = parse_untrusted(content, filename=filename)
    calls = _pin_calls(session, filename, process_id, called_process_ids(root))
    digest = _content_hash(content, calls)
    existing = process_versions.find_by_hash(session, process_id, digest)
    if existing is not None and not reuse_any_version \
            and existing.id != process_versions.latest_version(session, process_id).id:
        existing = None
    if existing is not None:
        if model_revision_id is not None:
            process_models.link_deployment(session, existing.id, model_revision_id)
        return existing
    documents = [Document(filename, content)]
    for called_id in calls.values():
        called = session.get(ProcessVersion, called_id)
        assert called is not None  # just resolved by _pin_calls
        documents.extend(version_documents(session, called))
    definition = runtime.definitions.compile(documents, process_id)
    check_executable(root, process_id, definition, runtime.catalogue)
    now = runtime.clock.now()
    version = ProcessVersion(
        process_id=process_id, name=definition.name, filename=filename,
        version=process_versions.next_version_number(session, process_id),
        content_hash=digest, bpmn_xml=text, author=actor.username, comment=comment, created_at=now,
        calls=calls)
    session.add(version)
    session.flush()
    # kept by id once the version exists for every process: a rolled-back deployment's id may be
    # given (SQLite reuses it) to another version deployed by another process
    after_commit(session, partial(runtime.by_version.__setitem__, version.id, definition))
    if model_revision_id is not None:
        process_models.link_deployment(session, version.id, model_revision_id)
    append_event(session, occurred_at=now, actor=actor.username, action="model_deployed",
                 element_id=process_id,
                 after={"process_id": process_id, "version": version.version, "hash": digest,
                        "calls": {k: v for k, v in calls.items()}, "comment": comment,
                        "model_revision": model_revision_id})
    _repin_callers(session, runtime, actor, version)
    return version


def _repin_callers(session: Session, runtime: Runtime, actor: Actor, called: ProcessVersion) -> None:
    """New versions of the processes whose latest version pins an older ``called``."""
    for caller in process_versions.latest_versions(session):
        pinned = caller.calls.get(called.process_id)
        if pinned is None or pinned == called.id:
            continue
        deploy(session, runtime, actor, filename=caller.filename,
               content=caller.bpmn_xml.encode("utf-8"), process_id=caller.process_id,
               comment=f"随子流程“{called.name}”第 {called.version} 版更新调用",
               model_revision_id=process_models.revision_of_version(session, caller.id))


def _called_by_file(paths: list[Path]) -> dict[str, list[str]]:
    return {path.stem: called_process_ids(parse_untrusted(path.read_bytes(), filename=path.name))
            for path in paths}


def shipped_in_order(processes_dir: Path) -> list[Path]:
    """The diagrams in ``processes/`` (file stem = process id), called processes first."""
    paths = {p.stem: p for p in sorted(Path(processes_dir).glob("*.bpmn"))}
    calls = _called_by_file(list(paths.values()))
    order: list[str] = []

    def visit(name: str, depth: int) -> None:
        if name in order or name not in paths:
            return
        if depth > MAX_CALL_DEPTH:
            raise DefinitionError("called_process_cycle", f"流程“{name}”的调用层级过深或循环调用",
                                  file=paths[name].name)
        for target in calls[name]:
            visit(target, depth + 1)
        order.append(name)

    for name in paths:
        visit(name, 0)
    return [paths[name] for name in order]


def warm_cache(session: Session, runtime: Runtime) -> int:
    """Parse every deployed version once at start-up, so requests never parse."""
    versions = process_versions.all_versions(session)
    for version in versions:
        compile_version(session, runtime, version)
    return len(versions)
