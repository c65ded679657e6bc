"""The saved state is the library's serializer JSON exactly: our faster task and workflow
dictionaries write what SpiffWorkflow's own ``TaskConverter`` and ``WorkflowConverter`` write,
byte for byte, at every step of the longest shipped flow (a construction project: four stages,
call activities, parallel departments)."""
from __future__ import annotations

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter, WorkflowConverter

from app.workflow import serializer as serializer_module
from tests.support.project_flow import START, answer, project_engine


def _dump_with(monkeypatch, to_dict, run, workflow_fields=None) -> str:
    """The state as a serializer whose task dictionary is ``to_dict`` (and whose workflow
    dictionary is ``workflow_fields``) writes it (a serializer's registry takes its converters'
    methods when it is built: a new one)."""
    with monkeypatch.context() as patched:
        patched.setattr(serializer_module._TaskConverter, "to_dict", to_dict)
        if workflow_fields is not None:
            patched.setattr(serializer_module._SpecByReferenceConverter, "workflow_fields", workflow_fields)
        return serializer_module.StateSerializer().dump(run._workflow)


def _library_dump(monkeypatch, engine, run) -> str:
    return _dump_with(monkeypatch, TaskConverter.to_dict, run, WorkflowConverter.to_dict)


def test_every_saved_state_of_a_project_is_the_library_s_own_json(monkeypatch):
    engine, definition, _ = project_engine()
    run = engine.start(definition, START)
    steps = 0
    while run.ready_tasks() and steps < 400:
        assert engine.serializer.dump(run._workflow) == _library_dump(monkeypatch, engine, run)
        task = run.ready_tasks()[0]
        run.complete(task.id, answer(task))
        steps += 1
    assert steps > 50 and run.is_completed
    assert engine.serializer.dump(run._workflow) == _library_dump(monkeypatch, engine, run)


def test_the_library_s_dictionary_differs_when_the_converter_is_wrong(monkeypatch):
    """Control: a task dictionary that leaves the changes out of its delta is caught."""
    engine, definition, _ = project_engine()
    run = engine.start(definition, START)
    original = serializer_module._TaskConverter.to_dict

    def lossy(self, task):
        dct = original(self, task)
        if dct["delta"]:
            dct["delta"] = {"updates": {}, "deletions": dct["delta"]["deletions"]}
        return dct

    differs = False
    while run.ready_tasks() and not differs:
        differs = _dump_with(monkeypatch, lossy, run) != _library_dump(monkeypatch, engine, run)
        task = run.ready_tasks()[0]
        run.complete(task.id, answer(task))
    assert differs


def test_the_library_s_workflow_dictionary_differs_when_ours_is_wrong(monkeypatch):
    """Control: a workflow dictionary that writes one task without its typename is caught."""
    engine, definition, _ = project_engine()
    run = engine.start(definition, START)
    original = serializer_module._SpecByReferenceConverter.workflow_fields

    def lossy(self, workflow):
        dct = original(self, workflow)
        next(iter(dct["tasks"].values())).pop("typename")
        return dct

    assert _dump_with(monkeypatch, serializer_module._TaskConverter.to_dict, run, lossy) \
        != _library_dump(monkeypatch, engine, run)
