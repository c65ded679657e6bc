"""The engine object: state format, data it refuses, and clear failures naming the element."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.cases.status import ALLOWED_TRANSITIONS, CaseStatus, check_transition
from app.domain.errors import Conflict, InvalidInput
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import TaskNotReady, WorkflowEngine, WorkflowFailure
from app.workflow.serializer import SERIALIZER_VERSION

STANDARD = Path(__file__).resolve().parents[2] / "processes" / "standard_promised.bpmn"
#: the process the standard flow calls, compiled with it as on deployment
CALLED = Document("site_inspection.bpmn", (STANDARD.parent / "site_inspection.bpmn").read_bytes())


def setup(text: str | None = None):
    evaluator = build_evaluator(None)[0]
    content = (text or STANDARD.read_text(encoding="utf-8")).encode("utf-8")
    definition = DefinitionCatalogue(evaluator).compile([Document("s.bpmn", content), CALLED], "standard_promised")
    return WorkflowEngine(evaluator, lambda: datetime.now(UTC)), definition


def test_state_is_utf8_json_with_version_and_no_embedded_spec():
    engine, definition = setup()
    run = engine.start(definition, {"applicant": "张三餐饮店"})
    saved = run.save()
    assert saved.serializer_version == SERIALIZER_VERSION
    assert "张三餐饮店" in saved.state and "\\u" not in saved.state
    state = json.loads(saved.state)
    assert "spec" not in state and "subprocess_specs" not in state
    # the diagram is referenced, not copied: text only the spec holds is absent
    assert "approve" not in saved.state and "准予或不予" not in saved.state
    restored = engine.restore(definition, saved)
    assert [t.element_id for t in restored.ready_tasks()] == ["accept_application"]


@pytest.mark.parametrize("value", [Decimal("1.5"), b"bytes", {1, 2}, float("nan"), object()])
def test_data_the_serializer_cannot_keep_is_refused_before_the_engine_moves(value):
    engine, definition = setup()
    run = engine.start(definition, {})
    before = run.save().state
    task = run.ready_tasks()[0]
    with pytest.raises(InvalidInput):
        run.complete(task.id, {"decision": "approve", "amount": value})
    assert run.save().state == before


def test_reserved_keys_are_refused():
    engine, definition = setup()
    with pytest.raises(InvalidInput):
        engine.start(definition, {"__builtins__": {}})
    with pytest.raises(InvalidInput):
        engine.start(definition, {"nested": {"typename": "BpmnWorkflow"}})


def test_completing_a_finished_task_is_refused():
    engine, definition = setup()
    run = engine.start(definition, {})
    task = run.ready_tasks()[0]
    run.complete(task.id, {"decision": "approve"})
    with pytest.raises(TaskNotReady):
        run.complete(task.id, {"decision": "approve"})


def test_a_diagram_that_cannot_advance_names_the_element():
    text = STANDARD.read_text(encoding="utf-8").replace('decision == "approve"', "approval_level > 2", 1)
    engine, definition = setup(text)
    run = engine.start(definition, {})
    with pytest.raises(WorkflowFailure) as err:
        run.complete(run.ready_tasks()[0].id, {"decision": "approve"})
    assert err.value.details["element_id"] and "approval_level" in err.value.message


def test_status_transitions_follow_the_table():
    for current, allowed in ALLOWED_TRANSITIONS.items():
        check_transition(current, current)
        for target in CaseStatus:
            if target in allowed or target == current:
                check_transition(current, target)
            else:
                with pytest.raises(Conflict):
                    check_transition(current, target)
    with pytest.raises(Conflict) as err:
        check_transition(CaseStatus.COMPLETED, CaseStatus.IN_REVIEW)
    assert "已办结" in err.value.message


def test_an_integer_beyond_64_bits_is_saved_and_read_back_exactly():
    engine, definition = setup()
    run = engine.start(definition, {"registered_capital": 10 ** 30, "name": "张三餐饮店"})
    saved = run.save()
    assert "1" + "0" * 30 in saved.state and "\\u" not in saved.state
    assert engine.restore(definition, saved).data["registered_capital"] == 10 ** 30


LOOP = '''<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
<bpmn:exclusiveGateway id="again" name="再来一次"><bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>back</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:exclusiveGateway>
<bpmn:scriptTask id="count" name="计数"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>
<bpmn:exclusiveGateway id="loop" name="是否循环" default="out"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>back</bpmn:outgoing><bpmn:outgoing>out</bpmn:outgoing></bpmn:exclusiveGateway>
<bpmn:endEvent id="end"><bpmn:incoming>out</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="again" />
<bpmn:sequenceFlow id="f1" sourceRef="again" targetRef="count" />
<bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="loop" />
<bpmn:sequenceFlow id="back" sourceRef="loop" targetRef="again"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">n &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="out" sourceRef="loop" targetRef="end" />'''


def test_a_script_over_its_budget_stops_the_step_naming_the_element_and_the_limit():
    text = STANDARD.read_text(encoding="utf-8").replace('decision == "approve"', "len(str([[decision] * 9999] * 9999)) > 0", 1)
    engine, definition = setup(text)
    run = engine.start(definition, {})
    with pytest.raises(WorkflowFailure) as err:
        run.complete(run.ready_tasks()[0].id, {"decision": "approve"})
    assert err.value.code == "expression_limit_exceeded" and err.value.kind == "unprocessable"
    assert err.value.details["element_id"] and err.value.details["limit"] == "max_value_size"
    assert "上限 200,000" in err.value.message and err.value.details["element_id"] in err.value.message


def test_a_diagram_that_loops_without_people_stops_after_a_bounded_number_of_tasks():
    from tests.support.model_samples import document, process

    evaluator = build_evaluator(None)[0]
    definition = DefinitionCatalogue(evaluator).compile([Document("loop.bpmn", document(process(LOOP, lane=None)))],
                                                         "probe")
    engine = WorkflowEngine(evaluator, lambda: datetime.now(UTC))
    with pytest.raises(WorkflowFailure) as err:
        engine.start(definition, {})
    assert err.value.code == "step_too_many_tasks" and err.value.details["limit"] == "max_tasks_per_step"
    assert err.value.details["element_id"] in ("again", "count", "loop")
