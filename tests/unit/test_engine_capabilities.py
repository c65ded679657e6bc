"""What the engine glue adds to SpiffWorkflow: multi-instance work per department, timers on
the service clock, results declared by end events, and refusals of what we do not run."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.timing.clock import FixedClock
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, DefinitionError, Document
from app.workflow.engine import WorkflowEngine

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">')


def props(**values: str) -> str:
    inner = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in values.items())
    return f"<bpmn:extensionElements><spiffworkflow:properties>{inner}</spiffworkflow:properties></bpmn:extensionElements>"


def lanes(*pairs: tuple[str, list[str]]) -> str:
    body = "".join(f'<bpmn:lane id="lane_{i}" name="{name}">'
                   + "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs) + "</bpmn:lane>"
                   for i, (name, refs) in enumerate(pairs))
    return f'<bpmn:laneSet id="lanes">{body}</bpmn:laneSet>'


PARALLEL = HEAD + f'''
<bpmn:process id="parallel" name="并联" isExecutable="true">
  {lanes(("审查股室", ["review"]))}
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="review" name="并联审查">{props(stage="in_review", decisions="approve:同意,reject:不同意", department_from="department")}
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:multiInstanceLoopCharacteristics>
      <bpmn:loopDataInputRef>departments</bpmn:loopDataInputRef>
      <bpmn:loopDataOutputRef>reviews</bpmn:loopDataOutputRef>
      <bpmn:inputDataItem id="department" name="部门" />
      <bpmn:outputDataItem id="review_result" name="意见" />
      <bpmn:completionCondition>parallel_settled(reviews, mode, ratio, len(departments))</bpmn:completionCondition>
    </bpmn:multiInstanceLoopCharacteristics>
  </bpmn:userTask>
  <bpmn:scriptTask id="tally" name="汇总"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:script>outcome = parallel_outcome(reviews, mode, ratio, len(departments))</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="tally" />
  <bpmn:sequenceFlow id="f3" sourceRef="tally" targetRef="end" />
</bpmn:process></bpmn:definitions>'''

TIMER = HEAD + f'''
<bpmn:process id="timed" name="补正" isExecutable="true">
  {lanes(("综合窗口", ["wait", "late", "start", "done", "withdrawn"]))}
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="wait" name="补正材料">{props(stage="awaiting_supplement", suspends_clock="supplement")}
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="late" name="逾期未补正" attachedToRef="wait">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P30D"</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:endEvent id="done" name="办结"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="withdrawn" name="视为撤回">{props(result="withdrawn")}<bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
  <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="done" />
  <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="withdrawn" />
</bpmn:process></bpmn:definitions>'''

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def build(text: str, process_id: str, clock: FixedClock):
    evaluator, _ = build_evaluator(None)
    definition = DefinitionCatalogue(evaluator).compile([Document(f"{process_id}.bpmn", text.encode())], process_id)
    return WorkflowEngine(evaluator, clock.now), definition


def start_parallel(clock, mode, ratio=None, departments=("market", "health", "emergency")):
    engine, definition = build(PARALLEL, "parallel", clock)
    return engine, definition, engine.start(definition, {"departments": list(departments), "mode": mode,
                                                         "ratio": ratio})


def test_each_department_gets_its_own_instance_with_its_department(clock):
    _, definition, run = start_parallel(clock, "countersign")
    ready = run.ready_tasks()
    assert [t.department for t in ready] == ["market", "health", "emergency"]
    assert [t.instance_item for t in ready] == ["market", "health", "emergency"]
    assert {t.element_id for t in ready} == {"review"}
    assert definition.human_task("review").multi_instance


def test_countersign_waits_for_all_and_keeps_every_answer(clock):
    engine, definition, run = start_parallel(clock, "countersign")
    market, health, emergency = run.ready_tasks()
    run.complete(market.id, {"decision": "approve"})
    run.complete(health.id, {"decision": "reject"})
    assert [t.department for t in run.ready_tasks()] == ["emergency"]  # one rejection does not stop the others
    run.complete(emergency.id, {"decision": "approve"})
    assert run.is_completed
    reviews = run.data["reviews"]
    assert sorted((r["department"], r["decision"]) for r in reviews) == [
        ("emergency", "approve"), ("health", "reject"), ("market", "approve")]
    assert run.data["outcome"] == "reject"


def test_any_one_approval_settles_and_cancels_the_rest(clock):
    _, _, run = start_parallel(clock, "any")
    market, _, _ = run.ready_tasks()
    run.complete(market.id, {"decision": "approve"})
    assert run.ready_tasks() == []
    assert run.is_completed and run.data["outcome"] == "approve"


def test_ratio_settles_when_the_share_is_reached_or_out_of_reach(clock):
    _, _, run = start_parallel(clock, "ratio", 60, ("a1", "a2", "a3", "a4", "a5"))  # needs 3 of 5
    first, second, third, *_ = run.ready_tasks()
    run.complete(first.id, {"decision": "reject"})
    run.complete(second.id, {"decision": "reject"})
    assert len(run.ready_tasks()) == 3  # 3 approvals still possible
    run.complete(third.id, {"decision": "reject"})
    assert run.is_completed and run.data["outcome"] == "reject"


def test_an_instance_cannot_be_completed_twice(clock):
    from app.workflow.engine import TaskNotReady

    _, _, run = start_parallel(clock, "countersign")
    market = run.ready_tasks()[0]
    run.complete(market.id, {"decision": "approve"})
    with pytest.raises(TaskNotReady):
        run.complete(market.id, {"decision": "reject"})


def test_state_round_trips_mid_way_through_the_instances(clock):
    engine, definition, run = start_parallel(clock, "countersign")
    first = run.ready_tasks()[0]
    run.complete(first.id, {"decision": "approve"})
    restored = engine.restore(definition, run.save())
    assert [t.department for t in restored.ready_tasks()] == ["health", "emergency"]
    for task in restored.ready_tasks():
        restored.complete(task.id, {"decision": "approve"})
    assert restored.data["outcome"] == "approve"


def test_timer_fires_on_the_service_clock_not_the_machine_clock(clock):
    engine, definition = build(TIMER, "timed", clock)
    run = engine.start(definition, {})
    assert run.next_timer_at() == START + timedelta(days=30)
    clock.set(START + timedelta(days=29, hours=23))
    run = engine.restore(definition, run.save())
    run.advance()
    assert [t.element_id for t in run.ready_tasks()] == ["wait"]
    clock.set(START + timedelta(days=30))
    run = engine.restore(definition, run.save())
    run.advance()
    assert run.is_completed
    assert run.end_result() == "withdrawn"
    assert definition.human_task("wait").suspends_clock == "supplement"


def test_finishing_before_the_timer_ends_normally(clock):
    engine, definition = build(TIMER, "timed", clock)
    run = engine.start(definition, {})
    run.complete(run.ready_tasks()[0].id, {})
    assert run.is_completed and run.end_result() is None and run.next_timer_at() is None


@pytest.mark.parametrize("base,process_id,change,code", [
    (PARALLEL, "parallel", ('name="stage" value="in_review"', 'name="stgae" value="in_review"'),
     "task_properties_invalid"),
    (TIMER, "timed", ('value="supplement"', 'value="holiday"'), "task_properties_invalid"),
    (TIMER, "timed", ('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P30D"</bpmn:timeDuration>',
                      '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R3/PT1H"</bpmn:timeCycle>'),
     "timer_cycle_unsupported"),
    (TIMER, "timed", ('value="withdrawn"', 'value="lost"'), "end_event_properties_invalid"),
])
def test_diagram_mistakes_are_refused_naming_the_element(clock, base, process_id, change, code):
    assert change[0] in base
    with pytest.raises(DefinitionError) as err:
        build(base.replace(*change), process_id, clock)
    assert err.value.code == code
    assert err.value.details["element_id"]


@pytest.mark.parametrize("task_id", ["00000000-0000-0000-0000-000000000000", "not-a-task", ""])
def test_unknown_or_malformed_task_ids_are_not_ready(clock, task_id):
    from app.workflow.engine import TaskNotReady

    _, _, run = start_parallel(clock, "countersign")
    with pytest.raises(TaskNotReady):
        run.complete(task_id, {"decision": "approve"})
    with pytest.raises(TaskNotReady):
        run.task_data(task_id)
