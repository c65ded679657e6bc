"""Path coverage of the deployed processes: which flows and tasks the saved workflows took.

:func:`collect` reads every case's saved workflow in a database and marks, per deployed
process version, the sequence flows taken and the tasks completed. Reports of several
databases (one per scenario) merge into one; the scenario runner writes the merged report to
``coverage.json``, which ``oneseal scenarios coverage`` prints and the auditors' page draws.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from sqlalchemy.orm import Session

from app.persistence.processes import versions as process_versions
from app.persistence.models import ProcessVersion
from app.persistence.cases.workflow_states import iter_workflow_states
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime
from app.workflow.checking.coverage import DiagramOutline, outline, trace
from app.workflow.engine import SavedState

#: content hash → outline; diagrams are immutable once deployed, so entries never go stale
_OUTLINES: dict[str, DiagramOutline] = {}


def _percent(covered: int, total: int) -> str:
    return "—" if total == 0 else f"{100 * covered / total:.1f}%"


class ProcessCoverageDict(TypedDict):
    """One process's coverage as ``coverage.json`` keeps it."""

    process_id: str
    name: str
    content_hash: str
    flows: dict[str, str]
    tasks: dict[str, str]
    covered_flows: list[str]
    covered_tasks: list[str]
    cases: int


class CoverageReportDict(TypedDict):
    """``coverage.json``: every process's coverage."""

    processes: list[ProcessCoverageDict]


@dataclass
class ProcessCoverage:
    """One deployed diagram: what it holds and what the workflows exercised."""

    process_id: str
    name: str
    content_hash: str
    #: flow id → Chinese label (its name, or "source → target" by element names)
    flows: dict[str, str]
    #: activity id → name
    tasks: dict[str, str]
    covered_flows: set[str] = field(default_factory=set)
    covered_tasks: set[str] = field(default_factory=set)
    cases: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.process_id, self.content_hash)

    @property
    def flows_covered(self) -> int:
        return len(self.covered_flows & self.flows.keys())

    @property
    def tasks_covered(self) -> int:
        return len(self.covered_tasks & self.tasks.keys())

    def uncovered_flows(self) -> list[tuple[str, str]]:
        return [(fid, label) for fid, label in self.flows.items() if fid not in self.covered_flows]

    def uncovered_tasks(self) -> list[tuple[str, str]]:
        return [(tid, name) for tid, name in self.tasks.items() if tid not in self.covered_tasks]

    def figure(self) -> str:
        """``流转 10/10（100.0%），任务 5/5（100.0%）``"""
        flows, tasks = len(self.flows), len(self.tasks)
        return (f"流转 {self.flows_covered}/{flows}（{_percent(self.flows_covered, flows)}），"
                f"任务 {self.tasks_covered}/{tasks}（{_percent(self.tasks_covered, tasks)}）")

    def absorb(self, other: ProcessCoverage) -> None:
        self.covered_flows |= other.covered_flows
        self.covered_tasks |= other.covered_tasks
        self.cases += other.cases

    def to_dict(self) -> ProcessCoverageDict:
        return {"process_id": self.process_id, "name": self.name, "content_hash": self.content_hash,
                "flows": self.flows, "tasks": self.tasks, "covered_flows": sorted(self.covered_flows),
                "covered_tasks": sorted(self.covered_tasks), "cases": self.cases}

    @classmethod
    def from_dict(cls, data: ProcessCoverageDict) -> ProcessCoverage:
        return cls(process_id=data["process_id"], name=data["name"], content_hash=data["content_hash"],
                   flows=dict(data["flows"]), tasks=dict(data["tasks"]),
                   covered_flows=set(data["covered_flows"]), covered_tasks=set(data["covered_tasks"]),
                   cases=int(data["cases"]))


@dataclass
class CoverageReport:
    """Coverage per deployed process version, merged over any number of databases."""

    processes: dict[tuple[str, str], ProcessCoverage] = field(default_factory=dict)

    def add(self, entry: ProcessCoverage) -> None:
        existing = self.processes.get(entry.key)
        if existing is None:
            self.processes[entry.key] = entry
        else:
            existing.absorb(entry)

    def merge(self, other: CoverageReport) -> None:
        """Add ``other``'s figures to these; ``other`` is consumed (its entries may be reused)."""
        for entry in other.processes.values():
            self.add(entry)

    def by_process(self) -> list[ProcessCoverage]:
        return sorted(self.processes.values(), key=lambda p: (p.process_id, p.content_hash))

    def lines(self) -> list[str]:
        """The figures in Chinese, one block per process, uncovered elements by id and name."""
        out: list[str] = []
        for entry in self.by_process():
            out.append(f"{entry.name}（{entry.process_id}）：{entry.figure()}，涉及办件 {entry.cases} 件")
            out += [f"  未覆盖的流转 {fid}（{label}）" for fid, label in entry.uncovered_flows()]
            out += [f"  未覆盖的任务 {tid}（{name}）" for tid, name in entry.uncovered_tasks()]
        return out

    def to_dict(self) -> CoverageReportDict:
        return {"processes": [p.to_dict() for p in self.by_process()]}

    @classmethod
    def from_dict(cls, data: CoverageReportDict) -> CoverageReport:
        report = cls()
        for entry in data.get("processes", []):
            report.add(ProcessCoverage.from_dict(entry))
        return report


def read_report(path: Path) -> CoverageReport | None:
    """The coverage a scenario run wrote, or None when there is none yet."""
    try:
        return CoverageReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def _outline_of(version: ProcessVersion) -> DiagramOutline:
    diagram = _OUTLINES.get(version.content_hash)
    if diagram is None:
        diagram = _OUTLINES[version.content_hash] = outline(version.bpmn_xml, filename=version.filename)
    return diagram


def _empty_entry(version: ProcessVersion, diagram: DiagramOutline) -> ProcessCoverage:
    def node(element_id: str) -> str:
        return diagram.nodes.get(element_id) or element_id

    flows = {f.id: f.name or f"{node(f.source)} → {node(f.target)}" for f in diagram.flows.values()}
    return ProcessCoverage(process_id=version.process_id, name=version.name,
                           content_hash=version.content_hash, flows=flows,
                           tasks={tid: name or tid for tid, name in diagram.activities.items()})


def _owners(version: ProcessVersion, versions: dict[int, ProcessVersion]) -> dict[str, ProcessVersion]:
    """Process or subprocess id → the deployed version whose file defines it, for ``version``
    and, transitively, the versions of the processes it calls (as pinned at deployment)."""
    owners: dict[str, ProcessVersion] = {}
    pending, seen = [version], set()
    while pending:
        current = pending.pop(0)
        if current.id in seen:
            continue
        seen.add(current.id)
        for process_id in _outline_of(current).processes:
            owners.setdefault(process_id, current)
        pending += [versions[vid] for vid in (current.calls or {}).values() if vid in versions]
    return owners


def collect(session: Session, runtime: Runtime) -> CoverageReport:
    """Coverage of every deployed version by the saved workflows of this database.

    A called process is measured on its own deployed version (the one its caller pinned):
    a case of 承诺件标准流程 that runs 现场核查 adds to the coverage of 现场核查.
    """
    versions = {v.id: v for v in process_versions.all_versions(session)}
    entries = {vid: _empty_entry(v, _outline_of(v)) for vid, v in versions.items()}
    for state in iter_workflow_states(session):
        version = versions[state.process_version_id]
        owners = _owners(version, versions)
        traces = trace(runtime.engine.serializer, definition_for(session, runtime, version.id),
                       SavedState(state.state, state.serializer_version))
        touched = {version.id}
        for process_id, exercised in traces.items():
            owner = owners.get(process_id)
            if owner is None:
                continue
            diagram, entry = _outline_of(owner), entries[owner.id]
            entry.covered_flows |= diagram.flows_of(exercised.steps)
            entry.covered_tasks |= exercised.completed & diagram.activities.keys()
            touched.add(owner.id)
        for version_id in touched:
            entries[version_id].cases += 1
    report = CoverageReport()
    for entry in entries.values():
        report.add(entry)
    return report


def _measured_diagram(session: Session, runtime: Runtime, entry: ProcessCoverage) -> str | None:
    """The XML the figures were measured on: the deployed version with that content, or else
    the shipped file if it still has that content; None when neither does."""
    version = process_versions.find_by_hash(session, entry.process_id, entry.content_hash)
    if version is not None:
        return version.bpmn_xml
    shipped = Path(runtime.settings.processes_dir) / f"{entry.process_id}.bpmn"
    if shipped.is_file():
        content = shipped.read_bytes()
        if hashlib.sha256(content).hexdigest() == entry.content_hash:
            return content.decode("utf-8")
    return None


class CoverageDiagram(TypedDict):
    """What the auditors' page draws (as JSON): the measured diagram, its elements covered and not."""

    xml: str | None
    covered: list[str]
    uncovered: list[str]


@dataclass(frozen=True)
class CoverageView:
    """One process on the auditors' coverage page: its figures (``entry``), every flow and task
    as (id, label, covered), and the diagram to mark."""

    entry: ProcessCoverage
    flows: list[tuple[str, str, bool]]
    tasks: list[tuple[str, str, bool]]
    diagram: CoverageDiagram


def coverage_views(session: Session, runtime: Runtime, report: CoverageReport) -> list[CoverageView]:
    """Per process: figures, every flow and task with its state, and the diagram to mark."""
    views = []
    for entry in report.by_process():
        covered = sorted(entry.covered_flows & entry.flows.keys()) + sorted(entry.covered_tasks & entry.tasks.keys())
        views.append(CoverageView(
            entry=entry,
            flows=[(fid, label, fid in entry.covered_flows) for fid, label in entry.flows.items()],
            tasks=[(tid, name, tid in entry.covered_tasks) for tid, name in entry.tasks.items()],
            diagram={"xml": _measured_diagram(session, runtime, entry), "covered": covered,
                     "uncovered": [fid for fid, _ in entry.uncovered_flows()]
                     + [tid for tid, _ in entry.uncovered_tasks()]},
        ))
    return views
