"""Lay out a BPMN diagram: rewrite its diagram interchange (BPMNDI) from the process model.

Usage: python scripts/layout_bpmn.py processes/site_inspection.bpmn [more.bpmn ...]

For authors of the shipped diagrams (designers use the web modeler). The semantic part of
the file is kept byte for byte apart from the ``bpmndi:BPMNDiagram`` element, which is
replaced. Layout:

* one pool per participant, its lanes as horizontal bands in declaration order;
* columns by the longest path from the start event (loops ignored), one sub-row per node that
  shares a column within a lane; boundary events sit on the bottom edge of their task;
* sequence flows are orthogonal, leave tasks on the right, gateways on a corner, and are
  routed around every shape; loops go back below the row they leave;
* labels of events, gateways and named flows are placed where they overlap nothing.

``python scripts/layout_bpmn.py --check FILE`` exits 1 when the file's layout is not what
this tool would write (for CI of the shipped diagrams).
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
TASKS = {"task", "userTask", "scriptTask", "serviceTask", "manualTask", "businessRuleTask",
         "sendTask", "receiveTask", "callActivity", "subProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}

POOL_X, POOL_Y, LANE_HEADER = 160, 80, 30
COL_W, ROW_H, FIRST_COL = 170, 140, 70
CHAR_W, LABEL_H = 14, 14


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlaps(self, other: Box, margin: float = 2) -> bool:
        return not (self.right + margin <= other.x or other.right + margin <= self.x
                    or self.bottom + margin <= other.y or other.bottom + margin <= self.y)

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the axis-parallel segment a-b passes through the inside of this box."""
        (x1, y1), (x2, y2) = a, b
        if y1 == y2:
            lo, hi = sorted((x1, x2))
            return self.y < y1 < self.bottom and lo < self.right and hi > self.x
        lo, hi = sorted((y1, y2))
        return self.x < x1 < self.right and lo < self.bottom and hi > self.y


@dataclass
class Node:
    id: str
    kind: str  # task | event | gateway
    tag: str
    name: str
    lane: int
    attached_to: str | None = None
    col: int = 0
    row: int = 0
    box: Box | None = None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _label_width(text: str) -> float:
    return max(36, sum(CHAR_W if ord(c) > 127 else 7 for c in text))


class Layout:
    def __init__(self, tree: etree._ElementTree) -> None:
        self.tree = tree
        root = tree.getroot()
        self.collaboration = root.find("bpmn:collaboration", NS)
        participant = self.collaboration.find("bpmn:participant", NS)
        self.participant_id = participant.get("id")
        self.process = root.find(f"bpmn:process[@id='{participant.get('processRef')}']", NS)
        self.lanes = [(lane.get("id"), [r.text for r in lane.findall("bpmn:flowNodeRef", NS)])
                      for lane in self.process.findall("bpmn:laneSet/bpmn:lane", NS)]
        lane_of = {ref: index for index, (_, refs) in enumerate(self.lanes) for ref in refs}
        self.nodes: dict[str, Node] = {}
        for element in self.process:
            if not isinstance(element.tag, str):
                continue
            tag = _local(element)
            kind = "task" if tag in TASKS else "event" if tag in EVENTS else "gateway" if tag in GATEWAYS else None
            if kind is None:
                continue
            node_id = element.get("id")
            if node_id not in lane_of:
                raise SystemExit(f"{node_id} is in no lane")
            self.nodes[node_id] = Node(node_id, kind, tag, element.get("name") or "", lane_of[node_id],
                                       element.get("attachedToRef"))
        self.flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef"), f.get("name") or "")
                      for f in self.process.findall("bpmn:sequenceFlow", NS)]

    # -- ranks ---------------------------------------------------------------------------
    def rank(self) -> None:
        outgoing: dict[str, list[str]] = defaultdict(list)
        for _, source, target, _ in self.flows:
            outgoing[source].append(target)
        for node in self.nodes.values():  # a boundary event leaves from its task
            if node.attached_to:
                outgoing[node.attached_to].append(node.id)
        back: set[tuple[str, str]] = set()
        state: dict[str, int] = {}

        def dfs(node_id: str) -> None:
            state[node_id] = 1
            for target in outgoing[node_id]:
                if state.get(target) == 1:
                    back.add((node_id, target))
                elif target not in state:
                    dfs(target)
            state[node_id] = 2

        starts = [n.id for n in self.nodes.values() if n.tag == "startEvent"]
        for start in starts + list(self.nodes):
            if start not in state:
                dfs(start)
        col: dict[str, int] = {n: 0 for n in self.nodes}
        order = self._topological(outgoing, back)
        for node_id in order:
            for target in outgoing[node_id]:
                if (node_id, target) in back:
                    continue
                step = 0 if self.nodes[target].attached_to == node_id else 1
                col[target] = max(col[target], col[node_id] + step)
        for node_id, node in self.nodes.items():
            node.col = col[node_id]
        taken: dict[tuple[int, int], int] = defaultdict(int)
        for node_id in order:
            node = self.nodes[node_id]
            if node.attached_to:
                continue
            node.row = taken[(node.lane, node.col)]
            taken[(node.lane, node.col)] += 1
        self.lane_rows = [max([taken[(i, c)] for (i, c) in taken if i == lane] or [1])
                          for lane in range(len(self.lanes))]

    def _topological(self, outgoing: dict[str, list[str]], back: set[tuple[str, str]]) -> list[str]:
        indegree = {n: 0 for n in self.nodes}
        for source, targets in outgoing.items():
            for target in targets:
                if (source, target) not in back:
                    indegree[target] += 1
        ready = [n for n in self.nodes if indegree[n] == 0]
        order = []
        while ready:
            node_id = ready.pop(0)
            order.append(node_id)
            for target in outgoing[node_id]:
                if (node_id, target) in back:
                    continue
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
        return order

    # -- geometry ------------------------------------------------------------------------
    def place(self) -> None:
        self.lane_boxes: list[Box] = []
        y = POOL_Y
        width = FIRST_COL + (max(n.col for n in self.nodes.values()) + 1) * COL_W
        for rows in self.lane_rows:
            self.lane_boxes.append(Box(POOL_X + LANE_HEADER, y, width, rows * ROW_H))
            y += rows * ROW_H
        self.pool = Box(POOL_X, POOL_Y, width + LANE_HEADER, y - POOL_Y)
        for node in self.nodes.values():
            if node.attached_to:
                continue
            w, h = SIZES[node.kind]
            lane = self.lane_boxes[node.lane]
            cx = lane.x + FIRST_COL + node.col * COL_W
            cy = lane.y + ROW_H / 2 + node.row * ROW_H
            node.box = Box(cx - w / 2, cy - h / 2, w, h)
        for node in self.nodes.values():
            if node.attached_to:
                host = self.nodes[node.attached_to].box
                w, h = SIZES["event"]
                node.box = Box(host.right - 20 - w / 2, host.bottom - h / 2, w, h)
        self.labels: dict[str, Box] = {}
        for node in self.nodes.values():
            if node.kind != "task" and node.name:
                self.labels[node.id] = self._node_label(node)

    def _node_label(self, node: Node) -> Box:
        width = _label_width(node.name)
        box = node.box
        below = Box(box.cx - width / 2, box.bottom + 6, width, LABEL_H)
        above = Box(box.cx - width / 2, box.y - 6 - LABEL_H, width, LABEL_H)
        if node.attached_to:  # boundary events: label beside, under the host's edge
            return Box(box.right + 4, box.bottom - 4, width, LABEL_H)
        if node.kind == "gateway":
            goes_up = any(s == node.id and self.nodes[t].box is not None and self.nodes[t].box.cy < box.cy
                          for _, s, t, _ in self.flows)
            return below if goes_up else above
        return below

    # -- routing -------------------------------------------------------------------------
    def obstacles(self, *skip: str) -> list[Box]:
        return [n.box for n in self.nodes.values() if n.id not in skip and n.box is not None]

    def clear(self, points: list[tuple[float, float]], skip: tuple[str, ...]) -> bool:
        boxes = self.obstacles(*skip)
        for a, b in zip(points, points[1:]):
            if a == b:
                return False
            if any(box.crossed_by(a, b) for box in boxes):
                return False
        return True

    def route(self, source: Node, target: Node) -> list[tuple[float, float]]:
        s, t = source.box, target.box
        skip = (source.id, target.id)
        if source.attached_to:
            skip += (source.attached_to,)
        candidates: list[list[tuple[float, float]]] = []
        entry = (t.x, t.cy)
        if source.attached_to:  # down from the boundary event, then to the target
            start = (s.cx, s.bottom)
            below = s.bottom + 24
            if t.cx > s.cx:
                candidates.append([start, (s.cx, t.cy), entry] if t.cy > s.bottom else [])
                candidates.append([start, (s.cx, below), (t.x - 30, below), (t.x - 30, t.cy), entry])
            candidates.append([start, (s.cx, below), (t.cx, below), (t.cx, t.bottom if t.cy < below else t.y)])
        elif t.cx > s.cx:  # forward
            exits = [(s.right, s.cy)]
            if source.kind == "gateway":
                if t.cy < s.cy - 1:
                    exits.insert(0, (s.cx, s.y))
                elif t.cy > s.cy + 1:
                    exits.insert(0, (s.cx, s.bottom))
            for ex in exits:
                if ex[1] == t.cy:
                    candidates.append([ex, entry])
                if ex[1] != s.cy:  # leaving a gateway vertically
                    candidates.append([ex, (ex[0], t.cy), entry])
                    continue
                if ex[1] != t.cy:
                    for gap in (t.x - 30, s.right + 30):
                        candidates.append([ex, (gap, ex[1]), (gap, t.cy), entry])
                    corridor = self._row_top(target) + 12
                    candidates.append([ex, (s.right + 30, ex[1]), (s.right + 30, corridor),
                                       (t.x - 30, corridor), (t.x - 30, t.cy), entry])
                else:
                    corridor = self._row_top(target) + 12
                    candidates.append([ex, (s.right + 30, ex[1]), (s.right + 30, corridor),
                                       (t.x - 30, corridor), (t.x - 30, t.cy), entry])
        else:  # backward: below the source's row, then up (or down) into the target
            start = (s.cx, s.bottom) if source.kind != "gateway" else (s.cx, s.bottom)
            corridor = self._row_bottom(source) - 14
            into = (t.cx, t.bottom) if t.cy < corridor else (t.cx, t.y)
            candidates.append([start, (s.cx, corridor), (t.cx, corridor), into])
            low = self.pool.bottom - 14
            candidates.append([start, (s.cx, low), (t.cx, low), (t.cx, t.bottom)])
        for points in candidates:
            points = _simplify(points)
            if len(points) >= 2 and self.clear(points, skip):
                return points
        raise SystemExit(f"cannot route {source.id} -> {target.id}; add room or reorder lanes")

    def _row_top(self, node: Node) -> float:
        return self.lane_boxes[node.lane].y + node.row * ROW_H

    def _row_bottom(self, node: Node) -> float:
        return self.lane_boxes[node.lane].y + (node.row + 1) * ROW_H

    def flow_label(self, name: str, points: list[tuple[float, float]]) -> Box:
        width = _label_width(name)
        (x1, y1), (x2, y2) = points[0], points[1]
        spots = []
        if y1 == y2:  # horizontal first segment: above it, then below
            spots += [Box(x1 + 6, y1 - 6 - LABEL_H, width, LABEL_H), Box(x1 + 6, y1 + 6, width, LABEL_H)]
        else:  # vertical first segment: beside it
            mid = (y1 + y2) / 2
            spots += [Box(x1 + 6, mid - LABEL_H / 2, width, LABEL_H),
                      Box(x1 - 6 - width, mid - LABEL_H / 2, width, LABEL_H)]
        for (ax, ay), (bx, by) in zip(points[1:], points[2:]):
            if ay == by:
                spots += [Box(min(ax, bx) + 6, ay - 6 - LABEL_H, width, LABEL_H),
                          Box(min(ax, bx) + 6, ay + 6, width, LABEL_H)]
        taken = self.obstacles() + list(self.labels.values())
        for spot in spots:
            if not any(spot.overlaps(other) for other in taken):
                return spot
        raise SystemExit(f"no room for the label {name!r}")

    # -- output --------------------------------------------------------------------------
    def write(self) -> None:
        root = self.tree.getroot()
        for old in root.findall("bpmndi:BPMNDiagram", NS):
            root.remove(old)
        base = self.process.get("id")
        diagram = etree.SubElement(root, f"{{{NS['bpmndi']}}}BPMNDiagram", id=f"diagram_{base}")
        plane = etree.SubElement(diagram, f"{{{NS['bpmndi']}}}BPMNPlane", id=f"plane_{base}",
                                 bpmnElement=self.collaboration.get("id"))
        _shape(plane, self.participant_id, self.pool, horizontal=True)
        for (lane_id, _), box in zip(self.lanes, self.lane_boxes):
            _shape(plane, lane_id, box, horizontal=True)
        for node in self.nodes.values():
            _shape(plane, node.id, node.box, label=self.labels.get(node.id))
        for flow_id, source, target, name in self.flows:
            points = self.route(self.nodes[source], self.nodes[target])
            label = None
            if name:
                label = self.labels[flow_id] = self.flow_label(name, points)
            edge = etree.SubElement(plane, f"{{{NS['bpmndi']}}}BPMNEdge", id=f"edge_{flow_id}",
                                    bpmnElement=flow_id)
            for x, y in points:
                etree.SubElement(edge, f"{{{NS['di']}}}waypoint", x=_n(x), y=_n(y))
            if label is not None:
                _label(edge, label)
        etree.indent(diagram, space="  ", level=1)
        self.diagram = diagram


def _simplify(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for point in points:
        if out and point == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == point[0] or out[-2][1] == out[-1][1] == point[1]):
            out[-1] = point
            continue
        out.append(point)
    return out


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _bounds(parent: etree._Element, box: Box) -> None:
    etree.SubElement(parent, f"{{{NS['dc']}}}Bounds", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h))


def _label(parent: etree._Element, box: Box) -> None:
    _bounds(etree.SubElement(parent, f"{{{NS['bpmndi']}}}BPMNLabel"), box)


def _shape(plane: etree._Element, element_id: str, box: Box, *, horizontal: bool = False,
           label: Box | None = None) -> None:
    shape = etree.SubElement(plane, f"{{{NS['bpmndi']}}}BPMNShape", id=f"shape_{element_id}",
                             bpmnElement=element_id)
    if horizontal:
        shape.set("isHorizontal", "true")
    _bounds(shape, box)
    if label is not None:
        _label(shape, label)


def layout(path: Path) -> bytes:
    """The file's text up to its diagram, as written, followed by the new diagram."""
    original = path.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False)
    tree = etree.parse(str(path), parser)
    engine = Layout(tree)
    engine.rank()
    engine.place()
    engine.write()
    start = original.find(b"<bpmndi:BPMNDiagram")
    if start < 0:
        start = original.rfind(b"</bpmn:definitions>")
    head = original[:start].rstrip() + b"\n  "
    diagram = etree.tostring(engine.diagram, encoding="unicode").strip()
    return head + diagram.encode("utf-8") + b"\n</bpmn:definitions>\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="only report files whose layout differs")
    args = parser.parse_args()
    status = 0
    for path in args.files:
        content = layout(path)
        if args.check:
            if content != path.read_bytes():
                print(f"{path}: layout differs; run scripts/layout_bpmn.py {path}")
                status = 1
        else:
            path.write_bytes(content)
            print(f"{path}: laid out")
    return status


if __name__ == "__main__":
    sys.exit(main())
