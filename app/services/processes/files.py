"""Validating model files without a database (``oneseal validate FILE…``).

The same pipeline as the modeler and the API; what stands for "deployed" is the set of files
given together with the shipped diagrams in ``processes/``, so a file may call a process that
another file (or a shipped diagram) defines.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from app.bureau_data.catalogue_file import load_catalogue
from app.bureau_data.projects_file import with_projects
from app.config import Settings
from app.domain.errors import OneSealError
from app.domain.design.findings import Finding, Severity
from app.services.decisions import build_evaluator
from app.workflow.definitions import (
    BPMN_NS,
    DefinitionCatalogue,
    Document,
    called_process_ids,
)
from app.workflow.checking.safe_xml import parse_untrusted
from app.workflow.checking.validation import CalledProcesses, ValidationContext, validate_model


@dataclass(frozen=True)
class FileResult:
    path: Path
    findings: list[Finding]
    #: refused before validation (unsafe, not well-formed, too large, not BPMN)
    refused: bool = False


def _index(paths: Iterable[Path]) -> dict[str, tuple[Document, list[str]]]:
    """process id → (the file that defines it, the processes that file calls)."""
    index: dict[str, tuple[Document, list[str]]] = {}
    for path in paths:
        try:
            content = path.read_bytes()
            root = parse_untrusted(content, filename=path.name)
        except (OSError, OneSealError):
            continue
        document = Document(path.name, content)
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            index.setdefault(process.get("id", ""), (document, called_process_ids(root)))
    return index


def _resolver(index: dict[str, tuple[Document, list[str]]]) -> Callable[[list[str]], CalledProcesses]:
    def resolve(called: list[str]) -> CalledProcesses:
        result = CalledProcesses()
        pending = list(called)
        while pending:
            target = pending.pop()
            if target in result.reached:
                continue
            if target not in index:
                if target in called:
                    result.missing.append(target)
                continue
            document, further = index[target]
            result.reached.add(target)
            if document not in result.documents:
                result.documents.append(document)
            pending.extend(further)
        return result
    return resolve


def validate_files(paths: list[Path], settings: Settings) -> list[FileResult]:
    notes: list[Finding] = []
    try:
        catalogue = with_projects(load_catalogue(settings.catalogue_file), settings.projects_file)
    except OneSealError as err:
        catalogue = None
        notes.append(Finding(Severity.INFO, "catalogue_unavailable", f"事项目录无法读取，未检查事项绑定：{err.message}"))
    evaluator = build_evaluator(None)[0]
    shipped = sorted(Path(settings.processes_dir).glob("*.bpmn"))
    index = _index([*paths, *shipped])
    context = ValidationContext(
        evaluator=evaluator, catalogue=catalogue, compile=DefinitionCatalogue(evaluator).build,
        resolve_calls=_resolver(index),
        callers=lambda process_id: [pid for pid, (_doc, calls) in index.items() if process_id in calls])
    results = []
    for path in paths:
        try:
            validation = validate_model(path.read_bytes(), context, path.name)
        except OneSealError as err:
            results.append(FileResult(path, list(getattr(err, "findings", [])) or [Finding.of_error(err)], True))
        else:
            results.append(FileResult(path, validation.findings + notes))
    return results
