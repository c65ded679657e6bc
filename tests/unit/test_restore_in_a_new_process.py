"""A step run in another process than the last one — a second server, or the same after a restart.

Such a process has compiled the diagrams afresh and has never run a step of the case: the saved
workflow is all it knows. Every shipped decision path is walked with each task completed by a
workflow restored on a definition compiled just for that task (as a process that has just
started), and must take the path it takes in one long-running process, to the same end event,
saving the same state at every step. (A multi-instance loop that waited for its last instances
when the process started never noticed them finishing: a parallel review stayed 审查中 with no
open task, or was decided on the answers of some departments only.)
"""
from __future__ import annotations

import pytest

from app.domain.timing.clock import FixedClock
from app.rules_engine import load_rules_engine
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine
from tests.support.shipped_paths import DOCUMENTS, PATHS, PROCESSES, ROOT, START, comparable


@pytest.fixture(scope="module")
def rules():
    return load_rules_engine(ROOT / "rules")


def _documents(process: str) -> list[Document]:
    return [Document(f"{name}.bpmn", (PROCESSES / f"{name}.bpmn").read_bytes()) for name in DOCUMENTS[process]]


@pytest.mark.parametrize("process,label,start,steps,end", PATHS, ids=[f"{p}-{lbl}" for p, lbl, *_ in PATHS])
def test_each_task_completed_by_a_process_that_has_just_started(rules, process, label, start, steps, end):
    evaluator, recorder = build_evaluator(rules)
    clock = FixedClock(START)
    documents = _documents(process)
    running = DefinitionCatalogue(evaluator).compile(documents, process)
    engine = WorkflowEngine(evaluator, clock.now)

    def new_process():  # a fresh compilation: nothing of an earlier step lives in its specs
        return DefinitionCatalogue(evaluator).compile(documents, process)

    with recorder.recording():
        long_lived = started = engine.start(running, dict(start)).save()
        for element_id, data, _departments in steps:
            ready = [t for t in engine.restore(running, long_lived).ready_tasks() if t.element_id == element_id]
            answers = data if isinstance(data, list) else [data] * len(ready)
            for index, answer in enumerate(answers):
                # the long-running process and a just-started one complete the same instance
                for name in ("long_lived", "started"):
                    saved = long_lived if name == "long_lived" else started
                    definition = running if name == "long_lived" else new_process()
                    run = engine.restore(definition, saved)
                    task = [t for t in run.ready_tasks() if t.element_id == element_id][0]
                    run.complete(task.id, dict(answer))
                    if name == "long_lived":
                        long_lived = run.save()
                    else:
                        started = run.save()
                assert comparable(started) == comparable(long_lived), (element_id, index)
        final = engine.restore(new_process(), started)
    assert final.is_completed and final.ready_tasks() == []
