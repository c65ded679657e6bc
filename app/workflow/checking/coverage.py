"""Path coverage: which sequence flows and tasks of a diagram one workflow exercised.

Two halves. :func:`outline` reads a diagram file's XML (with the safe parser) into what can be
covered: its sequence flows (id, name, source, target), its activities and its other flow
nodes, embedded subprocesses included. :func:`trace` reads one saved workflow and returns, for
each process it ran (the top process, every called process, every embedded subprocess), the
steps its token took between elements and the elements it completed; the outline of the file
that defines that process turns the steps into sequence-flow ids.

A flow ``S → T`` was taken when a task of ``T`` has, as its nearest ancestor in the task tree
that stands for another BPMN element, a completed task of ``S``, and the ``T`` task was
reached (ready, waiting, started, completed). Internal tasks without a BPMN id (the library's
start and end joins, boundary-event splits) are skipped on the way up, and so are the
instances of a multi-instance or loop task, which carry their parent's id.

A cancelled task counts as reached when its parent in the tree completed: the children of a
completed task are always live (branches not taken at a gateway are removed from the tree, not
cancelled). That is how a parallel join keeps one task per arriving branch and cancels all but
the last, and how an activity interrupted by a boundary event ends; in both the token did
arrive through the flow.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.util.task import TaskState

from app.workflow.definitions import BPMN_NS, ProcessDefinition
from app.workflow.engine import SavedState
from app.workflow.checking.safe_xml import parse_untrusted
from app.workflow.serializer import StateSerializer

ACTIVITIES = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
})
FLOW_NODES = ACTIVITIES | frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
})
REACHED = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    source: str
    target: str


@dataclass(frozen=True)
class DiagramOutline:
    """What can be covered in one diagram file (every process it holds)."""

    #: ids of the processes and embedded subprocesses the file defines
    processes: frozenset[str]
    flows: dict[str, Flow]
    #: activity id → name (tasks, call activities, subprocesses): the "tasks" of the figures
    activities: dict[str, str]
    #: every flow node id → name (activities, events, gateways), for marking the diagram
    nodes: dict[str, str]
    _by_ends: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, repr=False)

    def flows_between(self, source: str, target: str) -> tuple[str, ...]:
        return self._by_ends.get((source, target), ())

    def flows_of(self, steps: Iterable[tuple[str, str]]) -> set[str]:
        """The sequence flows that ``(source, target)`` steps of a trace went along."""
        return {flow for source, target in steps for flow in self.flows_between(source, target)}


def outline(xml: str | bytes, *, filename: str = "<diagram>") -> DiagramOutline:
    """Read the flows, activities and flow nodes of a diagram (untrusted XML, parsed safely)."""
    root = parse_untrusted(xml, filename=filename)
    processes: set[str] = set()
    flows: dict[str, Flow] = {}
    activities: dict[str, str] = {}
    nodes: dict[str, str] = {}
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        local = etree.QName(node).localname
        element_id = node.get("id")
        if not element_id:
            continue
        name = node.get("name") or ""
        if local in ("process", "subProcess", "transaction", "adHocSubProcess"):
            processes.add(element_id)
        if local == "sequenceFlow":
            flows[element_id] = Flow(element_id, name, node.get("sourceRef", ""), node.get("targetRef", ""))
        elif local in FLOW_NODES:
            nodes[element_id] = name
            if local in ACTIVITIES:
                activities[element_id] = name
    by_ends: dict[tuple[str, str], tuple[str, ...]] = {}
    for flow in flows.values():
        by_ends[(flow.source, flow.target)] = (*by_ends.get((flow.source, flow.target), ()), flow.id)
    return DiagramOutline(frozenset(processes), flows, activities, nodes, by_ends)


@dataclass(frozen=True)
class Trace:
    """What one process of a workflow exercised, by BPMN element id."""

    #: (source element, target element): the token moved along a flow between them
    steps: frozenset[tuple[str, str]]
    completed: frozenset[str]


def _previous_element(task: Any) -> Any | None:
    """The nearest ancestor standing for another BPMN element (see the module docstring)."""
    own = task.task_spec.bpmn_id
    parent = task.parent
    while parent is not None and (parent.task_spec.bpmn_id is None or parent.task_spec.bpmn_id == own):
        parent = parent.parent
    return parent


def _reached(task: Any) -> bool:
    if task.has_state(REACHED):
        return True
    return (task.state == TaskState.CANCELLED and task.parent is not None
            and task.parent.state == TaskState.COMPLETED)


def _trace_one(tasks: Iterable[Any]) -> Trace:
    steps: set[tuple[str, str]] = set()
    completed: set[str] = set()
    for task in tasks:
        element = task.task_spec.bpmn_id
        if element is None:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(element)
        if _reached(task):
            previous = _previous_element(task)
            if previous is not None and previous.state == TaskState.COMPLETED:
                steps.add((previous.task_spec.bpmn_id, element))
    return Trace(frozenset(steps), frozenset(completed))


def trace(serializer: StateSerializer, definition: ProcessDefinition, saved: SavedState) -> dict[str, Trace]:
    """Process id → what one saved workflow of ``definition`` exercised in that process.

    The keys are the top process, each called process and each embedded subprocess the
    workflow entered (a process entered several times is merged).
    """
    workflow = serializer.load(saved.state, saved.serializer_version, definition)
    found: dict[str, Trace] = {workflow.spec.name: _trace_one(workflow.tasks.values())}
    for subworkflow in workflow.subprocesses.values():
        one, name = _trace_one(subworkflow.tasks.values()), subworkflow.spec.name
        earlier = found.get(name)
        found[name] = one if earlier is None else Trace(earlier.steps | one.steps, earlier.completed | one.completed)
    return found
