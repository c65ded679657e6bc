"""A deployed version pins the versions of the processes it calls; running cases never move."""
from __future__ import annotations

import pytest

from app.persistence.processes import versions as process_versions
from app.services.actor import SYSTEM
from app.services.processes.deployed import compile_version, deploy
from app.workflow.definitions import DefinitionError

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_{pid}" '
        'targetNamespace="t">')


def sub(task_name: str = "核查") -> bytes:
    return (HEAD.format(pid="probe_sub") + f'''
<bpmn:process id="probe_sub" name="子流程" isExecutable="true">
  <bpmn:laneSet id="ls"><bpmn:lane id="l" name="核查人员"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
  <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="t" name="{task_name}"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="b" sourceRef="t" targetRef="e" />
</bpmn:process></bpmn:definitions>''').encode()


def caller(pid: str = "probe_caller", called: str = "probe_sub") -> bytes:
    return (HEAD.format(pid=pid) + f'''
<bpmn:process id="{pid}" name="主流程" isExecutable="true">
  <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
  <bpmn:callActivity id="c" name="调用" calledElement="{called}"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:callActivity>
  <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="c" /><bpmn:sequenceFlow id="b" sourceRef="c" targetRef="e" />
</bpmn:process></bpmn:definitions>''').encode()


def put(session, ext, pid: str, content: bytes):
    return deploy(session, ext.runtime, SYSTEM, filename=f"{pid}.bpmn", content=content, process_id=pid)


def test_caller_pins_the_called_version_and_follows_a_redeployment(ext):
    with ext.db.unit_of_work() as session:
        sub_v1 = put(session, ext, "probe_sub", sub())
        caller_v1 = put(session, ext, "probe_caller", caller())
        assert caller_v1.calls == {"probe_sub": sub_v1.id}
        definition = compile_version(session, ext.runtime, caller_v1)
        assert definition.human_task("t").name == "核查"

        sub_v2 = put(session, ext, "probe_sub", sub("复核"))
        latest = process_versions.latest_version(session, "probe_caller")
        assert latest.version == 2 and latest.calls == {"probe_sub": sub_v2.id}
        assert "子流程" in latest.comment
        assert compile_version(session, ext.runtime, latest).human_task("t").name == "复核"
        # the first version of the caller still runs the first version of the called process
        assert compile_version(session, ext.runtime, caller_v1).human_task("t").name == "核查"


def test_redeploying_identical_content_and_pins_adds_no_version(ext):
    with ext.db.unit_of_work() as session:
        put(session, ext, "probe_sub", sub())
        first = put(session, ext, "probe_caller", caller())
        again = put(session, ext, "probe_caller", caller())
        assert again.id == first.id


def test_calling_a_process_that_is_not_deployed_is_refused(ext):
    with ext.db.unit_of_work() as session:
        with pytest.raises(DefinitionError) as err:
            put(session, ext, "probe_caller", caller(called="nowhere"))
    assert err.value.code == "called_process_missing"
    assert "nowhere" in err.value.message


def test_a_call_cycle_is_refused(ext):
    with ext.db.unit_of_work() as session:
        put(session, ext, "probe_sub", sub())
        put(session, ext, "probe_a", caller("probe_a", "probe_sub"))
        put(session, ext, "probe_b", caller("probe_b", "probe_a"))
        with pytest.raises(DefinitionError) as err:
            put(session, ext, "probe_a", caller("probe_a", "probe_b"))
    assert err.value.code == "called_process_cycle"
