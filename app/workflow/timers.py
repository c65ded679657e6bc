"""BPMN timer events that read the service's clock instead of the machine's.

SpiffWorkflow's timer definitions call ``datetime.now()`` themselves, so a test (or a
replay) cannot move time. After parsing, :func:`use_service_clock` swaps each date and
duration timer for a subclass that asks the workflow's script engine for the time
(``script_engine.now()``, backed by the application's :class:`~app.domain.timing.clock.Clock`).
Cycle timers are refused: an approval process has no use for repeating timers, and a
repeating timer is an easy way to flood the worker.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)


def _now(task: Any) -> datetime:
    return task.workflow.top_workflow.script_engine.now()


class ClockTimeDate(TimeDateEventDefinition):
    """A timer at a fixed date and time (``timeDate``)."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDuration(DurationTimerEventDefinition):
    """A timer some time after the event is reached (``timeDuration``, ISO 8601: ``P30D``)."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            start = _now(my_task)
            event_value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


_REPLACEMENTS = {TimeDateEventDefinition: ClockTimeDate, DurationTimerEventDefinition: ClockDuration}


class CycleTimerRefused(ValueError):
    """A diagram uses a repeating timer (``timeCycle``)."""

    def __init__(self, element_id: str) -> None:
        super().__init__(element_id)
        self.element_id = element_id


def use_service_clock(spec: Any) -> None:
    """Replace the timer definitions of every task spec in ``spec`` (in place)."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if definition is None:
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            raise CycleTimerRefused(getattr(task_spec, "bpmn_id", None) or task_spec.name)
        replacement = _REPLACEMENTS.get(type(definition))
        if replacement is not None:
            swapped = replacement.__new__(replacement)
            swapped.__dict__.update(definition.__dict__)
            task_spec.event_definition = swapped


def timer_due(value: Any) -> datetime | None:
    """The moment a waiting timer fires, from its pending-event value (None if unknown)."""
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
