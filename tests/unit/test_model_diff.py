"""Differences between two versions of a model, element by element."""
from __future__ import annotations

from app.workflow.checking.model_diff import diff_models
from tests.support.model_samples import linear, shipped


def test_identical_versions_have_no_difference():
    diff = diff_models(shipped(), shipped())
    assert (diff.added, diff.removed, diff.changed, diff.moved) == ([], [], [], [])


def test_namespace_prefixes_and_attribute_order_do_not_count():
    renamed = linear().replace(b"bpmn:", b"semantic:").replace(b"xmlns:bpmn=", b"xmlns:semantic=")
    reordered = renamed.replace(b'sourceRef="start" targetRef="review"', b'targetRef="review" sourceRef="start"')
    assert diff_models(linear(), reordered).to_dict() == {"added": [], "removed": [], "changed": [], "moved": []}


def test_added_removed_and_changed_elements_are_named():
    before = shipped()
    after = before.replace('name="制证"'.encode(), 'name="制作证照"'.encode())
    after = after.replace(b'name="opinion" value="required"', b'name="opinion" value="optional"', 1)
    after = after.replace(b"</bpmn:process>", '<bpmn:task id="archive" name="归档" /></bpmn:process>'.encode())
    diff = diff_models(before, after)
    assert [(e.element_id, e.type, e.name) for e in diff.added] == [("archive", "task", "归档")]
    changed = {c.element_id: c.changes for c in diff.changed}
    assert changed.pop("make_certificate") == ("名称：制证 → 制作证照",)
    # the first task that required an opinion now makes it optional
    assert list(changed.values()) == [("extensionElements 已修改",)]
    back = diff_models(after, before)
    assert [e.element_id for e in back.removed] == ["archive"]


def test_moved_shapes_are_reported_apart_from_content():
    before = shipped("immediate")
    after = before.replace(b'<dc:Bounds x="320" y="130" width="100" height="80" />',
                           b'<dc:Bounds x="340" y="130" width="100" height="80" />', 1)
    assert after != before
    diff = diff_models(before, after)
    assert diff.changed == [] and len(diff.moved) == 1


def test_a_condition_change_is_a_change_of_its_flow():
    before = shipped()
    after = before.replace(b'decision == "reject"', b'decision != "approve"', 1)
    [change] = diff_models(before, after).changed
    assert change.type == "sequenceFlow" and change.changes == ("conditionExpression 已修改",)


def _relabelled(content: bytes) -> bytes:
    """A label-only edit as bpmn-js saves it: the flow's name, and its label box resized to the text."""
    after = content.replace('name="受理" sourceRef'.encode(), 'name="予以受理" sourceRef'.encode(), 1)
    head, sep, tail = after.partition(b'bpmnElement="flow_to_review">')
    label_start = tail.index(b"<dc:Bounds")
    label_end = tail.index(b"/>", label_start) + 2
    return head + sep + tail[:label_start] + b'<dc:Bounds x="604" y="226" width="44" height="14" />' + tail[label_end:]


def test_a_label_only_edit_shows_no_layout_change():
    before = shipped()
    after = _relabelled(before)
    diff = diff_models(before, after)
    assert [(c.element_id, c.changes) for c in diff.changed] == [("flow_to_review", ("名称：受理 → 予以受理",))]
    assert diff.moved == []


def test_a_label_box_moved_without_a_new_name_is_a_layout_change():
    before = _relabelled(shipped())
    after = before.replace('name="予以受理" sourceRef'.encode(), 'name="受理" sourceRef'.encode(), 1)
    diff = diff_models(after, shipped())  # the original box back, the same name
    assert diff.changed == [] and diff.moved == ["flow_to_review"]


def test_pools_and_lanes_marked_horizontal_are_the_same_layout():
    marked = shipped()
    assert b'bpmnElement="lane_window" isHorizontal="true"' in marked
    unmarked = marked.replace(b'bpmnElement="lane_window" isHorizontal="true"', b'bpmnElement="lane_window"', 1)
    assert diff_models(unmarked, marked).moved == []
    vertical = marked.replace(b'bpmnElement="lane_window" isHorizontal="true"',
                              b'bpmnElement="lane_window" isHorizontal="false"', 1)
    assert diff_models(marked, vertical).moved == ["lane_window"]


def test_a_gateway_marker_shown_is_no_layout_change():
    before = shipped()
    after = before.replace(b'bpmnElement="acceptance_gateway"', b'bpmnElement="acceptance_gateway" isMarkerVisible="true"', 1)
    assert after != before
    assert diff_models(before, after).moved == []
