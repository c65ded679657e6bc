"""A case's steps on the diagram the user has open, called processes included.

A case's current step may sit inside a called process: 联合现场核查 inside 现场核查, or each
item's steps of a bundle inside 各事项并行办理. The diagram of the process the case runs has no
element for such a step, so the call activity that leads to it is marked instead (current, or
completed, like the step itself), with the number of steps open inside it; the called process's
own diagram can then be opened from the call, its steps marked the same way. Only the processes
the case's version pins (``ProcessVersion.calls``, transitively) can be opened.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.models import ProcessVersion
from app.services.processes import pinned_versions
from app.workflow.definitions import BPMN_NS
from app.workflow.safe_xml import parse_untrusted

MAX_DEPTH = 8


@dataclass(frozen=True)
class ProcessShape:
    """What one process of a diagram file holds: its element ids and whom its calls call."""

    name: str
    elements: frozenset[str]
    #: call activity id → called process id
    calls: dict[str, str]


#: content hash → the file's processes; deployed versions are immutable, so entries never go stale
_SHAPES: dict[str, dict[str, ProcessShape]] = {}


def shapes_of(version: ProcessVersion) -> dict[str, ProcessShape]:
    """Every process a deployed version's file defines (parsed once per content)."""
    shapes = _SHAPES.get(version.content_hash)
    if shapes is None:
        shapes = _SHAPES[version.content_hash] = parse_shapes(version.bpmn_xml, version.filename)
    return shapes


def parse_shapes(xml: str, filename: str) -> dict[str, ProcessShape]:
    """Every process a diagram file defines (untrusted XML, parsed safely)."""
    root = parse_untrusted(xml, filename=filename)
    shapes = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        elements = frozenset(node.get("id") for node in process.iter()
                             if isinstance(node.tag, str) and node.get("id"))
        calls = {node.get("id"): (node.get("calledElement") or "").strip()
                 for node in process.iter(f"{{{BPMN_NS}}}callActivity") if node.get("id")}
        shapes[process.get("id")] = ProcessShape(process.get("name") or process.get("id"), elements, calls)
    return shapes


@dataclass(frozen=True)
class CaseDiagrams:
    """The processes a case's version runs and calls, and the version whose file draws each."""

    main: str
    shapes: dict[str, ProcessShape]
    versions: dict[str, ProcessVersion]

    def inside(self, process_id: str, depth: int = 0) -> frozenset[str]:
        """Every element id the process holds, through the processes it calls."""
        shape = self.shapes.get(process_id)
        if shape is None or depth > MAX_DEPTH:
            return frozenset()
        found = set(shape.elements)
        for target in shape.calls.values():
            found |= self.inside(target, depth + 1)
        return frozenset(found)


def case_diagrams(session: Session, version: ProcessVersion) -> CaseDiagrams:
    shapes: dict[str, ProcessShape] = {}
    versions: dict[str, ProcessVersion] = {}
    for pinned in pinned_versions(session, version):  # the case's own version first
        for process_id, shape in shapes_of(pinned).items():
            if process_id == pinned.process_id or process_id not in shapes:
                shapes[process_id], versions[process_id] = shape, pinned
    return CaseDiagrams(version.process_id, shapes, versions)


def diagram_marks(diagrams: CaseDiagrams, process_id: str, active: Counter[str],
                  completed: set[str]) -> dict[str, Any]:
    """What to mark on one process's diagram: its own steps, and each call activity by the
    steps inside what it calls (open ones win over completed ones)."""
    shape = diagrams.shapes[process_id]
    counts = {element: n for element, n in active.items() if element in shape.elements}
    done = {element for element in completed if element in shape.elements}
    calls = []
    for call, target in shape.calls.items():
        inner = diagrams.inside(target)
        running = sum(n for element, n in active.items() if element in inner)
        if running:
            counts[call] = counts.get(call, 0) + running
        elif inner & completed:
            done.add(call)
        if target in diagrams.shapes:
            calls.append({"element_id": call, "process_id": target, "name": diagrams.shapes[target].name,
                          "state": "active" if running else "done" if call in done else None})
    return {"active": sorted(counts), "completed": sorted(done - counts.keys()),
            "counts": dict(sorted(counts.items())), "calls": calls}


def shown_process(diagrams: CaseDiagrams, wanted: str | None, case_id: int) -> str:
    """The process to draw: the case's own, or one it calls."""
    if not wanted:
        return diagrams.main
    if wanted not in diagrams.shapes:
        raise NotFound("process_not_in_case", "该办件的流程未调用此子流程", case_id=case_id,
                       process=str(wanted)[:64])
    return wanted
