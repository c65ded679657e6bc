"""Instances saved by an earlier release load and complete on this one (RELIABILITY item 8).

A bureau upgrades with cases in flight: they stay on the diagram version they started on, and
their state was written by the earlier release's serializer. The fixtures in
``tests/fixtures/release_1`` were written by the first release (see the README there).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import SavedState, WorkflowEngine

RELEASE_1 = Path(__file__).resolve().parents[1] / "fixtures" / "release_1"


def test_a_case_saved_by_release_1_continues_to_the_end_on_its_own_diagram_version():
    evaluator, _ = build_evaluator(None)
    xml = (RELEASE_1 / "standard_promised.bpmn").read_bytes()
    definition = DefinitionCatalogue(evaluator).compile([Document("standard_promised.bpmn", xml)],
                                                        "standard_promised")
    saved = json.loads((RELEASE_1 / "case_at_decision.json").read_text(encoding="utf-8"))
    engine = WorkflowEngine(evaluator, lambda: datetime.now(UTC))
    run = engine.restore(definition, SavedState(saved["state"], saved["serializer_version"]))
    assert [t.element_id for t in run.ready_tasks()] == ["decide_application"]
    for element_id, data in (("decide_application", {"decision": "approve"}), ("make_certificate", {}),
                             ("issue_result", {})):
        (task,) = run.ready_tasks()
        assert task.element_id == element_id
        run.complete(task.id, data)
        run = engine.restore(definition, run.save())  # saved again by this release, as in service
    assert run.is_completed
