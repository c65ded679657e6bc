"""The difference between two versions of a process model, element by element.

Elements are matched by id. An element is *changed* when its own attributes, text or id-less
content (conditions, extension properties, incoming/outgoing references…) differ; elements
nested with an id of their own are compared on their own, so adding a task reports the task as
added, not its process as changed. Layout (BPMN DI) is compared apart: *moved* lists the
elements whose shape bounds or edge waypoints changed. Namespace prefixes do not matter.

A label's box (``BPMNLabel``) follows its text: bpmn-js resizes it when a name is edited, so a
renamed element whose label box changed is *changed* (its name), not *moved*; a label box moved
without a new name is a layout change. ``isHorizontal="true"`` (what bpmn-js writes for pools and
lanes) equals an absent one, the BPMN default for those shapes; ``isMarkerVisible`` (whether an
exclusive gateway draws its ✕, which bpmn-js writes on a gateway it touched) moves nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.workflow.checking.safe_xml import parse_untrusted

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
#: attributes of a shape that say nothing about where it is
_NOT_LAYOUT = frozenset({"id", "isMarkerVisible"})


@dataclass(frozen=True)
class ElementRef:
    element_id: str
    type: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "type": self.type, "name": self.name}


@dataclass(frozen=True)
class ElementChange(ElementRef):
    changes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "changes": list(self.changes)}


@dataclass
class ModelDiff:
    added: list[ElementRef] = field(default_factory=list)
    removed: list[ElementRef] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"added": [e.to_dict() for e in self.added], "removed": [e.to_dict() for e in self.removed],
                "changed": [e.to_dict() for e in self.changed], "moved": self.moved}


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _children(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str)]


def _signature(node: etree._Element) -> tuple[Any, ...]:
    """The node's content without its id and without nested elements that have an id."""
    attributes = tuple(sorted((k, v) for k, v in node.attrib.items() if k != "id"))
    inner = tuple(_signature(c) for c in _children(node) if c.get("id") is None)
    return (node.tag, attributes, (node.text or "").strip(), inner)


def _semantic_elements(root: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        if etree.QName(node).namespace == DI_NS:
            continue
        element_id = node.get("id")
        if element_id and node is not root:
            found.setdefault(element_id, node)
        pending.extend(reversed(_children(node)))
    return found


def _layout(root: etree._Element) -> dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """bpmnElement → (the shape's or edge's own geometry, its label's box)."""
    found: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
    for local in ("BPMNShape", "BPMNEdge"):
        for node in root.iter(f"{{{DI_NS}}}{local}"):
            target = node.get("bpmnElement")
            if not target:
                continue
            attributes = tuple(sorted((k, v) for k, v in node.attrib.items() if k not in _NOT_LAYOUT
                                      and not (k == "isHorizontal" and v == "true")))
            own = tuple(_signature(c) for c in _children(node) if c.get("id") is None and _local(c) != "BPMNLabel")
            label = tuple(_signature(c) for c in _children(node) if _local(c) == "BPMNLabel")
            found[target] = ((attributes, own), label)
    return found


def _ref(node: etree._Element) -> ElementRef:
    return ElementRef(node.get("id", ""), _local(node), node.get("name") or "")


def _changes(old: etree._Element, new: etree._Element) -> tuple[str, ...]:
    changes: list[str] = []
    if old.tag != new.tag:
        changes.append(f"类型：{_local(old)} → {_local(new)}")
    for key in sorted(set(old.attrib) | set(new.attrib)):
        if key == "id" or old.get(key) == new.get(key):
            continue
        label = "名称" if key == "name" else f"属性 {etree.QName(key).localname}"
        changes.append(f"{label}：{old.get(key) or '（无）'} → {new.get(key) or '（无）'}")
    if (old.text or "").strip() != (new.text or "").strip():
        changes.append("文本内容已修改")
    kinds = sorted({_local(c) for c in _children(old) + _children(new) if c.get("id") is None})
    for kind in kinds:
        before = [_signature(c) for c in _children(old) if c.get("id") is None and _local(c) == kind]
        after = [_signature(c) for c in _children(new) if c.get("id") is None and _local(c) == kind]
        if before != after:
            changes.append(f"{kind} 已修改")
    return tuple(changes)


def diff_models(old_content: bytes, new_content: bytes) -> ModelDiff:
    old_root, new_root = parse_untrusted(old_content), parse_untrusted(new_content)
    old, new = _semantic_elements(old_root), _semantic_elements(new_root)
    diff = ModelDiff(
        added=[_ref(new[i]) for i in new if i not in old],
        removed=[_ref(old[i]) for i in old if i not in new])
    for element_id in (i for i in new if i in old):
        if _signature(old[element_id]) != _signature(new[element_id]):
            ref = _ref(new[element_id])
            diff.changed.append(ElementChange(ref.element_id, ref.type, ref.name,
                                              _changes(old[element_id], new[element_id])))
    old_layout, new_layout = _layout(old_root), _layout(new_root)
    renamed = {i for i in new if i in old and old[i].get("name") != new[i].get("name")}
    diff.moved = [i for i in new_layout if i in old_layout
                  and (old_layout[i][0] != new_layout[i][0]
                       or (old_layout[i][1] != new_layout[i][1] and i not in renamed))]
    return diff
