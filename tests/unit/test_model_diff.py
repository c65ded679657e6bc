"""Differences between two versions of a model, element by element."""
from __future__ import annotations

from app.workflow.model_diff import diff_models
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
