"""Saved state keeps data only where it will be read again (``prune_finished_data``).

The pruning must never change what a workflow does: a run saved and restored after every step
behaves exactly like one kept in memory without ever being pruned — same tasks, same data in
every ready task, same end. The parallel join is the case that needs care (it merges the data
of branches whose join instance was cancelled), so it has its own test, with a naive rule as a
control that shows the test would catch the loss.
"""
from __future__ import annotations

import json

import pytest
from SpiffWorkflow.util.task import TaskState

from app.workflow import serializer as serializer_module
from app.workflow.definitions import Document
from app.workflow.serializer import prune_finished_data
from tests.support.project_flow import START, answer, engine_for, project_engine

JOIN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="three_branches" name="三路会签" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f0</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing><bpmn:outgoing>fc</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="branch_a" name="甲"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>ja</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="branch_b" name="乙"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>jb</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="branch_c" name="丙"><bpmn:incoming>fc</bpmn:incoming><bpmn:outgoing>jc</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join">
      <bpmn:incoming>ja</bpmn:incoming><bpmn:incoming>jb</bpmn:incoming><bpmn:incoming>jc</bpmn:incoming>
      <bpmn:outgoing>fs</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="summary" name="汇总"><bpmn:incoming>fs</bpmn:incoming><bpmn:outgoing>fe</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>fe</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
    <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="branch_a" />
    <bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="branch_b" />
    <bpmn:sequenceFlow id="fc" sourceRef="fork" targetRef="branch_c" />
    <bpmn:sequenceFlow id="ja" sourceRef="branch_a" targetRef="join" />
    <bpmn:sequenceFlow id="jb" sourceRef="branch_b" targetRef="join" />
    <bpmn:sequenceFlow id="jc" sourceRef="branch_c" targetRef="join" />
    <bpmn:sequenceFlow id="fs" sourceRef="join" targetRef="summary" />
    <bpmn:sequenceFlow id="fe" sourceRef="summary" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _branches(engine, definition):
    run = engine.start(definition, {"case": "甲乙丙"})
    for element, value in (("branch_a", 1), ("branch_b", 2)):
        (task,) = [t for t in run.ready_tasks() if t.element_id == element]
        run.complete(task.id, {element: value})
        run = engine.restore(definition, run.save())  # as between two requests
    (task,) = [t for t in run.ready_tasks() if t.element_id == "branch_c"]
    run.complete(task.id, {"branch_c": 3})
    (summary,) = run.ready_tasks()
    return run.task_data(summary.id)


def test_a_join_still_merges_every_branch_after_save_and_restore():
    engine, definition, _ = engine_for([Document("join.bpmn", JOIN.encode())], "three_branches")
    data = _branches(engine, definition)
    assert {k: data.get(k) for k in ("case", "branch_a", "branch_b", "branch_c")} == \
        {"case": "甲乙丙", "branch_a": 1, "branch_b": 2, "branch_c": 3}


def test_pruning_finished_tasks_with_cancelled_children_would_lose_a_branch(monkeypatch):
    """Control: the naive rule (every child finished, cancelled included) drops branch 甲."""
    def naive(workflow):
        for task in workflow.tasks.values():
            if task.state == TaskState.COMPLETED and all(c.has_state(TaskState.FINISHED_MASK)
                                                         for c in task.children):
                task.data = {}
        return 0

    monkeypatch.setattr(serializer_module, "prune_finished_data", naive)
    engine, definition, _ = engine_for([Document("join.bpmn", JOIN.encode())], "three_branches")
    assert "branch_a" not in _branches(engine, definition)


def _ready(run) -> list[tuple]:
    """What each ready task is and sees (its data as JSON, for an exact comparison)."""
    return sorted((t.element_id, t.department, t.item_code, t.project_stage,
                   json.dumps(run.task_data(t.id), sort_keys=True, ensure_ascii=False))
                  for t in run.ready_tasks())


def test_a_project_restored_after_every_step_runs_like_one_never_saved():
    engine, definition, recorder = project_engine()
    with recorder.recording():
        kept = engine.start(definition, START)             # in memory, never saved: never pruned
        saved = engine.start(definition, START).save()     # saved and restored at every step
        steps = 0
        while not kept.is_completed:
            restored = engine.restore(definition, saved)
            assert _ready(restored) == _ready(kept)
            first = sorted(kept.ready_tasks(), key=lambda t: (t.element_id, t.department or ""))[0]
            twin = next(t for t in restored.ready_tasks() if (t.element_id, t.department, t.item_code)
                        == (first.element_id, first.department, first.item_code))
            kept.complete(first.id, answer(first))
            restored.complete(twin.id, answer(twin))
            saved = restored.save()
            steps += 1
    final = engine.restore(definition, saved)
    assert final.is_completed and final.ready_tasks() == []
    assert steps == 61
    # everything finished: no task keeps data, the whole project fits in a small state
    state = json.loads(saved.state)
    every = [*state["tasks"].values(), *(t for s in state["subprocesses"].values() for t in s["tasks"].values())]
    reviews = [t for t in every if t["task_spec"].startswith("review_stage_items") and t["state"] == TaskState.COMPLETED]
    assert len(reviews) == 3 * (1 + 8)  # loops and instances
    assert all(not t["data"] and not t["delta"].get("updates") for t in every)
    assert len(saved.state.encode()) < 64 * 1024


def test_pruning_keeps_the_frontier_and_empties_what_is_behind_it():
    engine, definition, recorder = project_engine()
    with recorder.recording():
        run = engine.start(definition, START)
        (accept,) = run.ready_tasks()
        run.complete(accept.id, {"decision": "approve"})
    workflow = run._workflow
    pruned = prune_finished_data(workflow)
    assert pruned > 0
    for one in (workflow, *workflow.subprocesses.values()):
        for task in one.tasks.values():
            if task.state != TaskState.COMPLETED:
                continue
            if all(c.state == TaskState.COMPLETED for c in task.children):
                assert task.data == {}, task.task_spec.name
    # the ready tasks of the joint survey still see the facts of the stage
    ready = run.ready_tasks()
    assert {t.element_id for t in ready} == {"inspect_jointly"} and len(ready) == 9
    assert run.task_data(ready[0].id)["stage"]["number"] == 1


@pytest.mark.parametrize("prune_first", [False, True])
def test_states_saved_without_pruning_load_and_continue(prune_first, monkeypatch):
    """A state saved by the previous release (nothing pruned) loads and completes."""
    if not prune_first:
        monkeypatch.setattr(serializer_module, "prune_finished_data", lambda workflow: 0)
    engine, definition, _ = engine_for([Document("join.bpmn", JOIN.encode())], "three_branches")
    run = engine.start(definition, {"case": "旧版本"})
    (first,) = [t for t in run.ready_tasks() if t.element_id == "branch_a"]
    run.complete(first.id, {"branch_a": 1})
    old = run.save()
    monkeypatch.undo()
    run = engine.restore(definition, old)
    for task in run.ready_tasks():
        run.complete(task.id, {task.element_id: 2})
    (summary,) = run.ready_tasks()
    assert run.task_data(summary.id)["branch_a"] == 1
