"""Small BPMN documents for the process-model tests, built from a few parts."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "processes"
MIWG = ROOT / "tests" / "conformance" / "bpmn-miwg"

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'id="definitions_{pid}" targetNamespace="http://oneseal.example/bpmn">\n')


def process(body: str, pid: str = "probe", name: str = "试验流程", executable: bool = True,
            lane: str | None = "审查股室", lane_nodes: tuple[str, ...] = ("review",), extensions: str = "") -> str:
    lanes = ""
    if lane is not None:
        refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in lane_nodes)
        lanes = f'<bpmn:laneSet id="{pid}_lanes"><bpmn:lane id="{pid}_lane" name="{lane}">{refs}</bpmn:lane></bpmn:laneSet>'
    flag = "true" if executable else "false"
    return (f'<bpmn:process id="{pid}" name="{name}" isExecutable="{flag}">{extensions}{lanes}\n'
            f'{body}\n</bpmn:process>\n')


LINEAR = '''<bpmn:startEvent id="start" name="申请提交"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:userTask id="review" name="审查"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="end" name="办结"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />'''


def document(*processes: str, pid: str = "probe", extra: str = "") -> bytes:
    return (HEAD.format(pid=pid) + "".join(processes) + extra + "</bpmn:definitions>\n").encode("utf-8")


def linear(pid: str = "probe", task_name: str = "审查", **kwargs: object) -> bytes:
    return document(process(LINEAR.replace('name="审查"', f'name="{task_name}"'), pid=pid, **kwargs), pid=pid)


def fan_out(branches: int, kind: str = "parallelGateway") -> bytes:
    """A gateway splitting into ``branches`` user tasks that join again."""
    tasks = [f"t{i}" for i in range(branches)]
    body = ['<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>',
            f'<bpmn:{kind} id="split" name="分送各部门"><bpmn:incoming>f0</bpmn:incoming>'
            + "".join(f"<bpmn:outgoing>s{t}</bpmn:outgoing>" for t in tasks) + f"</bpmn:{kind}>",
            f'<bpmn:{kind} id="join" name="汇总">' + "".join(f"<bpmn:incoming>j{t}</bpmn:incoming>" for t in tasks)
            + f'<bpmn:outgoing>fe</bpmn:outgoing></bpmn:{kind}>',
            '<bpmn:endEvent id="end"><bpmn:incoming>fe</bpmn:incoming></bpmn:endEvent>',
            '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split" />',
            '<bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="end" />']
    for t in tasks:
        body.append(f'<bpmn:userTask id="{t}" name="部门审查{t}"><bpmn:incoming>s{t}</bpmn:incoming>'
                    f'<bpmn:outgoing>j{t}</bpmn:outgoing></bpmn:userTask>')
        condition = ('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">True</bpmn:conditionExpression>'
                     if kind == "inclusiveGateway" else "")
        body.append(f'<bpmn:sequenceFlow id="s{t}" sourceRef="split" targetRef="{t}">{condition}</bpmn:sequenceFlow>')
        body.append(f'<bpmn:sequenceFlow id="j{t}" sourceRef="{t}" targetRef="join" />')
    return document(process("\n".join(body), lane_nodes=tuple(tasks)))


def with_condition(expression: str) -> bytes:
    """An exclusive gateway whose first branch has ``expression`` as its condition."""
    body = '''<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
<bpmn:exclusiveGateway id="choose" name="是否准予" default="no"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>yes</bpmn:outgoing><bpmn:outgoing>no</bpmn:outgoing></bpmn:exclusiveGateway>
<bpmn:endEvent id="end_yes" name="准予"><bpmn:incoming>yes</bpmn:incoming></bpmn:endEvent>
<bpmn:endEvent id="end_no" name="不予"><bpmn:incoming>no</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="choose" />
<bpmn:sequenceFlow id="yes" name="准予" sourceRef="choose" targetRef="end_yes"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{expr}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="no" name="不予" sourceRef="choose" targetRef="end_no" />'''
    escaped = expression.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return document(process(body.replace("{expr}", escaped), lane=None))


def with_script(script: str) -> bytes:
    body = '''<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
<bpmn:scriptTask id="compute" name="计算"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="compute" />
<bpmn:sequenceFlow id="f1" sourceRef="compute" targetRef="end" />'''
    escaped = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return document(process(body.replace("{script}", escaped), lane=None))


def calling(target: str, pid: str = "probe") -> bytes:
    body = f'''<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
<bpmn:callActivity id="call" name="调用子流程" calledElement="{target}"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:callActivity>
<bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="call" />
<bpmn:sequenceFlow id="f1" sourceRef="call" targetRef="end" />'''
    return document(process(body, pid=pid, lane=None), pid=pid)


def declaring_items(codes: str, pid: str = "probe") -> bytes:
    extensions = ('<bpmn:extensionElements><spiffworkflow:properties>'
                  f'<spiffworkflow:property name="items" value="{codes}" />'
                  '</spiffworkflow:properties></bpmn:extensionElements>')
    return document(process(LINEAR, pid=pid, extensions=extensions), pid=pid)


def shipped(name: str = "standard_promised") -> bytes:
    return (SHIPPED / f"{name}.bpmn").read_bytes()


def codes(findings: list, severity: str | None = None) -> set[str]:
    """The codes of findings (objects or dicts), optionally of one severity."""
    found = set()
    for f in findings:
        data = f if isinstance(f, dict) else f.to_dict()
        if severity is None or data["severity"] == severity:
            found.add(data["code"])
    return found
