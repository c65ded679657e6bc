"""Process definitions: diagrams parsed once per content and cached by their hash.

A :class:`ProcessDefinition` is what the engine runs: SpiffWorkflow's spec objects plus the
metadata the application reads (human tasks with lane, stage, decisions and fields; every
expression in the diagram). Parsing happens when a version is deployed or when the service
starts, never on the request path: :class:`DefinitionCatalogue` keys by content hash.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.domain.errors import InvalidInput
from app.workflow.expressions.evaluator import ExpressionError, RestrictedEvaluator
from app.workflow.checking.parser_messages import in_chinese
from app.workflow.checking.safe_xml import XmlLimits, parse_untrusted
from app.workflow.task_metadata import (
    CASE_RESULTS,
    HumanTaskSpec,
    MetadataError,
    human_task_from_properties,
)
from app.workflow.timers import CycleTimerRefused, use_service_clock

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class DefinitionError(InvalidInput):
    """A diagram cannot be turned into an executable definition.

    ``details`` names the file and, where known, the element id and name.
    """


@dataclass(frozen=True)
class Document:
    """One BPMN file: its name (for messages) and its bytes."""

    filename: str
    content: bytes


@dataclass
class ProcessDefinition:
    key: str
    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    human_tasks: dict[str, HumanTaskSpec]
    expressions: list[tuple[str, str, str]] = field(default_factory=list)
    element_names: dict[str, str] = field(default_factory=dict)
    #: end event id → the case result it declares (``result`` property), e.g. 视为撤回
    end_results: dict[str, str] = field(default_factory=dict)

    def human_task(self, element_id: str) -> HumanTaskSpec:
        return self.human_tasks[element_id]


def content_key(documents: Sequence[Document], process_id: str) -> str:
    digest = hashlib.sha256(process_id.encode())
    for doc in sorted(documents, key=lambda d: d.filename):
        digest.update(hashlib.sha256(doc.content).digest())
    return digest.hexdigest()


def element_names(root: etree._Element) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        element_id = node.get("id")
        if element_id:
            names[element_id] = node.get("name") or ""
    return names


def called_process_ids(root: etree._Element) -> list[str]:
    """Ids of the processes this document's call activities call but does not define itself."""
    defined = {p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")}
    called = []
    for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
        target = (node.get("calledElement") or "").strip()
        if target and target not in defined and target not in called:
            called.append(target)
    return called


def collect_expressions(root: etree._Element) -> list[tuple[str, str, str]]:
    """(element id, kind, text) for every condition and script in the document."""
    found: list[tuple[str, str, str]] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        owner = node.getparent()
        owner_id = owner.get("id", "") if owner is not None else ""
        if local in ("conditionExpression", "completionCondition", "loopCardinality") and node.text:
            found.append((owner_id, "expression", node.text.strip()))
        elif local in ("timeDate", "timeDuration", "timeCycle") and node.text and node.text.strip():
            # evaluated by the engine too: the event definition's owner is the event
            event = owner.getparent() if owner is not None else None
            found.append((event.get("id", "") if event is not None else "", "expression", node.text.strip()))
        elif local == "script" and node.text:
            found.append((owner_id, "script", node.text))
        elif local in ("preScript", "postScript") and node.text:
            task = owner.getparent() if owner is not None else None
            found.append((task.get("id", "") if task is not None else "", "script", node.text))
    return found


class DefinitionCatalogue:
    """Compiles diagrams into :class:`ProcessDefinition` objects and keeps them by hash."""

    def __init__(self, evaluator: RestrictedEvaluator, limits: XmlLimits | None = None) -> None:
        self._evaluator = evaluator
        self._limits = limits or XmlLimits()
        self._cache: dict[str, ProcessDefinition] = {}
        self._lock = threading.Lock()

    @property
    def evaluator(self) -> RestrictedEvaluator:
        """The evaluator whose allow-list every expression of a diagram must pass."""
        return self._evaluator

    def get(self, key: str) -> ProcessDefinition | None:
        return self._cache.get(key)

    def build(self, documents: Sequence[Document], process_id: str) -> ProcessDefinition:
        """Parse without keeping the result: for validating models that may never be deployed."""
        key = content_key(documents, process_id)
        return self._cache.get(key) or self._build(documents, process_id, key)

    def compile(self, documents: Sequence[Document], process_id: str) -> ProcessDefinition:
        """Return the definition of ``process_id``, parsing only if this content is new."""
        key = content_key(documents, process_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        definition = self._build(documents, process_id, key)
        with self._lock:
            return self._cache.setdefault(key, definition)

    def _build(self, documents: Sequence[Document], process_id: str, key: str) -> ProcessDefinition:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        names: dict[str, str] = {}
        expressions: list[tuple[str, str, str]] = []
        for doc in documents:
            root = parse_untrusted(doc.content, filename=doc.filename, limits=self._limits)
            names.update(element_names(root))
            expressions.extend(collect_expressions(root))
            try:
                parser.add_bpmn_xml(root.getroottree(), filename=doc.filename)
            except ValidationException as err:
                raise _definition_error(err, doc.filename) from None
        for element_id, kind, text in expressions:
            self._check_expression(element_id, names.get(element_id, ""), kind, text)
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as err:
            raise _definition_error(err, documents[0].filename) from None
        human_tasks: dict[str, HumanTaskSpec] = {}
        end_results: dict[str, str] = {}
        for one_spec in (spec, *subprocess_specs.values()):
            connect_instances(one_spec)
            end_results.update(_end_results(one_spec, names))
            try:
                use_service_clock(one_spec)
            except CycleTimerRefused as err:
                name = names.get(err.element_id, "")
                raise DefinitionError("timer_cycle_unsupported",
                                      f"元素 {err.element_id}（{name}）使用了循环定时器（timeCycle），不受支持",
                                      element_id=err.element_id, element_name=name) from None
            loops = {t.task_spec: t for t in one_spec.task_specs.values()
                     if isinstance(t, MultiInstanceTask)}
            for task_spec in one_spec.task_specs.values():
                if isinstance(task_spec, UserTask):
                    human = self._human_task(task_spec, names, loops.get(task_spec.name))
                    human_tasks[human.element_id] = human
        return ProcessDefinition(
            key=key, process_id=process_id, name=spec.description or process_id, spec=spec,
            subprocess_specs=subprocess_specs, human_tasks=human_tasks,
            expressions=expressions, element_names=names, end_results=end_results,
        )

    def _check_expression(self, element_id: str, element_name: str, kind: str, text: str) -> None:
        try:
            if kind == "script":
                self._evaluator.check_script(text)
            else:
                self._evaluator.check_expression(text)
        except ExpressionError as err:
            raise DefinitionError(
                err.code, f"元素 {element_id}（{element_name}）中的表达式不被允许：{err.message}",
                element_id=element_id, element_name=element_name, expression=text[:200],
            ) from None

    @staticmethod
    def _human_task(task_spec: Any, names: dict[str, str], loop: Any | None) -> HumanTaskSpec:
        element_id = task_spec.bpmn_id or task_spec.name
        name = task_spec.bpmn_name or names.get(element_id, "")
        properties = dict(getattr(task_spec, "extensions", {}).get("properties", {}))
        # a multi-instance task's lane is recorded on the loop spec, not on the instance spec
        lane = task_spec.lane or (loop.lane if loop is not None else None)
        try:
            human = human_task_from_properties(element_id, name, lane, properties)
        except MetadataError as err:
            raise DefinitionError("task_properties_invalid",
                                  f"任务 {element_id}（{name}）的属性无效：{err}",
                                  element_id=element_id, element_name=name) from None
        if loop is None:
            return human
        if loop.input_item is None:
            raise DefinitionError("multi_instance_input_missing",
                                  f"多实例任务 {element_id}（{name}）须按集合逐项展开（inputDataItem）",
                                  element_id=element_id, element_name=name)
        output = loop.output_item.bpmn_id if loop.output_item is not None else None
        return replace(human, input_item=loop.input_item.bpmn_id, output_item=output)


def connect_instances(spec: Any) -> None:
    """Let each loop and multi-instance task hear its instances complete, from the start.

    SpiffWorkflow wires an instance's completion to its loop (which merges the instance's output
    and settles the loop) only when the loop creates an instance in this process. A workflow
    restored from its saved state in another process (or after a restart, or by the next
    release) with instances already created would never hear them: the loop stays started, the
    case waits for nothing. Connecting at parse time, as SpiffWorkflow itself would, makes
    restoring a workflow the same as keeping it in memory."""
    for loop in spec.task_specs.values():
        if isinstance(loop, LoopTask):
            instance = spec.task_specs[loop.task_spec]
            if not instance.completed_event.is_connected(loop.merge_child):
                instance.completed_event.connect(loop.merge_child)


def _end_results(spec: Any, names: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ != "EndEvent":
            continue
        properties = dict(getattr(task_spec, "extensions", {}).get("properties", {}))
        element_id = task_spec.bpmn_id or task_spec.name
        unknown = set(properties) - {"result"}
        result = properties.get("result")
        if unknown or (result is not None and result not in CASE_RESULTS):
            name = names.get(element_id, "")
            raise DefinitionError("end_event_properties_invalid",
                                  f"结束事件 {element_id}（{name}）的属性无效：只能声明 result，"
                                  f"取值为 {'、'.join(CASE_RESULTS)}",
                                  element_id=element_id, element_name=name)
        if result is not None:
            found[element_id] = result
    return found


def _definition_error(err: ValidationException, filename: str) -> DefinitionError:
    element_id = getattr(err, "id", None) or ""
    element_name = getattr(err, "name", None) or ""
    line = getattr(err, "line_number", None)
    detail = in_chinese(str(err).split("\n")[0])
    where = f"元素 {element_id}（{element_name}）" if element_id else "流程图"
    return DefinitionError("bpmn_invalid", f"{where}无法解析：{detail}", file=filename,
                           line=line, element_id=element_id, element_name=element_name)
