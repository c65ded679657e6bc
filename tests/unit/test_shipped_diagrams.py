"""Checks on the BPMN diagrams shipped in ``processes/``.

Every shipped diagram must:

* be well-formed XML without a DOCTYPE and validate against the BPMN 2.0 XSD
  bundled with SpiffWorkflow (with the spiffworkflow extension schema imported);
* parse with :class:`SpiffBpmnParser` into an executable process spec;
* carry full BPMNDI: a shape for every flow node and lane, an edge for every
  sequence flow, with lanes stacked as horizontal bands inside one pool, no
  overlapping shapes and orthogonal edges that start and end on their shapes;
* use English snake_case ids and Chinese names;
* put every user task in a lane and declare its properties with the project's
  vocabulary (stage / decisions / results / opinion / fields / department_from /
  suspends_clock);
* have every flow out of a gateway named and conditioned by an allow-listed expression.

Every decision path is run end to end, on our engine, in ``test_shipped_paths.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.services.decisions import build_evaluator

PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
TARGET_NAMESPACE = "http://oneseal.example/bpmn"

FLOW_NODE_TAGS = (
    "startEvent", "endEvent", "userTask", "exclusiveGateway",
    "task", "manualTask", "scriptTask", "serviceTask",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "callActivity", "subProcess",
)

STAGES = {"registered", "awaiting_supplement", "in_review", "inspecting", "pending_decision",
          "certifying", "ready_to_issue", "verifying"}
CASE_RESULTS = {"approved", "rejected", "not_accepted", "withdrawn", "revoked", "upheld"}
OPINIONS = {"required", "optional"}
KNOWN_PROPERTIES = {"stage", "decisions", "results", "opinion", "fields", "department_from",
                    "suspends_clock", "item_from", "project_stage_from", "opens_case", "certificate"}
FINDING_FIELD = "finding:enum(合格|限期整改|不合格)!"
#: done on site: the day, the second inspector (two are required by law), the finding, the photos
ON_SITE_FIELDS = "inspected_on:date(past)!;second_inspector:person(inspector)!;finding:enum({})!;photos:photos"
FIELD_TYPE = re.compile(r"^(text|bool|int|date|date\(past\)|person\(inspector\)|photos|enum\([^|()]+(\|[^|()]+)*\))!?$")

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")

DELIVERY_FIELD = "delivery:enum(窗口领取|邮寄送达|电子送达)"
# the same steps in several diagrams: (lane, properties)
ACCEPT = ("综合窗口", {"stage": "registered", "decisions": "approve:受理,reject:不予受理",
                    "results": "reject:not_accepted", "opinion": "optional"})
DECIDE = ("分管领导", {"stage": "pending_decision", "decisions": "approve:准予,reject:不予",
                    "results": "approve:approved,reject:rejected", "opinion": "required",
                    "certificate": "reject:refusal"})
CERTIFICATE = ("审查股室", {"stage": "certifying", "opinion": "optional", "fields": "scope:text",
                           "certificate": "issue"})
ISSUE = ("综合窗口", {"stage": "ready_to_issue", "opinion": "optional", "fields": DELIVERY_FIELD,
                    "certificate": "deliver"})

# Expected content of each shipped diagram: process id/name, lanes top to
# bottom, and for every user task its lane and exact properties.
EXPECTED = {
    "standard_promised.bpmn": {
        "process_id": "standard_promised",
        "process_name": "承诺件标准流程",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口"), ("lane_review", "审查股室"), ("lane_leader", "分管领导")],
        "user_tasks": {
            "accept_application": ACCEPT,
            "review_application": ("审查股室", {
                "stage": "in_review",
                "decisions": "approve:建议准予,reject:建议不予,return:退回补正,expert:提请专家评审",
                "opinion": "required",
            }),
            "expert_review": ("审查股室", {
                "stage": "in_review",
                "suspends_clock": "expert_review",
                "opinion": "required",
                "fields": "expert_conclusion:text",
            }),
            "hold_hearing": ("审查股室", {
                "stage": "pending_decision",
                "suspends_clock": "hearing",
                "opinion": "required",
                "fields": "hearing_date:date",
            }),
            "supplement_materials": ("综合窗口", {
                "stage": "awaiting_supplement",
                "suspends_clock": "supplement",
                "opinion": "optional",
            }),
            "decide_application": ("分管领导", {
                "stage": "pending_decision",
                "decisions": "approve:准予,reject:不予,hearing:组织听证",
                "results": "approve:approved,reject:rejected",
                "opinion": "required", "certificate": "reject:refusal",
            }),
            "make_certificate": CERTIFICATE,
            "issue_result": ISSUE,
        },
    },
    "commitment_approval.bpmn": {
        "process_id": "commitment_approval",
        "process_name": "告知承诺审批流程",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口"), ("lane_inspector", "核查人员")],
        "user_tasks": {
            "accept_with_commitment": ("综合窗口", {
                "stage": "registered", "decisions": "approve:当场准予,reject:不予受理",
                "results": "approve:approved,reject:not_accepted", "opinion": "optional",
                "fields": "commitment_signed:bool;scope:text", "certificate": "approve:issue",
            }),
            "issue_result": ISSUE,
            "verify_commitment": ("核查人员", {
                "stage": "verifying", "department_from": "inspection_lead",
                "decisions": "pass:承诺属实,fail:承诺不实", "opens_case": "fail:revocation",
                "opinion": "required",
            }),
        },
    },
    "revocation.bpmn": {
        "process_id": "revocation",
        "process_name": "撤销行政许可程序",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_review", "审查股室"), ("lane_leader", "分管领导"), ("lane_window", "综合窗口")],
        "user_tasks": {
            "review_revocation": ("审查股室", {
                "stage": "in_review", "decisions": "revoke:建议撤销,keep:建议不予撤销", "opinion": "required",
            }),
            "decide_revocation": ("分管领导", {
                "stage": "pending_decision", "decisions": "revoke:撤销许可,keep:不予撤销",
                "results": "revoke:revoked,keep:upheld", "opinion": "required",
            }),
            "serve_decision": ISSUE,
        },
    },
    "licence_change.bpmn": {
        "process_id": "licence_change",
        "process_name": "证照变更、延续、注销",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口"), ("lane_review", "审查股室"), ("lane_leader", "分管领导")],
        "user_tasks": {
            "accept_application": ACCEPT,
            "review_application": ("审查股室", {
                "stage": "in_review", "decisions": "approve:建议准予,reject:建议不予", "opinion": "required",
            }),
            "decide_application": ("分管领导", {
                "stage": "pending_decision", "decisions": "approve:准予,reject:不予",
                "results": "approve:approved,reject:rejected", "opinion": "required",
                "certificate": "approve:cancel,reject:refusal",
            }),
            "make_certificate": CERTIFICATE,
            "issue_result": ISSUE,
        },
    },
    "bundle_approval.bpmn": {
        "process_id": "bundle_approval",
        "process_name": "一件事联办流程",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口"), ("lane_review", "审查股室")],
        "user_tasks": {
            "accept_application": ACCEPT,
            "issue_results": ISSUE,
        },
    },
    "bundle_item.bpmn": {
        "process_id": "bundle_item",
        "process_name": "一件事分项办理",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_review", "审查股室"), ("lane_leader", "分管领导")],
        "user_tasks": {
            "review_item": ("审查股室", {
                "stage": "in_review", "department_from": "bundle_item.department",
                "item_from": "bundle_item.item", "decisions": "approve:建议准予,reject:建议不予",
                "opinion": "required",
            }),
            "decide_item": ("分管领导", {
                "stage": "pending_decision", "department_from": "bundle_item.department",
                "item_from": "bundle_item.item", "decisions": "approve:准予,reject:不予",
                "results": "approve:approved,reject:rejected", "opinion": "required",
                "certificate": "reject:refusal",
            }),
            "make_item_certificate": ("审查股室", {
                "stage": "certifying", "department_from": "bundle_item.department",
                "item_from": "bundle_item.item", "opinion": "optional", "fields": "scope:text",
                "certificate": "issue",
            }),
        },
    },
    "parallel_approval.bpmn": {
        "process_id": "parallel_approval",
        "process_name": "并联审批流程",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口"), ("lane_review", "审查股室"), ("lane_leader", "分管领导")],
        "user_tasks": {
            "accept_application": ACCEPT,
            "parallel_review": ("审查股室", {
                "stage": "in_review",
                "department_from": "review_department",
                "decisions": "approve:同意,reject:不同意",
                "opinion": "required",
            }),
            "decide_application": DECIDE,
            "make_certificate": CERTIFICATE,
            "issue_result": ISSUE,
        },
    },
    "site_inspection.bpmn": {
        "process_id": "site_inspection",
        "process_name": "现场核查",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_inspector", "核查人员")],
        "user_tasks": {
            "inspect_independently": ("核查人员", {
                "stage": "inspecting", "item_from": "inspection_item", "department_from": "inspection_lead",
                "opinion": "required", "fields": ON_SITE_FIELDS.format("合格|限期整改|不合格"),
            }),
            "inspect_on_commission": ("核查人员", {
                "stage": "inspecting", "item_from": "inspection_item", "department_from": "qualified_department",
                "opinion": "required", "fields": ON_SITE_FIELDS.format("合格|限期整改|不合格"),
            }),
            "inspect_jointly": ("核查人员", {
                "stage": "inspecting", "item_from": "inspection_item", "department_from": "joint_department",
                "opinion": "required", "fields": ON_SITE_FIELDS.format("合格|限期整改|不合格"),
            }),
            "conclude_joint_inspection": ("核查人员", {
                "stage": "inspecting", "item_from": "inspection_item", "department_from": "inspection_lead",
                "opinion": "required", "fields": FINDING_FIELD,
            }),
            "reinspect_after_rectification": ("核查人员", {
                "stage": "inspecting", "item_from": "inspection_item", "department_from": "inspection_lead",
                "suspends_clock": "rectification", "opinion": "required",
                "fields": ON_SITE_FIELDS.format("合格|不合格"),
            }),
        },
    },
    "construction_project.bpmn": {
        "process_id": "construction_project",
        "process_name": "工程建设项目审批流程",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口"), ("lane_review", "审查股室")],
        "user_tasks": {
            "issue_result": ("综合窗口", {
                "stage": "ready_to_issue",
                "opinion": "optional",
                "fields": DELIVERY_FIELD, "certificate": "deliver",
            }),
        },
    },
    "project_stage.bpmn": {
        "process_id": "project_stage",
        "process_name": "工程建设项目审批阶段",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_review", "审查股室"), ("lane_inspector", "核查人员"), ("lane_leader", "分管领导")],
        "user_tasks": {
            "accept_stage": ("审查股室", {
                "stage": "registered", "department_from": "stage.lead",
                "project_stage_from": "stage.number",
                "decisions": "approve:受理,reject:不予受理", "opinion": "optional",
            }),
            "review_stage_items": ("审查股室", {
                "stage": "in_review", "department_from": "stage_item.department",
                "item_from": "stage_item.item", "project_stage_from": "stage.number",
                "decisions": "approve:准予,reject:不予", "results": "approve:approved,reject:rejected",
                "opinion": "required", "fields": "scope:text", "certificate": "approve:issue,reject:refusal",
            }),
            "conclude_stage": ("分管领导", {
                "stage": "pending_decision", "department_from": "stage.lead",
                "project_stage_from": "stage.number",
                "decisions": "approve:通过,reject:不通过", "opinion": "required",
            }),
        },
    },
    "project_completion.bpmn": {
        "process_id": "project_completion",
        "process_name": "竣工联合验收",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_review", "审查股室"), ("lane_leader", "分管领导")],
        "user_tasks": {
            "accept_completion": ("审查股室", {
                "stage": "registered", "department_from": "stage.lead",
                "project_stage_from": "stage.number",
                "decisions": "approve:受理,reject:不予受理", "opinion": "optional",
            }),
            "joint_acceptance": ("审查股室", {
                "stage": "in_review", "department_from": "acceptance_department",
                "project_stage_from": "stage.number",
                "decisions": "approve:合格,reject:不合格", "opinion": "required",
            }),
            "issue_acceptance": ("分管领导", {
                "stage": "pending_decision", "department_from": "stage.lead",
                "item_from": "stage.item", "project_stage_from": "stage.number",
                "decisions": "approve:验收合格,reject:验收不合格", "results": "approve:approved,reject:rejected",
                "opinion": "required", "fields": "scope:text", "certificate": "approve:issue,reject:refusal",
            }),
        },
    },
    "immediate.bpmn": {
        "process_id": "immediate",
        "process_name": "即办件流程",
        "pool_name": "县行政审批服务局",
        "lanes": [("lane_window", "综合窗口")],
        "user_tasks": {
            "accept_and_decide": ("综合窗口", {
                "stage": "registered",
                "decisions": "approve:准予,reject:不予",
                "results": "approve:approved,reject:rejected",
                "opinion": "optional", "fields": "scope:text", "certificate": "approve:issue,reject:refusal",
            }),
            "issue_result": ISSUE,
        },
    },
}

DIAGRAMS = sorted(EXPECTED)


# --------------------------------------------------------------------------- helpers

def _load(filename: str) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(PROCESSES_DIR / filename), parser)


def _spec(filename: str):
    expected = EXPECTED[filename]
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(_load(filename), filename=filename)
    return parser.get_spec(expected["process_id"])


def _process(tree):
    processes = tree.xpath("/bpmn:definitions/bpmn:process", namespaces=NS)
    assert len(processes) == 1
    return processes[0]


def _flow_nodes(process):
    return [el for el in process if etree.QName(el).localname in FLOW_NODE_TAGS]


def _properties(node) -> dict[str, str]:
    props = node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    )
    return {p.get("name"): p.get("value") for p in props}


def _pairs(value: str, sep: str = ",") -> list[tuple[str, str]]:
    pairs = []
    for item in value.split(sep):
        key, colon, label = item.partition(":")
        assert colon and key and label, f"malformed pair {item!r} in {value!r}"
        pairs.append((key, label))
    return pairs


class _Box:
    def __init__(self, bounds):
        self.x = float(bounds.get("x"))
        self.y = float(bounds.get("y"))
        self.w = float(bounds.get("width"))
        self.h = float(bounds.get("height"))

    @property
    def right(self):
        return self.x + self.w

    @property
    def bottom(self):
        return self.y + self.h

    def contains(self, other: "_Box") -> bool:
        return (self.x <= other.x and self.y <= other.y
                and other.right <= self.right and other.bottom <= self.bottom)

    def overlaps(self, other: "_Box") -> bool:
        return (self.x < other.right and other.x < self.right
                and self.y < other.bottom and other.y < self.bottom)

    def on_border(self, px: float, py: float) -> bool:
        on_vertical = px in (self.x, self.right) and self.y <= py <= self.bottom
        on_horizontal = py in (self.y, self.bottom) and self.x <= px <= self.right
        return on_vertical or on_horizontal

    def diamond_corner(self, px: float, py: float) -> bool:
        cx, cy = self.x + self.w / 2, self.y + self.h / 2
        return (px, py) in {(cx, self.y), (cx, self.bottom), (self.x, cy), (self.right, cy)}

    def crossed_by(self, a, b) -> bool:
        """Does the axis-aligned segment a-b pass through this box's interior?"""
        (x1, y1), (x2, y2) = a, b
        if y1 == y2:
            return self.y < y1 < self.bottom and min(x1, x2) < self.right and self.x < max(x1, x2)
        return self.x < x1 < self.right and min(y1, y2) < self.bottom and self.y < max(y1, y2)


def _shapes(tree) -> dict[str, etree._Element]:
    shapes = {}
    for shape in tree.xpath("//bpmndi:BPMNShape", namespaces=NS):
        element = shape.get("bpmnElement")
        assert element not in shapes, f"two shapes for {element}"
        shapes[element] = shape
    return shapes


def _edges(tree) -> dict[str, etree._Element]:
    edges = {}
    for edge in tree.xpath("//bpmndi:BPMNEdge", namespaces=NS):
        element = edge.get("bpmnElement")
        assert element not in edges, f"two edges for {element}"
        edges[element] = edge
    return edges


def _box(di_element) -> _Box:
    return _Box(di_element.find("dc:Bounds", NS))


def _label_box(di_element) -> _Box | None:
    bounds = di_element.find("bpmndi:BPMNLabel/dc:Bounds", NS)
    return None if bounds is None else _Box(bounds)


# --------------------------------------------------------------------------- XML / schema

@pytest.mark.parametrize("filename", DIAGRAMS)
def test_diagram_is_plain_xml_without_doctype(filename):
    raw = (PROCESSES_DIR / filename).read_bytes()
    assert b"<!DOCTYPE" not in raw.upper()
    tree = _load(filename)
    assert tree.docinfo.doctype == ""
    root = tree.getroot()
    assert root.tag == f"{{{NS['bpmn']}}}definitions"
    assert root.get("targetNamespace") == TARGET_NAMESPACE
    for prefix, uri in NS.items():
        assert root.nsmap.get(prefix) == uri, prefix
    assert root.nsmap.get("xsi") == "http://www.w3.org/2001/XMLSchema-instance"


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_diagram_validates_against_bpmn_xsd(filename):
    # VALIDATOR is SpiffWorkflow's BpmnValidator over BPMN20.xsd with the
    # spiffworkflow extension schema imported, so the properties are checked too.
    VALIDATOR.validate(_load(filename), filename)


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_diagram_parses_into_executable_spec(filename):
    expected = EXPECTED[filename]
    tree = _load(filename)
    process = _process(tree)
    assert process.get("id") == expected["process_id"]
    assert process.get("name") == expected["process_name"]
    assert process.get("isExecutable") == "true"

    spec = _spec(filename)
    assert spec.name == expected["process_id"]
    assert spec.description == expected["process_name"]
    bpmn_ids = {ts.bpmn_id for ts in spec.task_specs.values() if ts.bpmn_id}
    assert {n.get("id") for n in _flow_nodes(process)} <= bpmn_ids


# --------------------------------------------------------------------------- naming

@pytest.mark.parametrize("filename", DIAGRAMS)
def test_ids_are_snake_case_and_names_are_chinese(filename):
    tree = _load(filename)
    ids = tree.xpath("//@id")
    assert ids
    for value in ids:
        assert SNAKE_CASE.match(value), f"id {value!r} is not snake_case ASCII"
    assert len(ids) == len(set(ids)), "duplicate ids"

    model = tree.xpath("/bpmn:definitions/bpmn:*[not(self::bpmndi:BPMNDiagram)]", namespaces=NS)
    for top in model:
        for element in top.iter():
            if not isinstance(element.tag, str) or etree.QName(element).namespace != NS["bpmn"]:
                continue
            name = element.get("name")
            local = etree.QName(element).localname
            must_be_named = local in FLOW_NODE_TAGS or local in ("process", "participant", "lane")
            if must_be_named:
                assert name, f"{local} {element.get('id')} has no name"
            if name is not None:
                assert name.strip() == name and name, f"{element.get('id')}: bad name {name!r}"
                assert CJK.search(name), f"{element.get('id')}: name {name!r} is not Chinese"
                assert not ASCII_LETTER.search(name), f"{element.get('id')}: name {name!r} mixes in ASCII"


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_flows_out_of_gateways_are_named_and_conditioned(filename):
    tree = _load(filename)
    process = _process(tree)
    evaluator, _ = build_evaluator(None)
    gateways = {g.get("id") for g in process.findall("bpmn:exclusiveGateway", NS)}
    nodes = {n.get("id"): n for n in _flow_nodes(process)}
    flows = process.findall("bpmn:sequenceFlow", NS)
    for flow in flows:
        assert flow.get("sourceRef") in nodes and flow.get("targetRef") in nodes
        if flow.get("sourceRef") not in gateways:
            continue
        assert flow.get("name"), f"{flow.get('id')} leaves a gateway without a name"
        condition = flow.find("bpmn:conditionExpression", NS)
        assert condition is not None, f"{flow.get('id')} leaves a gateway without a condition"
        assert condition.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "bpmn:tFormalExpression"
        evaluator.check_expression(condition.text)

    for gateway_id in gateways:
        outgoing = [f for f in flows if f.get("sourceRef") == gateway_id]
        if len(outgoing) < 2:
            continue  # a merge
        # a gateway right after a task that takes decisions routes on exactly those decisions
        feeders = [nodes[f.get("sourceRef")] for f in flows if f.get("targetRef") == gateway_id]
        decided = [f for f in feeders if "decisions" in _properties(f)]
        if not decided:
            continue
        (feeder,) = decided
        decisions = {key for key, _ in _pairs(_properties(feeder)["decisions"])}
        covered = set()
        for f in outgoing:
            match = re.fullmatch(r'decision == "([a-z_]+)"', f.find("bpmn:conditionExpression", NS).text.strip())
            assert match, f"{f.get('id')}: route on the decision of {feeder.get('id')}"
            covered.add(match.group(1))
        assert covered == decisions, gateway_id


# --------------------------------------------------------------------------- lanes and properties

@pytest.mark.parametrize("filename", DIAGRAMS)
def test_pool_and_lanes(filename):
    expected = EXPECTED[filename]
    tree = _load(filename)
    participants = tree.xpath("//bpmn:collaboration/bpmn:participant", namespaces=NS)
    assert len(participants) == 1
    assert participants[0].get("name") == expected["pool_name"]
    assert participants[0].get("processRef") == expected["process_id"]

    process = _process(tree)
    lanes = process.xpath("bpmn:laneSet/bpmn:lane", namespaces=NS)
    assert [(lane.get("id"), lane.get("name")) for lane in lanes] == expected["lanes"]

    # every flow node sits in exactly one lane
    refs = [ref.text for ref in process.xpath("bpmn:laneSet/bpmn:lane/bpmn:flowNodeRef", namespaces=NS)]
    assert sorted(refs) == sorted(n.get("id") for n in _flow_nodes(process))


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_user_task_properties_use_the_vocabulary(filename):
    expected = EXPECTED[filename]
    process = _process(_load(filename))
    user_tasks = {t.get("id"): t for t in process.findall("bpmn:userTask", NS)}
    assert set(user_tasks) == set(expected["user_tasks"])

    for task_id, task in user_tasks.items():
        props = _properties(task)
        assert props == expected["user_tasks"][task_id][1], task_id
        assert set(props) <= KNOWN_PROPERTIES
        assert props["stage"] in STAGES
        assert props.get("opinion", "optional") in OPINIONS
        decisions = dict(_pairs(props["decisions"])) if "decisions" in props else {}
        for value, label in decisions.items():
            assert SNAKE_CASE.match(value) and CJK.search(label)
        if "results" in props:
            for decision, result in _pairs(props["results"]):
                assert decision in decisions, f"{task_id}: result for unknown decision {decision}"
                assert result in CASE_RESULTS
        if props.get("fields"):
            for name, ftype in _pairs(props["fields"], sep=";"):
                assert SNAKE_CASE.match(name)
                assert FIELD_TYPE.match(ftype), f"{task_id}: bad field type {ftype!r}"


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_spiffworkflow_exposes_lanes_and_properties(filename):
    expected = EXPECTED[filename]
    spec = _spec(filename)
    for task_id, (lane_name, props) in expected["user_tasks"].items():
        # a multi-instance task's properties sit on its instance spec, its lane on the loop spec
        task_spec = spec.task_specs.get(f"{task_id} [child]") or spec.task_specs[task_id]
        # SpiffWorkflow reports the lane *name*, not the lane id
        assert (task_spec.lane or spec.task_specs[task_id].lane) == lane_name
        assert task_spec.extensions["properties"] == props
        assert task_spec.manual


# --------------------------------------------------------------------------- diagram interchange

@pytest.mark.parametrize("filename", DIAGRAMS)
def test_every_element_has_diagram_interchange(filename):
    tree = _load(filename)
    process = _process(tree)
    shapes, edges = _shapes(tree), _edges(tree)

    diagrams = tree.xpath("//bpmndi:BPMNDiagram", namespaces=NS)
    assert len(diagrams) == 1
    plane = diagrams[0].find("bpmndi:BPMNPlane", NS)
    collaboration = tree.find("bpmn:collaboration", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")

    expected_shapes = {n.get("id") for n in _flow_nodes(process)}
    expected_shapes |= {lane.get("id") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)}
    expected_shapes |= {p.get("id") for p in collaboration.iterfind("bpmn:participant", NS)}
    assert set(shapes) == expected_shapes
    assert set(edges) == {f.get("id") for f in process.findall("bpmn:sequenceFlow", NS)}


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_lanes_are_horizontal_bands_inside_the_pool(filename):
    tree = _load(filename)
    process = _process(tree)
    shapes = _shapes(tree)
    participant = tree.find("bpmn:collaboration/bpmn:participant", NS)
    pool_shape = shapes[participant.get("id")]
    assert pool_shape.get("isHorizontal") == "true"
    pool = _box(pool_shape)

    lanes = list(process.iterfind("bpmn:laneSet/bpmn:lane", NS))
    boxes = [_box(shapes[lane.get("id")]) for lane in lanes]
    for lane, box in zip(lanes, boxes):
        assert shapes[lane.get("id")].get("isHorizontal") == "true"
        assert pool.contains(box)
        assert box.x == pool.x + 30 and box.right == pool.right, "lane must span the pool"
    # stacked top to bottom in declaration order, no gaps, filling the pool
    assert boxes[0].y == pool.y and boxes[-1].bottom == pool.bottom
    for upper, lower in zip(boxes, boxes[1:]):
        assert upper.bottom == lower.y

    # every flow node is drawn inside its own lane
    for lane, box in zip(lanes, boxes):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert box.contains(_box(shapes[ref.text])), f"{ref.text} drawn outside {lane.get('id')}"


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_shapes_and_labels_do_not_overlap(filename):
    tree = _load(filename)
    process = _process(tree)
    shapes = _shapes(tree)
    edges = _edges(tree)
    node_ids = [n.get("id") for n in _flow_nodes(process)]

    boxes = {node_id: _box(shapes[node_id]) for node_id in node_ids}
    labels = {}
    for node_id in node_ids:
        label = _label_box(shapes[node_id])
        if label is not None:
            labels[f"label of {node_id}"] = label
    for flow_id, edge in edges.items():
        label = _label_box(edge)
        if label is not None:
            labels[f"label of {flow_id}"] = label

    hosts = {b.get("id"): b.get("attachedToRef") for b in process.findall("bpmn:boundaryEvent", NS)}
    everything = list(boxes.items()) + list(labels.items())
    for i, (name_a, a) in enumerate(everything):
        for name_b, b in everything[i + 1:]:
            if hosts.get(name_a) == name_b or hosts.get(name_b) == name_a:
                assert a.overlaps(b), f"boundary event {name_a} must sit on {name_b}"
                continue
            assert not a.overlaps(b), f"{name_a} overlaps {name_b}"


@pytest.mark.parametrize("filename", DIAGRAMS)
def test_edges_are_orthogonal_and_attached(filename):
    tree = _load(filename)
    process = _process(tree)
    shapes, edges = _shapes(tree), _edges(tree)
    node_ids = [n.get("id") for n in _flow_nodes(process)]
    gateways = {g.get("id") for g in process.findall("bpmn:exclusiveGateway", NS)}

    for flow in process.findall("bpmn:sequenceFlow", NS):
        flow_id, source, target = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        points = [(float(w.get("x")), float(w.get("y")))
                  for w in edges[flow_id].findall("di:waypoint", NS)]
        assert len(points) >= 2, flow_id
        for a, b in zip(points, points[1:]):
            assert a != b, f"{flow_id}: zero-length segment"
            assert a[0] == b[0] or a[1] == b[1], f"{flow_id}: diagonal segment {a}->{b}"

        for end, node_id in ((points[0], source), (points[-1], target)):
            box = _box(shapes[node_id])
            if node_id in gateways:
                assert box.diamond_corner(*end), f"{flow_id}: not attached to a corner of {node_id}"
            else:
                assert box.on_border(*end), f"{flow_id}: not attached to {node_id}"

        for other in node_ids:
            if other in (source, target):
                continue
            box = _box(shapes[other])
            for a, b in zip(points, points[1:]):
                assert not box.crossed_by(a, b), f"{flow_id} runs through {other}"
