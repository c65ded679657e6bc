"""Every decision path of the shipped diagrams, run end to end on our engine.

The diagrams run as deployed: with the restricted evaluator, the real rules in ``rules/`` (the
inspection subprocess asks them), called processes compiled in, and timers on a test clock.
Together the paths visit every user task and reach every end event of every diagram.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.timing.clock import FixedClock
from app.rules_engine import load_rules_engine
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine
from tests.support.shipped_paths import (
    APPROVE,
    DOCUMENTS,
    NO_INSPECTION,
    PATHS,
    PROCESSES,
    ROOT,
    START,
)


@pytest.fixture(scope="module")
def rules():
    return load_rules_engine(ROOT / "rules")


def engine_for(process: str, rules, clock):
    evaluator, recorder = build_evaluator(rules)
    documents = [Document(f"{name}.bpmn", (PROCESSES / f"{name}.bpmn").read_bytes())
                 for name in DOCUMENTS[process]]
    definition = DefinitionCatalogue(evaluator).compile(documents, process)
    return WorkflowEngine(evaluator, clock.now), definition, recorder


def completed_ends(run) -> set[str]:
    return {t.task_spec.bpmn_id for t in run._workflow.get_tasks()
            if t.task_spec.__class__.__name__ == "EndEvent" and t.workflow is run._workflow
            and t.state == 64}


@pytest.mark.parametrize("process,label,start,steps,end", PATHS, ids=[f"{p}-{lbl}" for p, lbl, *_ in PATHS])
def test_every_decision_path_reaches_its_end_event(rules, process, label, start, steps, end):
    engine, definition, recorder = engine_for(process, rules, FixedClock(START))
    with recorder.recording() as decisions:
        run = engine.start(definition, dict(start))
        for element_id, data, departments in steps:
            every = run.ready_tasks()  # after a parallel split, other branches' tasks are ready too
            ready = [t for t in every if t.element_id == element_id]
            assert ready, (element_id, [t.element_id for t in every])
            if departments is not None:
                assert [t.department for t in ready] == departments
            # one answer for every instance, or one per instance in order (an "any" loop
            # may stop before the last instance answers)
            answers = data if isinstance(data, list) else [data] * len(ready)
            for task, answer in zip(ready, answers):
                run.complete(task.id, dict(answer))
            run = engine.restore(definition, run.save())  # as between two requests
    assert run.ready_tasks() == []
    assert run.is_completed
    assert completed_ends(run) == {end}
    if any("inspect" in element for element, *_ in steps) or process == "site_inspection":
        assert [d.decision.ruleset for d in decisions] == ["inspection"]


def test_supplement_not_made_in_time_withdraws_the_application(rules):
    clock = FixedClock(START)
    engine, definition, _ = engine_for("standard_promised", rules, clock)
    run = engine.start(definition, dict(NO_INSPECTION))
    for element_id, data in (("accept_application", APPROVE), ("review_application", {"decision": "return"})):
        (task,) = run.ready_tasks()
        assert task.element_id == element_id
        run.complete(task.id, data)
    assert run.next_timer_at() == START + timedelta(days=30)
    clock.set(START + timedelta(days=30, seconds=1))
    run = engine.restore(definition, run.save())
    run.advance()
    assert run.is_completed and run.end_result() == "withdrawn"
    assert completed_ends(run) == {"withdrawn_end"}


def test_paths_visit_every_user_task_and_reach_every_end_event():
    from lxml import etree

    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    for process in DOCUMENTS:
        root = etree.parse(str(PROCESSES / f"{process}.bpmn")).getroot()
        tasks = {t.get("id") for t in root.iterfind(".//bpmn:userTask", ns)}
        ends = {e.get("id") for e in root.iterfind(f".//bpmn:process[@id='{process}']/bpmn:endEvent", ns)}
        visited = {element for p, _, _, steps, _ in PATHS if p == process for element, _, _ in steps}
        reached = {end for p, _, _, _, end in PATHS if p == process}
        if process == "standard_promised":
            reached.add("withdrawn_end")  # the timer path above
        assert tasks <= visited, (process, tasks - visited)  # a caller's paths may visit callees' tasks
        assert reached == ends, (process, ends - reached)
