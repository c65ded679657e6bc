"""The engine object: SpiffWorkflow behind one small interface.

Parser (via :class:`DefinitionCatalogue`), serializer and a restricted script environment
are injected here; nothing else in the application imports SpiffWorkflow. Services see
:class:`WorkflowRun` and :class:`ReadyTask`, never SpiffWorkflow objects.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from app.domain.errors import Conflict, InvalidInput, OneSealError
from app.workflow.definitions import ProcessDefinition
from app.workflow.expressions.limits import LimitExceeded, step_budget
from app.workflow.expressions.evaluator import ExpressionError, RestrictedEvaluator
from app.workflow.instance_cache import CacheKey, InstanceCache
from app.workflow.serializer import StateSerializer
from app.workflow.task_metadata import HumanTaskSpec
from app.workflow.timers import timer_due

#: The BPMN element whose expression or script is being evaluated (for decision records).
current_element: ContextVar[tuple[str, str] | None] = ContextVar("current_element", default=None)

MAX_DATA_DEPTH = 8
MAX_DATA_ITEMS = 2_000
#: engine tasks (gateways, scripts, events) one step may run: a diagram that loops back on
#: itself without waiting for people stops here instead of holding the service
MAX_TASKS_PER_STEP = 200


class WorkflowFailure(OneSealError):
    """The diagram could not advance (an expression failed, no outgoing flow matched).

    The transaction is rolled back; nothing is lost. ``details`` names the element.
    """

    kind = "unprocessable"


class TaskNotReady(Conflict):
    """The task is not ready in this workflow (done, cancelled, unknown)."""


def ensure_plain_data(value: Any, path: str = "data", depth: int = 0, budget: list[int] | None = None) -> None:
    """Refuse anything the serializer cannot store faithfully (Decimal, bytes, sets, NaN...)."""
    budget = budget if budget is not None else [MAX_DATA_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DATA_DEPTH:
        raise InvalidInput("data_too_complex", "提交的数据过大或嵌套过深", field=path)
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput("invalid_data", f"“{path}”不是有效的数值", field=path)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            ensure_plain_data(item, f"{path}[{index}]", depth + 1, budget)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("_") or key == "typename":
                raise InvalidInput("invalid_data_key", f"“{path}”中的键“{key}”不被允许", field=path)
            ensure_plain_data(item, f"{path}.{key}", depth + 1, budget)
        return
    raise InvalidInput("invalid_data", f"“{path}”的数据类型不受支持", field=path)


class _RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, evaluator: RestrictedEvaluator) -> None:
        super().__init__({})
        self.evaluator = evaluator

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        names = {**(external_context or {}), **context}
        return self.evaluator.evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        names = {**(external_context or {}), **context}
        context.update(self.evaluator.execute(script, names))
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise WorkflowFailure("service_task_unsupported", "流程中的服务任务未配置")


class RestrictedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with every expression and script under the allow-list.

    It also tells the time (timers read :meth:`now`, see :mod:`app.workflow.timers`) and
    publishes the element being evaluated in :data:`current_element`, so a function offered
    to diagrams (a rules decision) knows which element asked.
    """

    def __init__(self, evaluator: RestrictedEvaluator, now: Callable[[], datetime]) -> None:
        super().__init__(environment=_RestrictedEnvironment(evaluator))
        self.evaluator = evaluator
        self.now = now

    def validate(self, expression: str) -> None:
        self.evaluator.check_expression(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        loop = task.parent.task_spec if task.parent is not None else None
        if isinstance(loop, MultiInstanceTask) and expression is loop.condition:
            # SpiffWorkflow evaluates a completion condition in the data of the instance that
            # just finished, where the output collection is as it was when that instance began;
            # BPMN means the loop's own data, in which every finished instance is collected.
            with _element(task.parent):
                return self.environment.evaluate(expression, {**task.data, **task.parent.data},
                                                 external_context)
        with _element(task):
            return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        with _element(task):
            return super().execute(task, script, external_context)


@contextmanager
def _element(task: Any) -> Iterator[None]:
    spec = task.task_spec
    token = current_element.set((getattr(spec, "bpmn_id", None) or spec.name,
                                 getattr(spec, "bpmn_name", None) or ""))
    try:
        yield
    finally:
        current_element.reset(token)


@dataclass(frozen=True)
class ReadyTask:
    id: str
    element_id: str
    name: str
    lane: str | None
    spec: HumanTaskSpec
    #: the department named by the task's ``department_from`` variable, if it declares one
    department: str | None = None
    #: multi-instance: the value of the input item this instance works on
    instance_item: Any = None
    #: the catalogue item this task decides (``item_from``), if it declares one
    item_code: str | None = None
    #: the project stage this task belongs to (``project_stage_from``), if it declares one
    project_stage: int | None = None


@dataclass(frozen=True)
class SavedState:
    state: str
    serializer_version: str


def _lookup(data: Mapping[str, Any], spec: HumanTaskSpec, path: str | None, kind: type,
            what: str) -> Any:
    """The value at ``variable`` or ``variable.key`` in a task's data, checked for its type."""
    if path is None:
        return None
    name, _, key = path.partition(".")
    value = data.get(name)
    if key and isinstance(value, Mapping):
        value = value.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise WorkflowFailure("task_data_invalid",
                              f"任务 {spec.element_id}（{spec.name}）的{what}变量“{path}”取值无效",
                              element_id=spec.element_id, element_name=spec.name)
    return value


def _failure(err: Exception, task: Any | None) -> WorkflowFailure:
    spec = getattr(err, "task_spec", None) or (task.task_spec if task is not None else None)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or ""
    element_name = getattr(spec, "bpmn_name", None) or ""
    # SpiffWorkflow wraps what the evaluator raised, raising its own error while handling it
    cause = err if isinstance(err, OneSealError) else (
        getattr(err, "exception", None) or err.__cause__ or err.__context__ or err)
    reason = cause.message if isinstance(cause, OneSealError) else str(err).split("\n")[0]
    message = f"流程在元素 {element_id}（{element_name}）处无法继续：{reason}"
    if isinstance(cause, LimitExceeded):  # the designer's text, not the case: say which limit
        return WorkflowFailure(cause.code, message, element_id=element_id, element_name=element_name,
                               limit=cause.limit, bound=cause.bound, line=cause.details.get("line"))
    return WorkflowFailure("workflow_step_failed", message, element_id=element_id, element_name=element_name)


class _StepCounter:
    """Counts the engine tasks one step runs (SpiffWorkflow calls it before each one)."""

    def __init__(self) -> None:
        self.left = MAX_TASKS_PER_STEP

    def __call__(self, task: Any) -> None:
        self.left -= 1
        if self.left < 0:
            spec = task.task_spec
            raise WorkflowFailure(
                "step_too_many_tasks",
                f"流程在元素 {spec.bpmn_id or spec.name}（{spec.bpmn_name or ''}）处无法继续："
                f"一个步骤自动执行的任务超过上限 {MAX_TASKS_PER_STEP} 个（流程可能存在无人工环节的循环）",
                element_id=spec.bpmn_id or spec.name, element_name=spec.bpmn_name or "",
                limit="max_tasks_per_step", bound=MAX_TASKS_PER_STEP)


class WorkflowRun:
    """One running instance, live for the duration of a unit of work."""

    def __init__(self, definition: ProcessDefinition, workflow: BpmnWorkflow,
                 serializer: StateSerializer, cache: InstanceCache | None = None, *,
                 ready: list[ReadyTask] | None = None, completed: bool | None = None) -> None:
        self.definition = definition
        self._workflow = workflow
        self._serializer = serializer
        self._cache = cache
        self._kept: CacheKey | None = None  # the key this workflow is kept under since save()
        self._ready = ready  # valid until the workflow moves again
        self._completed = completed

    @property
    def is_completed(self) -> bool:
        if self._completed is None:
            # a ready human task is an unfinished task of the tree (in a subprocess: its parent
            # task is unfinished too), so the walk over the tree is needed only without one
            self._completed = False if self._ready else self._workflow.is_completed()
        return self._completed

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._workflow.data)

    def ready_tasks(self) -> list[ReadyTask]:
        """The human tasks ready now (computed once per step of the workflow)."""
        if self._ready is None:
            self._ready = self._find_ready()
        return list(self._ready)

    def _find_ready(self) -> list[ReadyTask]:
        tasks = []
        for task in self._workflow.get_tasks(state=TaskState.READY, manual=True):
            if not isinstance(task.task_spec, UserTask):
                continue
            spec = self.definition.human_tasks.get(task.task_spec.bpmn_id or task.task_spec.name)
            if spec is None:
                continue
            item = task.data.get(spec.input_item) if spec.input_item else None
            tasks.append(ReadyTask(
                str(task.id), spec.element_id, spec.name, spec.lane, spec,
                _lookup(task.data, spec, spec.department_from, str, "承办部门"), item,
                _lookup(task.data, spec, spec.item_from, str, "事项"),
                _lookup(task.data, spec, spec.project_stage_from, int, "项目阶段")))
        return tasks

    def _task(self, task_id: str) -> Any:
        """The workflow's task with this id, or :class:`TaskNotReady` if there is none."""
        try:
            return self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, TaskNotFoundException):
            raise TaskNotReady("task_not_ready", "该任务已办理或已不在待办状态", task_id=task_id) from None

    def task_data(self, task_id: str) -> dict[str, Any]:
        """A copy of a task's data (what the diagram has gathered up to that task)."""
        return dict(self._task(task_id).data)

    def complete(self, task_id: str, data: Mapping[str, Any]) -> None:
        """Merge ``data`` into the ready task and run the workflow forward."""
        ensure_plain_data(dict(data))
        task = self._task(task_id)
        self._reclaim()
        if task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
            raise TaskNotReady("task_not_ready", "该任务已办理或已不在待办状态", task_id=task_id)
        spec = self.definition.human_tasks.get(task.task_spec.bpmn_id or task.task_spec.name)
        task.data.update(data)
        if spec is not None and spec.output_item and spec.input_item:  # an output needs an input
            # each instance hands back its own record; the loop collects them, so no instance
            # overwrites another's data (a parallel countersign keeps every department's answer)
            task.data[spec.output_item] = {spec.input_item: task.data.get(spec.input_item), **data}
        self._advance(lambda: task.run(), task, passes=1)

    def advance(self) -> None:
        self._advance(lambda: None, None)

    def _advance(self, step: Any, task: Any | None, passes: int = 2) -> None:
        """Run ``step``, fire due timers, and move the engine on until people are needed.

        ``passes=1`` (a task completion) fires due timers first and runs the engine once: a
        timer this step creates cannot be due yet (the worker fires it if it is). Starting a
        case and the worker's pass run the engine, then fire timers, then run it again.
        """
        self._reclaim()
        self._ready, self._completed = None, None
        counter = _StepCounter()
        try:
            with step_budget():  # every evaluation of the step shares one budget
                step()
                if passes > 1:
                    self._workflow.do_engine_steps(will_complete_task=counter)
                self._workflow.refresh_timers()
                self._workflow.do_engine_steps(will_complete_task=counter)
        except (ExpressionError, SpiffWorkflowException) as err:
            raise _failure(err, task) from None

    def end_result(self) -> str | None:
        """The case result declared by the end event the top-level process reached, if any."""
        for task in self._workflow.get_tasks(state=TaskState.COMPLETED):
            if task.workflow is self._workflow:
                result = self.definition.end_results.get(getattr(task.task_spec, "bpmn_id", None) or "")
                if result is not None:
                    return result
        return None

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer of this instance fires (None: no timer waits)."""
        moments = [timer_due(event.value) for event in self._workflow.waiting_events()
                   if event.event_type in ("ClockTimeDate", "ClockDuration")]
        return min((m for m in moments if m is not None), default=None)

    def save(self) -> SavedState:
        """The state to store; the live workflow is kept in the instance cache under it."""
        self._reclaim()
        saved = SavedState(self._serializer.dump(self._workflow), self._serializer.version)
        if self._cache is not None:
            self._kept = (self.definition.key, saved.serializer_version, saved.state)
            # with what was worked out about this very state (valid as long as it is unchanged)
            self._cache.keep(self._kept, (self._workflow, self._ready, self._completed))
        return saved

    def _reclaim(self) -> None:
        """Take the workflow back from the cache before it moves on from what it saved."""
        if self._kept is not None and self._cache is not None:
            self._cache.discard(self._kept)
            self._kept = None


class WorkflowEngine:
    def __init__(self, evaluator: RestrictedEvaluator, now: Callable[[], datetime],
                 serializer: StateSerializer | None = None, cache_size: int = 0) -> None:
        self.script_engine = RestrictedScriptEngine(evaluator, now)
        self.serializer = serializer or StateSerializer()
        #: live workflows kept after their save (see :mod:`app.workflow.instance_cache`)
        self.cache = InstanceCache(cache_size)

    def start(self, definition: ProcessDefinition, data: Mapping[str, Any]) -> WorkflowRun:
        ensure_plain_data(dict(data))
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs,
                                script_engine=self.script_engine)
        workflow.data.update(data)
        start = workflow.task_tree
        start.data.update(data)
        run = WorkflowRun(definition, workflow, self.serializer, self.cache)
        run.advance()
        return run

    def inspect(self, definition: ProcessDefinition, saved: SavedState) -> WorkflowRun:
        """A saved workflow read for looking only: never taken from or kept in the cache."""
        workflow = self.serializer.load(saved.state, saved.serializer_version, definition)
        workflow.script_engine = self.script_engine
        return WorkflowRun(definition, workflow, self.serializer, None)

    def restore(self, definition: ProcessDefinition, saved: SavedState) -> WorkflowRun:
        kept = self.cache.take((definition.key, saved.serializer_version, saved.state))
        if kept is None:
            workflow = self.serializer.load(saved.state, saved.serializer_version, definition)
            workflow.script_engine = self.script_engine
            return WorkflowRun(definition, workflow, self.serializer, self.cache)
        workflow, ready, completed = kept
        return WorkflowRun(definition, workflow, self.serializer, self.cache, ready=ready, completed=completed)
