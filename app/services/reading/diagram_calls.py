"""A case's steps on the diagram the user has open, called processes included.

A case's current step may sit inside a called process: 联合现场核查 inside 现场核查, or each
item's steps of a bundle inside 各事项并行办理. The diagram of the process the case runs has no
element for such a step, so the call activity that leads to it is marked instead (current, or
completed, like the step itself), with the number of steps open inside it; the called process's
own diagram can then be opened from the call, its steps marked the same way. Only the processes
the case's version pins (``ProcessVersion.calls``, transitively) can be opened.

Task rows say which step is open, not through which call: when the shown process calls the
same process from several places (a construction project's stages 1–3 all run 阶段审批), the
case's saved workflow says which of those calls it reached and which it finished
(:func:`call_progress`; read only then). A called process's own diagram marks the steps of
every time it was called.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy.orm import Session

from app.domain.errors import NotFound
from app.persistence.models import Case, ProcessVersion
from app.persistence.cases.workflow_states import load_state
from app.services.processes.deployed import definition_for, pinned_versions
from app.services.runtime import Runtime
from app.workflow.checking.coverage import trace
from app.workflow.definitions import BPMN_NS
from app.workflow.engine import SavedState
from app.workflow.checking.safe_xml import parse_untrusted

MAX_DEPTH = 8


@dataclass(frozen=True)
class ProcessShape:
    """What one process of a diagram file holds: its element ids and whom its calls call."""

    name: str
    elements: frozenset[str]
    #: call activity id → called process id
    calls: dict[str, str]
    #: call activity id → its own name (e.g. 立项用地规划许可 for a call of 阶段审批)
    call_names: dict[str, str]


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
        nodes = [node for node in process.iter(f"{{{BPMN_NS}}}callActivity") if node.get("id")]
        calls = {node.get("id"): (node.get("calledElement") or "").strip() for node in nodes}
        names = {node.get("id"): node.get("name") or "" for node in nodes}
        shapes[process.get("id")] = ProcessShape(process.get("name") or process.get("id"), elements, calls, names)
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


@dataclass(frozen=True)
class CallProgress:
    """The call activities of one process that a case's workflow reached, and those it finished."""

    reached: frozenset[str]
    completed: frozenset[str]


def shared_targets(shape: ProcessShape) -> set[str]:
    """Processes the shape calls from more than one call activity."""
    return {target for target, n in Counter(shape.calls.values()).items() if n > 1}


def call_progress(session: Session, runtime: Runtime, case: Case, process_id: str) -> CallProgress:
    """Which call activities of ``process_id`` the case's saved workflow reached and finished."""
    state = load_state(session, case.id)
    definition = definition_for(session, runtime, case.process_version_id)
    exercised = trace(runtime.engine.serializer, definition, SavedState(state.state, state.serializer_version))
    own = exercised.get(process_id)
    if own is None:
        return CallProgress(frozenset(), frozenset())
    return CallProgress(frozenset(target for _, target in own.steps), own.completed)


class CallMark(TypedDict):
    """A call activity of the shown diagram, the process it calls and how far the case is in it
    (``state``: active, done or None)."""

    element_id: str
    call_name: str
    process_id: str
    name: str
    state: str | None


class DiagramMarks(TypedDict):
    """What to mark on one process's diagram: steps open (with how many are open in each) and
    completed, and its calls."""

    active: list[str]
    completed: list[str]
    counts: dict[str, int]
    calls: list[CallMark]


def diagram_marks(diagrams: CaseDiagrams, process_id: str, active: Counter[str], completed: set[str],
                  progress: CallProgress | None = None) -> DiagramMarks:
    """What to mark on one process's diagram: its own steps, and each call activity by the
    steps inside what it calls (open ones win over completed ones); a process called from
    several places is placed by ``progress``."""
    shape = diagrams.shapes[process_id]
    counts = {element: n for element, n in active.items() if element in shape.elements}
    done = {element for element in completed if element in shape.elements}
    shared = shared_targets(shape) if progress is not None else set()
    calls: list[CallMark] = []
    for call, target in shape.calls.items():
        inner = diagrams.inside(target)
        running = sum(n for element, n in active.items() if element in inner)
        finished = bool(inner & completed)
        if progress is not None and target in shared:
            running = running if call in progress.reached - progress.completed else 0
            finished = call in progress.completed
        if running:
            counts[call] = counts.get(call, 0) + running
        elif finished:
            done.add(call)
        if target in diagrams.shapes:
            calls.append({"element_id": call, "call_name": shape.call_names.get(call, ""),
                          "process_id": target, "name": diagrams.shapes[target].name,
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
