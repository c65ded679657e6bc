"""What the task and case pages add to ``case_detail``: opinions grouped by step (parallel
departments side by side) and one timeline of events, rule decisions, suspensions and notices."""
from __future__ import annotations

from app.domain.bureau.catalogue import Catalogue, Department
from app.services.reading.case_pages import diagram_state, opinion_groups, timeline

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
        {"at": "2026-03-02T01:30:00+00:00", "actor": "window", "actor_name": "王窗口", "action": "case_registered",
         "action_label": "登记办件", "description": "登记办件：城南超市，材料 3 件", "element_id": None,
         "before": {}, "after": {"applicant": "城南超市"}},
        {"at": "2026-03-02T01:31:00+00:00", "actor": "system", "actor_name": "system", "action": "rule_decided",
         "action_label": "规则判断", "description": "规则判断：涉及 2 个部门，联合核查", "element_id": "route",
         "before": {}, "after": {}},
        {"at": "2026-03-03T01:00:00+00:00", "actor": "r1", "actor_name": "市场审查员", "action": "task_claimed",
         "action_label": "签收任务", "description": "签收任务", "element_id": "joint_review",
         "before": {}, "after": {}},
        {"at": "2026-03-05T02:00:00+00:00", "actor": "r1", "actor_name": "市场审查员",
         "action": "supplement_notice_issued", "action_label": "一次性告知", "description": "一次性告知",
         "element_id": "review_application", "before": {},
         "after": {"items": [{"material": "M02", "name": "营业执照", "reason": "已过期"}]}},
        {"at": "2026-03-05T02:00:01+00:00", "actor": "r1", "actor_name": "市场审查员", "action": "clock_suspended",
         "action_label": "暂停计时", "description": "暂停计时（退回补正），法定不计入办理时限",
         "element_id": None, "before": {}, "after": {}},
    ],
}


def test_parallel_opinions_stand_side_by_side_and_escalation_apart():
    groups = opinion_groups(DETAIL, NAMES, CATALOGUE, LABELS)
    assert [g["name"] for g in groups] == ["受理", "联合审查", "超期督办"]
    joint = groups[1]
    assert joint["parallel"] is True and not groups[0]["parallel"]
    assert [(o["department_name"], o["completed_by_name"], o["decision_label"]) for o in joint["opinions"]] == [
        ("市场监督管理局", "市场审查员", "同意"), ("卫生健康局", "卫健审查员", "不同意")]
    assert groups[2]["escalation"] is True


def test_timeline_reads_the_history_and_spells_out_notice_items():
    entries = timeline(DETAIL)
    assert [(e["title"], e["kind"], e["actor"]) for e in entries] == [
        ("登记办件", "event", "王窗口"), ("规则判断", "rule", "system"), ("签收任务", "event", "市场审查员"),
        ("一次性告知", "notice", "市场审查员"), ("暂停计时", "clock", "市场审查员")]
    assert entries[0]["lines"] == ["登记办件：城南超市，材料 3 件"]
    assert entries[2]["lines"] == []  # a description that only repeats the label is left out
    assert entries[3]["lines"] == ["营业执照：已过期"]


def test_diagram_marks_completed_and_current_steps():
    assert diagram_state(DETAIL) == {"completed": ["accept_application", "joint_review"],
                                     "active": ["decide_application"]}
    given = {"version_id": 3, "completed": ["a"], "active": ["b"]}
    assert diagram_state({**DETAIL, "diagram": given}) is given
