"""The live workflow kept between two steps of a case behaves exactly as one read back from JSON.

Every shipped decision path runs twice in lockstep: once restoring each step from the saved
JSON, once taking the workflow the last step kept. Both must save the same text at every step.
"""
from __future__ import annotations

import pytest

from app.domain.timing.clock import FixedClock
from app.rules_engine import load_rules_engine
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine
from app.workflow.instance_cache import InstanceCache
from tests.support.shipped_paths import DOCUMENTS, PATHS, PROCESSES, ROOT, START, comparable


@pytest.fixture(scope="module")
def rules():
    return load_rules_engine(ROOT / "rules")


def engines(process: str, rules):
    evaluator, recorder = build_evaluator(rules)
    documents = [Document(f"{name}.bpmn", (PROCESSES / f"{name}.bpmn").read_bytes())
                 for name in DOCUMENTS[process]]
    definition = DefinitionCatalogue(evaluator).compile(documents, process)
    clock = FixedClock(START)
    return (WorkflowEngine(evaluator, clock.now), WorkflowEngine(evaluator, clock.now, cache_size=4),
            definition, recorder)


@pytest.mark.parametrize("process,label,start,steps,end", PATHS, ids=[f"{p}-{lbl}" for p, lbl, *_ in PATHS])
def test_a_kept_workflow_saves_what_a_restored_one_saves_at_every_step(rules, process, label, start, steps, end):
    cold, warm, definition, recorder = engines(process, rules)
    with recorder.recording():
        saved = warm.start(definition, dict(start)).save()
        for element_id, data, _departments in steps:
            # the same stored state, read back from JSON and taken from the cache
            runs = [cold.restore(definition, saved), warm.restore(definition, saved)]
            # what the kept run remembers of its state is what the state gives when read back
            assert runs[1].ready_tasks() == runs[0].ready_tasks()
            assert runs[1].is_completed == runs[0].is_completed
            for run in runs:
                ready = [t for t in run.ready_tasks() if t.element_id == element_id]
                answers = data if isinstance(data, list) else [data] * len(ready)
                for task, answer in zip(ready, answers):
                    run.complete(task.id, dict(answer))
            from_json, saved = runs[0].save(), runs[1].save()
            assert comparable(saved) == comparable(from_json), element_id
    assert warm.cache.misses == 0 and warm.cache.hits == len(steps)
    assert cold.cache.hits == 0


def standard(cache_size: int = 4):
    _cold, warm, definition, recorder = engines("standard_promised", None)
    warm.cache = InstanceCache(cache_size)
    return warm, definition


def test_a_step_whose_transaction_rolled_back_is_not_taken_up():
    engine, definition = standard()
    before = engine.start(definition, {"site_inspection": False}).save()
    run = engine.restore(definition, before)
    run.complete(run.ready_tasks()[0].id, {"decision": "approve"})
    run.save()  # kept under the new state, which the rolled-back transaction never stored
    again = engine.restore(definition, before)  # the database still holds the state before
    assert engine.cache.misses == 1
    assert [t.element_id for t in again.ready_tasks()] == ["accept_application"]


def test_a_workflow_moved_on_after_its_save_is_no_longer_kept_under_that_save():
    engine, definition = standard()
    run = engine.start(definition, {"site_inspection": False})
    first = run.save()
    run.complete(run.ready_tasks()[0].id, {"decision": "approve"})  # moved on without saving
    assert len(engine.cache) == 0
    restored = engine.restore(definition, first)
    assert engine.cache.misses == 1
    assert [t.element_id for t in restored.ready_tasks()] == ["accept_application"]


def test_a_kept_workflow_is_taken_once():
    engine, definition = standard()
    saved = engine.start(definition, {"site_inspection": False}).save()
    engine.restore(definition, saved)
    engine.restore(definition, saved)  # a second request for the same state reads the JSON
    assert (engine.cache.hits, engine.cache.misses) == (1, 1)


def test_the_least_recently_kept_are_dropped_beyond_the_capacity():
    engine, definition = standard(cache_size=2)
    saved = [engine.start(definition, {"site_inspection": False, "n": n}).save() for n in range(3)]
    assert len(engine.cache) == 2
    engine.restore(definition, saved[0])
    assert engine.cache.misses == 1
    engine.restore(definition, saved[2])
    assert engine.cache.hits == 1


def test_a_capacity_of_zero_keeps_nothing():
    engine, definition = standard(cache_size=0)
    saved = engine.start(definition, {"site_inspection": False}).save()
    engine.restore(definition, saved)
    assert len(engine.cache) == 0 and engine.cache.hits == 0
