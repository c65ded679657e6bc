"""Workflow state as SpiffWorkflow's serializer JSON, with the spec stored by reference.

The stock serializer embeds the whole process spec in every saved instance. Here the
workflow converter is replaced (on a private registry; the library's global configuration
is never mutated) by one that leaves the spec out and takes it back from the cached
:class:`~app.workflow.definitions.ProcessDefinition` on restore. The JSON is UTF-8 without
``\\u`` escapes and is stored together with :data:`SERIALIZER_VERSION`; SpiffWorkflow's own
migrations run on load for instances saved by an older serializer.

Before dumping, :func:`prune_finished_data` empties the data of the tasks nothing will read
again, so a long workflow (a construction project: four stages, dozens of parallel tasks)
stores its data once at its frontier instead of once per finished branch.
"""
from __future__ import annotations

import json
import threading
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app.workflow.definitions import ProcessDefinition

#: Stored with every instance: the library's serializer version and our spec-by-reference layout.
SERIALIZER_VERSION = f"{SPIFF_SERIALIZER_VERSION}+ref1"

#: orjson writes the same JSON as ``json.dumps(ensure_ascii=False)`` six times faster; what it
#: would write differently goes through the library's encoder as before: dates and times,
#: subclasses of built-in types, and keys that are not strings.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_NON_STR_KEYS


def prune_finished_data(workflow: BpmnWorkflow) -> int:
    """Empty the data of finished tasks that nothing reads any more; return how many.

    A task's data is read after it completed only by its children: each copies (inherits) it
    when it is updated on the way to ready, and the serializer stores each task's data as a
    delta from its parent's. Everything else reads data while the task finishes, in the same
    engine step, never in a later one (SpiffWorkflow 3.2): a multi-instance loop merges an
    instance's output when the instance completes (``MultiInstanceTask.merge_child``) and
    evaluates its completion condition then; a call activity copies its subprocess's end data
    when the subprocess completes (``SubWorkflowTask._on_subworkflow_completed``); an end event
    copies its data into the workflow's. The exception is the parallel join
    (``UnstructuredJoin._run_hook``): when the last branch arrives it merges the data of the
    *parents* of the join instances that arrived earlier and were cancelled meanwhile.

    Hence the rule: a completed task whose children have all *completed* (none waiting,
    predicted or cancelled) is read by nobody again; a task with a cancelled child is kept
    (it may be a branch still to be merged by a join). A finished subprocess keeps its tasks
    (history and path coverage read their states) but not its data.
    """
    pruned = 0
    for one in (workflow, *workflow.subprocesses.values()):
        for task in one.tasks.values():
            if task.data and task.state == TaskState.COMPLETED \
                    and all(child.state == TaskState.COMPLETED for child in task.children):
                task.data = {}
                pruned += 1
        if one is not workflow and one.is_completed():
            one.data = {}
    return pruned


class _SpecByReferenceConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its spec; restores with a given definition."""

    def __init__(self, target_class: type, registry: Any) -> None:
        super().__init__(target_class, registry)
        #: the tasks' converter, called directly (it is also the registry's, for subprocesses)
        self.tasks = _TaskConverter(Task, registry)

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = self.workflow_fields(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def workflow_fields(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The library's ``WorkflowConverter.to_dict``, key for key, each task's dictionary made
        by the task converter itself rather than through the registry's lookup of its type and
        the wrapper that adds its typename (every save writes every task)."""
        registry, to_dict, typename = self.registry, self.tasks.to_dict, self.tasks.typename
        converted = {}
        for key, task in workflow.tasks.items():
            dct = converted[str(key)] = to_dict(task)
            dct["typename"] = typename
        return {
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": converted,
            "root": str(workflow.task_tree.id),
        }

    def from_dict(self, dct: dict[str, Any], definition: ProcessDefinition | None = None,
                  **_: Any) -> BpmnWorkflow:
        if definition is None:
            raise ValueError("restoring a workflow needs its process definition")
        workflow = self.target_class(definition.spec, definition.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _TaskConverter(TaskConverter):
    """The library's dictionary of a task, made with one lookup of its parent where the library
    makes four (every save writes every task of the workflow: a few per cent of a completion).
    The same dictionary, key for key and in the same order: ``tests/unit/test_state_serializer.py``
    compares it with the library's own for every task of the shipped diagrams' workflows, so an
    upgrade of SpiffWorkflow that changes the format fails there, not in stored states."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        parent = task.workflow.tasks.get(task._parent)  # what ``task.parent`` looks up
        data: dict[str, Any]
        delta: dict[str, Any]
        if parent is None:
            data, delta = task.data, {}
        else:  # only what differs from the parent's data (``DeepMerge.get_updated_keys``/``get_deleted_keys``)
            mine, theirs = task.data, parent.data
            data = {}
            delta = {"updates": {key: mine[key] for key in mine if key not in theirs or mine[key] != theirs[key]},
                     "deletions": [key for key in theirs if key not in mine]}
        internal = task.internal_data  # (an empty one converts to an empty one)
        return {"id": str(task.id), "parent": str(task._parent) if parent is not None else None,
                "children": [str(child) for child in task._children],
                "last_state_change": task.last_state_change, "state": task._state,
                "task_spec": task.task_spec.name, "triggered": task.triggered,
                "internal_data": self.registry.convert(internal) if internal else {}, "data": data, "delta": delta}


class _Codec:
    """One registry and encoder; kept per thread because the registry holds a mode flag."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config.pop(BpmnWorkflow, None)
        config[Task] = _TaskConverter
        self.registry = BpmnWorkflowSerializer.configure(config)
        _SpecByReferenceConverter(BpmnWorkflow, self.registry)
        self.encoder = create_encoder(self.registry)
        self.default = self.encoder().default


class StateSerializer:
    """Dumps and loads workflow state; safe to share between threads."""

    version = SERIALIZER_VERSION

    def __init__(self) -> None:
        self._local = threading.local()

    def _codec(self) -> _Codec:
        codec = getattr(self._local, "codec", None)
        if codec is None:
            codec = self._local.codec = _Codec()
        return codec

    def dump(self, workflow: BpmnWorkflow) -> str:
        """The workflow's state as JSON; the data of finished tasks is pruned first (in the live
        workflow too, which then equals what a restore of the saved state would give)."""
        prune_finished_data(workflow)
        codec = self._codec()
        codec.registry._encoder_mode = True
        try:
            dct = codec.registry.convert(workflow)
            try:
                return orjson.dumps(dct, default=codec.default, option=_ORJSON_OPTIONS).decode("utf-8")
            except orjson.JSONEncodeError:  # an integer beyond 64 bits, say: the standard encoder
                return json.dumps(dct, cls=codec.encoder, ensure_ascii=False, separators=(",", ":"))
        finally:
            codec.registry._encoder_mode = False

    def load(self, state: str, version: str, definition: ProcessDefinition) -> BpmnWorkflow:
        dct = json.loads(state)
        library_version = version.split("+", 1)[0]
        if library_version != SPIFF_SERIALIZER_VERSION and library_version in MIGRATIONS:
            MIGRATIONS[library_version](dct)
        return self._codec().registry.restore(dct, definition=definition)
