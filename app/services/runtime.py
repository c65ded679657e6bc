"""What a running service builds once: catalogue, definitions, engine, clock.

Services receive the :class:`Runtime` plus a session and an actor for each call.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.bureau_data.calendar_file import load_calendar
from app.bureau_data.catalogue_file import load_catalogue
from app.bureau_data.certificates_file import load_templates
from app.bureau_data.projects_file import with_projects
from app.bureau_data.supervision_file import load_supervision
from app.config import Settings
from app.documents.seal_keys import SealKeeper
from app.domain.bureau.catalogue import Catalogue
from app.domain.licences.certificates import CertificateTemplates
from app.domain.timing.clock import Clock, SystemClock
from app.domain.bureau.efficiency import SupervisionPolicy
from app.domain.timing.working_days import WorkingDayCalendar
from app.rules_engine import RulesEngine, load_rules_engine
from app.services.decisions import DecisionRecorder, build_evaluator
from app.storage import BlobStore, FolderStore
from app.workflow.definitions import DefinitionCatalogue, ProcessDefinition
from app.workflow.engine import WorkflowEngine


@dataclass
class Runtime:
    settings: Settings
    catalogue: Catalogue
    definitions: DefinitionCatalogue
    engine: WorkflowEngine
    rules: RulesEngine
    calendar: WorkingDayCalendar
    clock: Clock
    decisions: DecisionRecorder
    #: the certificate template of each item that issues one (data/certificates.toml)
    certificate_templates: CertificateTemplates
    #: the bureau's seal (signing key held in memory only)
    seals: SealKeeper
    #: uploaded files' bytes (scanned materials, inspection photos)
    blobs: BlobStore
    #: deployed version id → its definition (versions are immutable, so this never goes stale)
    by_version: dict[int, ProcessDefinition] = field(default_factory=dict)
    #: the bureau's efficiency-supervision policy (``data/supervision.toml``)
    supervision: SupervisionPolicy = field(default_factory=SupervisionPolicy)
    #: called once a transaction that wrote supervision-push deliveries has committed (the Celery
    #: runner sends its scan at once; without one the worker's short poll finds them)
    push_waiters: list[Callable[[], None]] = field(default_factory=list)


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    known = {p.stem for p in settings.processes_dir.glob("*.bpmn")}
    catalogue = with_projects(load_catalogue(settings.catalogue_file, known_processes=known),
                              settings.projects_file, known)
    rules = load_rules_engine(settings.rules_dir)
    evaluator, recorder = build_evaluator(rules)
    return Runtime(
        settings=settings,
        catalogue=catalogue,
        definitions=DefinitionCatalogue(evaluator),
        engine=WorkflowEngine(evaluator, clock.now, cache_size=settings.workflow_cache),
        rules=rules,
        calendar=load_calendar(settings.calendar_file),
        clock=clock,
        decisions=recorder,
        supervision=load_supervision(settings.supervision_file),
        certificate_templates=load_templates(settings.certificates_file, catalogue),
        seals=SealKeeper(pkcs12_path=settings.seal_pkcs12, password=settings.seal_password,
                         demo_folder=settings.seal_folder, bureau_name=catalogue.bureau_name,
                         auto_create=settings.testing),
        blobs=FolderStore(settings.instance_dir / "attachments"),
    )
