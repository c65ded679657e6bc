"""Process models for designers: upload, versions, validation, deployment, differences.

A model has a server-made id and a display name (Chinese, unique after folding width, case and
spaces; never a file name: nothing is written to disk). Each upload or save is a new immutable
version holding the bytes exactly as received and the findings of the validation pipeline.
Deploying a version validates it again (the deployed processes and the catalogue may have
changed since) and, when it has no error, stores a deployed process version through
:func:`app.services.processes.deployed.deploy`; running cases stay on the version they started on.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, InvalidInput
from app.domain.design.findings import Finding, ModelNotDeployable, Severity, as_dicts
from app.domain.roles import Role
from app.persistence.processes import models as store
from app.persistence.access.users import all_display_names
from app.persistence.processes import versions as process_versions
from app.persistence.audit.chain import append_event
from app.persistence.models import ProcessModel, ProcessModelRevision, ProcessVersion
from app.services.actor import Actor
from app.services.processes import deployed as processes
from app.services.processes import scenario_gate
from app.services.runtime import Runtime
from app.workflow.definitions import BPMN_NS, DefinitionError
from app.workflow.checking.model_diff import ModelDiff, diff_models
from app.workflow.checking.validation import (
    CalledProcesses,
    ModelValidation,
    ValidationContext,
    parse_model,
    validate_model,
)

READERS = (Role.DESIGNER, Role.AUDITOR, Role.ADMIN)
MAX_NAME = 80
MAX_COMMENT = 500
_NAME = re.compile(r"^[\w \-.()（）·、—《》【】，,]+$")


def normalize_name(raw: object) -> tuple[str, str]:
    """The display name as shown, and the key it must not share with any other model.

    The key folds full-width forms, case and every space: 县审批流程（一） and 县审批流程 (一) are one name.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("model_name_required", "请填写模型名称（name）", field="name")
    name = " ".join(raw.split())
    if len(name) > MAX_NAME:
        raise InvalidInput("model_name_too_long", f"模型名称不能超过 {MAX_NAME} 个字符", field="name")
    if not _NAME.match(name) or ".." in name or name.startswith("."):
        raise InvalidInput("model_name_invalid",
                           "模型名称只能包含文字、数字、空格和 -_.()（）·、—《》【】，，不能含路径符号（/ \\ ..）",
                           field="name")
    return name, "".join(unicodedata.normalize("NFKC", name).casefold().split())


def version_comment(raw: object) -> str:
    """A version's comment (说明): text of at most :data:`MAX_COMMENT` characters, or empty."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_COMMENT:
        raise InvalidInput("comment_invalid", f"说明应为不超过 {MAX_COMMENT} 字的文本", field="comment")
    return raw.strip()


def _filename(model: ProcessModel, version: int) -> str:
    """The server-made name of a version's file, used in messages and deployed versions."""
    return f"model-{model.id}-v{version}.bpmn"


# --------------------------------------------------------------------------- validation

def resolve_calls(session: Session, called: list[str]) -> CalledProcesses:
    """The latest deployed versions of the called processes, with what they pin in turn."""
    result = CalledProcesses()
    for target in called:
        version = process_versions.find_latest(session, target)
        if version is None:
            result.missing.append(target)
            continue
        for pinned in processes.pinned_versions(session, version):
            result.documents.append(processes.document_of(pinned))
            result.reached.add(pinned.process_id)
    return result


def validation_context(session: Session, runtime: Runtime, *, for_deployment: bool = False) -> ValidationContext:
    """Validation against what is deployed now; parsed definitions are kept only for deployment."""
    definitions = runtime.definitions
    return ValidationContext(
        evaluator=definitions.evaluator, catalogue=runtime.catalogue,
        compile=definitions.compile if for_deployment else definitions.build,
        resolve_calls=lambda called: resolve_calls(session, called),
        callers=lambda process_id: process_versions.callers_of(session, process_id))


def _binding_findings(session: Session, model: ProcessModel, validation: ModelValidation) -> list[Finding]:
    """A model deploys one process id, and no other model may deploy it."""
    process_id = validation.process_id
    if process_id is None:
        return []
    if model.process_id is not None and model.process_id != process_id:
        return [Finding(Severity.ERROR, "model_process_changed",
                        f"本模型部署的流程编号为“{model.process_id}”，此版本的主流程编号为“{process_id}”："
                        "如需另一个流程，请新建模型", process_id, validation.process_name)]
    owner = store.model_for_process(session, process_id)
    if owner is not None and owner.id != model.id:
        return [Finding(Severity.ERROR, "process_owned_by_other_model",
                        f"流程编号“{process_id}”已由模型“{owner.name}”部署，请改用该模型或更换流程编号",
                        process_id, validation.process_name)]
    return []


def _validate(session: Session, runtime: Runtime, model: ProcessModel, content: bytes, filename: str, *,
              for_deployment: bool = False) -> ModelValidation:
    """The pipeline, then the model's own rule: which process id it may deploy."""
    validation = validate_model(content, validation_context(session, runtime, for_deployment=for_deployment),
                                filename)
    validation.findings = _binding_findings(session, model, validation) + validation.findings
    return validation


def check_model(session: Session, runtime: Runtime, actor: Actor, content: bytes) -> ModelValidation:
    """Validate without storing anything (the modeler's 校验 button)."""
    actor.require(*READERS)
    return validate_model(content, validation_context(session, runtime))


# --------------------------------------------------------------------------- versions

def _store_revision(session: Session, runtime: Runtime, actor: Actor, model: ProcessModel, content: bytes,
                    validation: ModelValidation, version: int, comment: str) -> ProcessModelRevision:
    now = runtime.clock.now()
    digest = hashlib.sha256(content).hexdigest()
    revision = ProcessModelRevision(
        model_id=model.id, version=version, content=content, content_hash=digest, size=len(content),
        process_id=validation.process_id, process_name=validation.process_name[:200], author=actor.username,
        comment=comment, created_at=now, findings=as_dicts(validation.findings))
    session.add(revision)
    session.flush()
    append_event(session, occurred_at=now, actor=actor.username, action="model_uploaded",
                 element_id=validation.process_id,
                 after={"model_id": model.id, "name": model.name, "version": version, "hash": digest,
                        "size": len(content), "errors": len(validation.errors), "comment": comment})
    return revision


def create_model(session: Session, runtime: Runtime, actor: Actor, *, name: object, content: bytes,
                 comment: object = None) -> tuple[ProcessModel, ProcessModelRevision]:
    """A new model with its first version; 409 if the name is taken (also in another width or case)."""
    actor.require(Role.DESIGNER)
    display, key = normalize_name(name)
    note = version_comment(comment)
    existing = store.model_by_name_key(session, key)
    if existing is not None:
        raise Conflict("model_name_taken", f"已有名为“{existing.name}”的流程模型，请换一个名称或为它保存新版本",
                       model_id=existing.id)
    model = ProcessModel(name=display, name_key=key, process_id=None, created_by=actor.username,
                         created_at=runtime.clock.now())
    session.add(model)
    session.flush()
    validation = _validate(session, runtime, model, content, _filename(model, 1))
    return model, _store_revision(session, runtime, actor, model, content, validation, 1, note)


def add_version(session: Session, runtime: Runtime, actor: Actor, model_id: int, *, content: bytes,
                comment: object = None) -> tuple[ProcessModel, ProcessModelRevision]:
    """A new version of an existing model (the modeler's 保存)."""
    actor.require(Role.DESIGNER)
    note = version_comment(comment)
    model = store.get_model(session, model_id, for_update=True)
    version = store.next_version(session, model.id)
    validation = _validate(session, runtime, model, content, _filename(model, version))
    return model, _store_revision(session, runtime, actor, model, content, validation, version, note)


@dataclass(frozen=True)
class ModelSummary:
    model: ProcessModel
    latest: ProcessModelRevision | None
    #: the process version new cases start on, if the model's process is deployed
    deployed: ProcessVersion | None
    #: who made the model, by name (王设计, not a username)
    created_by_name: str
    deployed_by_name: str | None


def list_models(session: Session, actor: Actor) -> list[ModelSummary]:
    actor.require(*READERS)
    latest = store.latest_revisions(session)
    deployed = {v.process_id: v for v in process_versions.latest_versions(session)}
    names = all_display_names(session)
    summaries = []
    for model in store.all_models(session):
        version = deployed.get(model.process_id or "")
        summaries.append(ModelSummary(model, latest.get(model.id), version,
                                      names.get(model.created_by, "系统" if model.created_by == "system" else model.created_by),
                                      names.get(version.author, version.author) if version else None))
    return summaries


@dataclass(frozen=True)
class ModelVersions:
    model: ProcessModel
    #: newest first, each with the deployed process versions made from it
    versions: list[tuple[ProcessModelRevision, list[ProcessVersion]]]
    #: username → display name of every author and deployer
    names: dict[str, str]
    #: the process version new cases start on (当前生效), if the model's process is deployed
    active: ProcessVersion | None = None


def model_versions(session: Session, actor: Actor, model_id: int) -> ModelVersions:
    actor.require(*READERS)
    model = store.get_model(session, model_id)
    revisions = store.revisions(session, model.id)
    deployed = store.deployments(session, [r.id for r in revisions])
    active = process_versions.find_latest(session, model.process_id) if model.process_id else None
    return ModelVersions(model, [(r, deployed[r.id]) for r in revisions], all_display_names(session), active)


def version_content(session: Session, actor: Actor, model_id: int, version: int) -> tuple[ProcessModel, ProcessModelRevision]:
    """The version with its bytes exactly as uploaded."""
    actor.require(*READERS)
    model = store.get_model(session, model_id)
    return model, store.get_revision(session, model.id, version, with_content=True)


def diff_versions(session: Session, actor: Actor, model_id: int, old: int, new: int) -> ModelDiff:
    actor.require(*READERS)
    model = store.get_model(session, model_id)
    before = store.get_revision(session, model.id, old, with_content=True)
    after = store.get_revision(session, model.id, new, with_content=True)
    return diff_models(before.content, after.content)


# --------------------------------------------------------------------------- deployment

@dataclass(frozen=True)
class Deployment:
    revision: ProcessModelRevision
    deployed: ProcessVersion
    #: False when this content was already the latest deployment (nothing changed)
    created: bool
    #: the findings of the validation at deployment (warnings and notes; never an error)
    findings: list[Finding]


def deploy_version(session: Session, runtime: Runtime, actor: Actor, model_id: int, version: int,
                   comment: object = None, override_reason: object = None) -> Deployment:
    """Deploy a version of a model.

    Refused with every finding (409) while the version has an error, and while the auditors'
    scenarios for its process have not cleared it (:mod:`scenario_gate`; a failing check is
    overridden only with ``override_reason``, kept in the audit trail). Deploying the version
    that is already the latest deployment changes nothing; deploying an older one again makes
    it the latest (a rollback), in a new deployed version.
    """
    actor.require(Role.DESIGNER)
    note = version_comment(comment)
    model = store.get_model(session, model_id, for_update=True)
    revision = store.get_revision(session, model.id, version, with_content=True)
    validation = _validate(session, runtime, model, revision.content, _filename(model, version),
                           for_deployment=True)
    errors = validation.errors
    if errors or validation.process_id is None:
        raise ModelNotDeployable("model_has_errors",
                                 f"模型“{model.name}”第 {version} 版有 {len(errors)} 处错误，不能部署",
                                 validation.findings, model_id=model.id, version=version)
    scenario_gate.check_before_deploy(session, runtime, actor, revision_id=revision.id,
                                      process_id=validation.process_id, model_name=model.name, version=version,
                                      override_reason=override_reason)
    before = process_versions.find_latest(session, validation.process_id)
    deployed = processes.deploy(
        session, runtime, actor, filename=_filename(model, version), content=revision.content,
        process_id=validation.process_id, model_revision_id=revision.id, reuse_any_version=False,
        comment=note or revision.comment or f"部署模型“{model.name}”第 {version} 版")
    model.process_id = validation.process_id
    return Deployment(revision, deployed, before is None or deployed.id != before.id, validation.findings)


def deploy_shipped(session: Session, runtime: Runtime, actor: Actor) -> list[ProcessVersion]:
    """Deploy every diagram in ``processes/`` whose content is new, called processes first.

    Each becomes (or adds a version to) the model bound to its process id, named after the
    process, so designers open and edit the shipped diagrams like any other model.
    """
    deployed = []
    for path in processes.shipped_in_order(runtime.settings.processes_dir):
        model = store.model_for_process(session, path.stem) or _shipped_model(session, runtime, actor, path)
        content = path.read_bytes()
        revision = store.revision_with_hash(session, model.id, hashlib.sha256(content).hexdigest())
        if revision is None:
            version = store.next_version(session, model.id)
            validation = _validate(session, runtime, model, content, path.name, for_deployment=True)
            if validation.errors:
                first = validation.errors[0]
                raise DefinitionError(first.code, first.message, file=path.name, element_id=first.element_id,
                                      element_name=first.element_name,
                                      problems=[f.message for f in validation.errors])
            revision = _store_revision(session, runtime, actor, model, content, validation, version, "随版本发布的流程")
        deployed.append(processes.deploy(session, runtime, actor, filename=path.name, content=content,
                                         process_id=path.stem, comment="随版本发布的流程",
                                         model_revision_id=revision.id))
    return deployed


def _shipped_model(session: Session, runtime: Runtime, actor: Actor, path: Path) -> ProcessModel:
    root = parse_model(path.read_bytes(), path.name)
    process = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == path.stem), None)
    title = (process.get("name") if process is not None else None) or path.stem
    for candidate in (title, f"{title}（{path.stem}）"):
        try:
            display, key = normalize_name(candidate)
        except InvalidInput:
            continue
        if store.model_by_name_key(session, key) is None:
            model = ProcessModel(name=display, name_key=key, process_id=path.stem, created_by=actor.username,
                                 created_at=runtime.clock.now())
            session.add(model)
            session.flush()
            return model
    raise Conflict("model_name_taken", f"无法为随版本发布的流程“{path.stem}”建立模型：名称已被占用", file=path.name)
