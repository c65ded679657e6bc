"""The auditors' scenario library: scenarios under their own names, folders and tags, versioned.

A document is a feature (功能) with one or more scenarios; each save is a new immutable version
recording who saved it, when and why. A save is refused when someone saved in between (the
editor sends the version it started from) and for the baseline: the shipped
``tests/features`` imported read-only, refreshed with a new version when the release changes a
file. The library holds no case data; writing to it is the one thing an auditor may write.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.config import ROOT
from app.domain.errors import Conflict, InvalidInput
from app.domain.roles import Role
from app.persistence.audit import scenarios as store
from app.persistence.tables.scenarios import ScenarioDocument, ScenarioRevision
from app.scenarios.language.gherkin_text import MAX_CHARS, MAX_TAG_CHARS, MAX_TAGS, TextRefused, read_feature
from app.services.actor import Actor
from app.services.processes.modeler import version_comment
from app.services.runtime import Runtime

#: who reads the library and its runs
READERS = (Role.AUDITOR, Role.ADMIN, Role.DESIGNER)
#: who writes scenarios and runs them
WRITERS = (Role.AUDITOR, Role.ADMIN)
BASELINE_DIR = ROOT / "tests" / "features"
BASELINE_FOLDER = "基线"
BASELINE_TAG = "基线"
PROCESS_TAG = "流程:"
MAX_NAME = 80
MAX_FOLDER = 120
_NAME = re.compile(r"^[\w \-.()（）·、—《》【】，,：:]+$")
_TAG = re.compile(r"^[\w\-.:：]+$")


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def clean_name(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("scenario_name_required", "请填写场景名称（name）", field="name")
    name = " ".join(raw.split())
    if len(name) > MAX_NAME or not _NAME.match(name):
        raise InvalidInput("scenario_name_invalid", f"场景名称为不超过 {MAX_NAME} 字的文字、数字和常用标点", field="name")
    return name


def clean_folder(raw: object) -> str:
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        raise InvalidInput("scenario_folder_invalid", "文件夹应为文本，如“审批/容缺”", field="folder")
    parts = [" ".join(p.split()) for p in raw.strip().strip("/").split("/")]
    if len(raw) > MAX_FOLDER or any(not p or p in (".", "..") or not _NAME.match(p) for p in parts):
        raise InvalidInput("scenario_folder_invalid",
                           f"文件夹为不超过 {MAX_FOLDER} 字、用“/”分隔的名称（如“审批/容缺”），不能含“..”", field="folder")
    return "/".join(parts)


def clean_tags(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [t for t in re.split(r"[\s,，、]+", raw) if t]
    if not isinstance(raw, list) or len(raw) > MAX_TAGS:
        raise InvalidInput("scenario_tags_invalid", f"标签应为不超过 {MAX_TAGS} 个的列表", field="tags")
    tags = []
    for tag in raw:
        if not isinstance(tag, str):
            raise InvalidInput("scenario_tags_invalid", "每个标签应为文本", field="tags")
        tag = tag.strip().lstrip("@")
        if not tag or len(tag) > MAX_TAG_CHARS or not _TAG.match(tag):
            raise InvalidInput("scenario_tags_invalid",
                               f"标签“{tag[:20]}”无效：1 至 {MAX_TAG_CHARS} 个文字、数字或 - _ . :", field="tags")
        if tag not in tags:
            tags.append(tag)
    return tags


def clean_text(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("scenario_text_required", "请填写场景内容（text）", field="text")
    if len(raw) > MAX_CHARS:
        raise InvalidInput("scenario_too_large", f"场景文本过长：上限为 {MAX_CHARS} 个字符", field="text")
    return raw.replace("\r\n", "\n")


def _text_tags(text: str) -> list[str]:
    """The feature's own ``@tags`` (a text that does not parse has none yet)."""
    try:
        return list(read_feature(text).tags)
    except TextRefused:
        return []


def _key(folder: str, name: str) -> str:
    return _fold(f"{folder}/{name}")[:200]


def _add_revision(session: Session, runtime: Runtime, actor: Actor, document: ScenarioDocument, text: str,
                  comment: str) -> ScenarioRevision:
    revision = ScenarioRevision(document_id=document.id, version=document.current_version, text=text,
                                content_hash=hashlib.sha256(text.encode()).hexdigest(), author=actor.username,
                                comment=comment, created_at=runtime.clock.now())
    session.add(revision)
    session.flush()
    return revision


def create_document(session: Session, runtime: Runtime, actor: Actor, *, name: object, folder: object = None,
                    tags: object = None, text: object, comment: object = None) -> tuple[ScenarioDocument, ScenarioRevision]:
    actor.require(*WRITERS)
    display, place, body = clean_name(name), clean_folder(folder), clean_text(text)
    labels, note = clean_tags(tags), version_comment(comment)
    if place.split("/")[0] == BASELINE_FOLDER:
        raise InvalidInput("scenario_folder_reserved", f"“{BASELINE_FOLDER}”文件夹存放随版本发布的场景，请换一个文件夹",
                           field="folder")
    key = _key(place, display)
    if store.document_by_key(session, key) is not None:
        raise Conflict("scenario_name_taken", f"文件夹“{place or '（根）'}”中已有名为“{display}”的场景")
    now = runtime.clock.now()
    document = ScenarioDocument(name=display, name_key=key, folder=place,
                                tags=clean_tags(labels + _text_tags(body))[:MAX_TAGS], source="library",
                                baseline_path=None, current_version=1, created_by=actor.username,
                                created_at=now, updated_at=now)
    session.add(document)
    session.flush()
    return document, _add_revision(session, runtime, actor, document, body, note)


def save_version(session: Session, runtime: Runtime, actor: Actor, document_id: int, *, text: object,
                 base_version: object, name: object = None, folder: object = None, tags: object = None,
                 comment: object = None) -> tuple[ScenarioDocument, ScenarioRevision]:
    """A new version; 409 when the editor started from an older one (someone saved in between)."""
    actor.require(*WRITERS)
    body, note = clean_text(text), version_comment(comment)
    document = store.get_document(session, document_id, for_update=True)
    if document.read_only:
        raise Conflict("scenario_read_only", "随版本发布的基线场景只读：请另存为新场景后修改")
    if not isinstance(base_version, int) or isinstance(base_version, bool):
        raise InvalidInput("base_version_required", "请提供编辑所基于的版本号（base_version）", field="base_version")
    if base_version != document.current_version:
        raise Conflict("scenario_changed", f"场景已被他人保存为第 {document.current_version} 版，请刷新后再改",
                       current_version=document.current_version)
    display = clean_name(name) if name is not None else document.name
    place = clean_folder(folder) if folder is not None else document.folder
    labels = clean_tags(tags) if tags is not None else [t for t in document.tags if t not in _text_tags(
        store.get_revision(session, document.id, document.current_version).text)]
    key = _key(place, display)
    other = store.document_by_key(session, key)
    if other is not None and other.id != document.id:
        raise Conflict("scenario_name_taken", f"文件夹“{place or '（根）'}”中已有名为“{display}”的场景")
    document.name, document.folder, document.name_key = display, place, key
    document.tags = clean_tags(labels + _text_tags(body))[:MAX_TAGS]
    document.current_version += 1
    document.updated_at = runtime.clock.now()
    return document, _add_revision(session, runtime, actor, document, body, note)


@dataclass(frozen=True)
class LibraryEntry:
    document: ScenarioDocument
    #: the status of its latest finished result (None: never run)
    last_status: str | None
    last_run_id: int | None


def list_library(session: Session, actor: Actor, *, tag: str | None = None) -> list[LibraryEntry]:
    actor.require(*READERS)
    documents = [d for d in store.all_documents(session) if tag is None or tag in d.tags]
    last = store.last_results(session, [d.id for d in documents])
    return [LibraryEntry(d, last[d.id].status if d.id in last else None, last[d.id].run_id if d.id in last else None)
            for d in documents]


def document_detail(session: Session, actor: Actor, document_id: int) -> tuple[ScenarioDocument, list[ScenarioRevision]]:
    actor.require(*READERS)
    document = store.get_document(session, document_id)
    return document, store.revisions(session, document.id)


def all_tags(session: Session) -> list[str]:
    return sorted({t for d in store.all_documents(session) for t in d.tags})


def import_baseline(session: Session, runtime: Runtime, actor: Actor, folder: Path = BASELINE_DIR) -> int:
    """Import (or refresh) the shipped scenarios, read-only; the number of documents added or changed.
    A release without ``tests/features`` (an installed package) has no baseline: nothing happens."""
    actor.require(*WRITERS)
    changed = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.rglob("*.feature")):
        relative = path.relative_to(folder).as_posix()
        text = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        try:
            feature_name = read_feature(text).name or path.stem
        except TextRefused:
            feature_name = path.stem
        place = "/".join([BASELINE_FOLDER, *Path(relative).parent.parts])
        document = store.document_by_baseline(session, relative)
        now = runtime.clock.now()
        if document is None:
            name = clean_name(path.stem) if _NAME.match(path.stem) else clean_name(f"基线场景{changed + 1}")
            document = ScenarioDocument(name=name, name_key=_key(place, name), folder=place,
                                        tags=clean_tags([BASELINE_TAG, *_text_tags(text)])[:MAX_TAGS],
                                        source="baseline", baseline_path=relative, current_version=1,
                                        created_by=actor.username, created_at=now, updated_at=now)
            session.add(document)
            session.flush()
        elif store.get_revision(session, document.id, document.current_version).content_hash == digest:
            continue
        else:
            document.current_version += 1
            document.updated_at = now
        _add_revision(session, runtime, actor, document, text, f"随版本发布：{feature_name}")
        changed += 1
    return changed
