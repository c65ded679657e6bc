"""Sandboxes: a throwaway database per scenario, holding what the bureau runs on now.

A sandbox holds the deployed process versions (copied row for row, so their ids and pins are
the production ones) or a draft deployed on top of them, the demo users of every role and
department, and nothing else: no case, no person, no audit event of production. The catalogue,
rules and working-day calendar are the running service's own, already loaded; the clock is the
scenario's, starting on a Monday at 09:30 (Beijing time) as in the suite, moved only by the
scenario's own steps.

Making one must be quick (target ≤ 300 ms). The first sandbox of a given state (the set of
deployed versions, the draft) builds a template SQLite file; every scenario then starts on a
copy of it, with the parsed diagrams shared. The sandbox's database is always a new file under
the factory's own folder, never the service's database: :func:`open_sandbox` refuses otherwise.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.domain.timing.clock import FixedClock
from app.domain.errors import InvalidInput
from app.persistence.processes import versions as process_versions
from app.persistence.audit.chain import append_event
from app.persistence.engine.db import Database
from app.persistence.models import ProcessModelRevision, ProcessVersion
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes import deployed
from app.services.runtime import Runtime
from app.workflow.definitions import ProcessDefinition
from app.workflow.engine import WorkflowEngine
from app.workflow.expressions.evaluator import PARSE_LOCK

#: the scenario's clock at the start: Monday 2 March 2026, 09:30 Beijing time; one second per reading
SANDBOX_START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
SANDBOX_PASSWORD = "sandbox-only-password"
#: on a sandbox's app: how deep it is (1: a run of the service's library; 2: a run that scenario started)
SANDBOX_FLAG = "ONESEAL_SANDBOX_DEPTH"
#: templates kept at once (one per state of the deployed processes and draft)
TEMPLATES_KEPT = 4
_VERSION_COLUMNS = ("id", "process_id", "name", "version", "content_hash", "filename", "bpmn_xml", "author",
                    "comment", "created_at", "calls")


class SandboxRefused(InvalidInput):
    """A sandbox that would not be throwaway (its database the service's own) is never opened."""


@dataclass
class Draft:
    """A model version tried instead of what is deployed of its process."""

    revision_id: int
    model_id: int
    version: int
    process_id: str
    content: bytes
    filename: str

    @classmethod
    def of(cls, revision: ProcessModelRevision) -> Draft:
        if revision.process_id is None:
            raise InvalidInput("draft_not_executable", "此模型版本没有可执行的主流程，不能用于场景运行")
        return cls(revision.id, revision.model_id, revision.version, revision.process_id, revision.content,
                   f"model-{revision.model_id}-v{revision.version}.bpmn")


@dataclass
class SandboxBase:
    """What every sandbox of one state starts from."""

    fingerprint: str
    template: Path
    #: process id → {"id", "version", "name"} of what the sandbox runs (a draft included)
    versions: dict[str, dict[str, Any]]
    #: content hash → XML of the versions made in the sandbox only (a draft), for drawing paths
    draft_xml: dict[str, str] = field(default_factory=dict)
    #: parsed diagrams by version id, shared by the sandboxes of this state
    by_version: dict[int, ProcessDefinition] = field(default_factory=dict)


@dataclass
class Sandbox:
    app: Any
    db: Database
    runtime: Runtime
    path: Path


def _copy_version(version: ProcessVersion) -> ProcessVersion:
    return ProcessVersion(**{name: getattr(version, name) for name in _VERSION_COLUMNS})


class SandboxFactory:
    """Makes sandboxes for one running service (its runtime), in a folder of its own."""

    def __init__(self, runtime: Runtime, service_url: str, folder: Path | None = None, *, depth: int = 1) -> None:
        self.runtime = runtime
        #: 1 for the service's own runs; a scenario that runs the library makes sandboxes of depth 2
        self.depth = depth
        self.service_url = service_url
        self.folder = Path(folder or tempfile.mkdtemp(prefix="oneseal-sandboxes-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._bases: OrderedDict[str, SandboxBase] = OrderedDict()
        self._lock = threading.Lock()

    # -- the state a run starts from

    def prepare(self, session: Session, draft: Draft | None = None) -> SandboxBase:
        """The template of what ``session``'s database has deployed now (plus ``draft``)."""
        rows: dict[int, ProcessVersion] = {}
        for latest in process_versions.latest_versions(session):
            for version in deployed.pinned_versions(session, latest):
                rows[version.id] = version
        digest = hashlib.sha256(json.dumps(sorted((v.id, v.content_hash) for v in rows.values())).encode())
        if draft is not None:
            digest.update(hashlib.sha256(draft.content).digest())
            digest.update(draft.process_id.encode())
        fingerprint = digest.hexdigest()[:32]
        with self._lock:
            base = self._bases.get(fingerprint)
            if base is not None and base.template.exists():
                self._bases.move_to_end(fingerprint)
                return base
            base = self._build(fingerprint, list(rows.values()), draft)
            self._bases[fingerprint] = base
            while len(self._bases) > TEMPLATES_KEPT:
                _, old = self._bases.popitem(last=False)
                old.template.unlink(missing_ok=True)
            return base

    def _settings(self, url: str) -> Any:
        return replace(self.runtime.settings, database_url=url, instance_dir=self.folder,
                       reports_dir=self.folder / "reports", secret_key="sandbox-" + uuid.uuid4().hex,
                       password_method="pbkdf2:sha256:1000", demo_password=SANDBOX_PASSWORD, testing=True)

    def _runtime(self, url: str, clock: FixedClock, by_version: dict[int, ProcessDefinition]) -> Runtime:
        base = self.runtime
        return replace(base, settings=self._settings(url), clock=clock,
                       engine=WorkflowEngine(base.definitions.evaluator, clock.now, cache_size=32),
                       by_version=by_version)

    def _build(self, fingerprint: str, rows: list[ProcessVersion], draft: Draft | None) -> SandboxBase:
        template = self.folder / f"template-{fingerprint}.db"
        building = self.folder / f"building-{uuid.uuid4().hex}.db"
        url = f"sqlite:///{building}"
        self._refuse_service_database(url)
        by_version = {v.id: self.runtime.by_version[v.id] for v in rows if v.id in self.runtime.by_version}
        runtime = self._runtime(url, FixedClock(SANDBOX_START), by_version)
        db = Database(url)
        draft_xml: dict[str, str] = {}
        try:
            db.create_schema()
            with db.unit_of_work() as session:
                for row in sorted(rows, key=lambda v: v.id):
                    session.add(_copy_version(row))
                    session.flush()
                    # the sandbox's trail starts as the service's did: with its processes deployed
                    append_event(session, occurred_at=runtime.clock.now(), actor=SYSTEM.username,
                                 action="model_deployed", element_id=row.process_id,
                                 after={"process_id": row.process_id, "version": row.version,
                                        "hash": row.content_hash, "calls": dict(row.calls),
                                        "comment": "载入场景沙箱"})
                load_demo(session, runtime, SANDBOX_PASSWORD, with_cases=False)
                if draft is not None:
                    known = {v.id for v in rows}
                    deployed.deploy(session, runtime, SYSTEM, filename=draft.filename, content=draft.content,
                                    process_id=draft.process_id, comment="场景试运行的草稿",
                                    reuse_any_version=False)
                    for version in process_versions.all_versions(session):
                        if version.id not in known:
                            draft_xml[version.content_hash] = version.bpmn_xml
                versions = {v.process_id: {"id": v.id, "version": v.version, "name": v.name}
                            for v in process_versions.latest_versions(session)}
        finally:
            db.dispose()
        building.replace(template)
        return SandboxBase(fingerprint, template, versions, draft_xml, by_version)

    def _refuse_service_database(self, url: str) -> None:
        if url == self.service_url or not url.startswith(f"sqlite:///{self.folder}"):
            raise SandboxRefused("sandbox_not_isolated", "场景沙箱必须是独立的临时数据库，不能使用正式数据库")

    # -- one sandbox

    @contextmanager
    def open(self, base: SandboxBase, start: datetime = SANDBOX_START) -> Iterator[Sandbox]:
        """A fresh copy of ``base``'s template with an app of its own; deleted afterwards."""
        from app import create_app

        path = self.folder / f"sandbox-{uuid.uuid4().hex}.db"
        url = f"sqlite:///{path}"
        self._refuse_service_database(url)
        shutil.copyfile(base.template, path)
        clock = FixedClock(start, step=timedelta(seconds=1))
        runtime = self._runtime(url, clock, base.by_version)
        with PARSE_LOCK:  # Flask compiles each rule with Python's parser: not in two threads at once
            app = create_app(runtime.settings, clock=clock, warm=False, runtime=runtime)
        app.config[SANDBOX_FLAG] = self.depth  # how deep scenarios running here may still run the library
        db: Database = app.extensions["oneseal"].db
        try:
            yield Sandbox(app, db, runtime, path)
        finally:
            db.dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        """Remove every template and the folder (the service is stopping)."""
        with self._lock:
            self._bases.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
