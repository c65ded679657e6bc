"""What the task and case pages add to ``case_detail``: opinions grouped by step (parallel
departments side by side) and one timeline of events, rule decisions, suspensions and notices."""
from __future__ import annotations

from app.domain.catalogue import Catalogue, Department
from app.services.case_pages import diagram_state, opinion_groups, timeline

CATALOGUE = Catalogue(departments={"market": Department("market", "市场监督管理局"),
                                   "health": Department("health", "卫生健康局")}, items={})
NAMES = {"r1": "市场审查员", "r2": "卫健审查员", "window": "王窗口", "leader": "分管领导"}
LABELS = {"joint_review": {"approve": "同意", "reject": "不同意"}, "accept_application": {"approve": "受理"}}


def opinion(element, name, department, by, at, decision="approve", text="同意", kind=None):
    view = {"element_id": element, "name": name, "department": department, "completed_by": by,
            "completed_at": at, "decision": decision, "opinion": text, "data": {}}
    if kind:
        view["kind"] = kind
    return view


DETAIL = {
    "opinions": [
        opinion("accept_application", "受理", "window", "window", "2026-03-02T01:30:00+00:00", text="材料齐全"),
        opinion("joint_review", "联合审查", "market", "r1", "2026-03-03T02:00:00+00:00"),
        opinion("joint_review", "联合审查", "health", "r2", "2026-03-03T03:00:00+00:00", "reject", "卫生条件不符"),
        opinion("escalation", "超期督办", "market", "leader", "2026-03-20T02:00:00+00:00", None, "请加快办理",
                kind="escalation"),
    ],
    "tasks": [{"element_id": "decide_application", "name": "决定", "candidates": ["leader"], "claimed_by": None}],
    "history": [
        {"at": "2026-03-02T01:30:00+00:00", "actor": "window", "action": "case_registered",
         "element_id": None, "before": {}, "after": {"applicant": "城南超市", "status": "registered"}},
        {"at": "2026-03-03T01:00:00+00:00", "actor": "r1", "action": "task_transferred",
         "element_id": "joint_review", "before": {"claimed_by": "r1"},
         "after": {"claimed_by": "r2", "reason": "出差", "task": "联合审查"}},
        {"at": "2026-03-03T03:00:00+00:00", "actor": "r2", "action": "task_completed", "element_id": "joint_review",
         "before": {"status": "in_review"},
         "after": {"task": "联合审查", "decision": "reject", "opinion": "卫生条件不符", "status": "pending_decision"}},
    ],
    "rule_decisions": [{"ruleset": "inspection", "ruleset_version": "3", "outcome": "joint",
                        "outcome_title": "联合核查", "rule_id": "multi_department", "rule_title": "多部门参与",
                        "basis": "《行政许可法》第三十四条", "facts": {}, "explanation": "涉及 2 个部门，联合核查",
                        "at": "2026-03-02T01:31:00+00:00"}],
    "suspensions": [{"reason": "supplement", "reason_label": "退回补正",
                     "started_at": "2026-03-05T02:00:00+00:00", "ended_at": "2026-03-09T02:00:00+00:00"}],
    "notices": [{"id": 1, "at": "2026-03-05T02:00:00+00:00", "by": "r1",
                 "items": [{"material": "M02", "name": "营业执照", "reason": "已过期"}]}],
}


def test_parallel_opinions_stand_side_by_side_and_escalation_apart():
    groups = opinion_groups(DETAIL, NAMES, CATALOGUE, LABELS)
    assert [g["name"] for g in groups] == ["受理", "联合审查", "超期督办"]
    joint = groups[1]
    assert joint["parallel"] is True and not groups[0]["parallel"]
    assert [(o["department_name"], o["completed_by_name"], o["decision_label"]) for o in joint["opinions"]] == [
        ("市场监督管理局", "市场审查员", "同意"), ("卫生健康局", "卫健审查员", "不同意")]
    assert groups[2]["escalation"] is True


def test_timeline_holds_events_rule_decisions_suspensions_and_notices_in_order():
    entries = timeline(DETAIL, NAMES, LABELS)
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    titles = [e["title"] for e in entries]
    assert titles[:3] == ["登记办件", "规则决定：联合核查", "转办：联合审查"]
    assert "暂停计时：退回补正" in titles and "恢复计时（退回补正结束）" in titles
    assert "一次性告知（退回补正）" in titles
    rule = entries[1]
    assert "规则：多部门参与" in rule["lines"] and "涉及 2 个部门，联合核查" in rule["lines"]
    transfer = entries[2]
    assert transfer["actor"] == "市场审查员" and transfer["lines"] == ["转给 卫健审查员（出差）"]
    done = next(e for e in entries if e["title"] == "办理：联合审查")
    assert done["lines"] == ["决定：不同意", "意见：卫生条件不符", "办件状态：审查中 → 待决定"]
    notice = next(e for e in entries if e["kind"] == "notice")
    assert notice["lines"] == ["营业执照：已过期"]


def test_diagram_marks_completed_and_current_steps():
    assert diagram_state(DETAIL) == {"completed": ["accept_application", "joint_review"],
                                     "active": ["decide_application"]}
    given = {"version_id": 3, "completed": ["a"], "active": ["b"]}
    assert diagram_state({**DETAIL, "diagram": given}) is given
