"""Parallel approval (并联审批) through the API: one task per department, the item's mode decides."""
from __future__ import annotations

from tests.support.cases import work
from tests.support.parallel import BILLBOARD, ENTERTAINMENT, RIVER, accepted, answer


def test_each_department_gets_one_review_task_in_its_own_inbox(api):
    case = accepted(api, ENTERTAINMENT)
    assert sorted((t["name"], t["department"]) for t in case["tasks"]) == [
        ("并联审查", "culture_tourism"), ("并联审查", "fire_rescue")]
    for department in ("culture_tourism", "fire_rescue"):
        inbox = api.get("/api/v1/tasks?tab=department", as_user=f"reviewer_{department}").get_json()
        assert [t["department"] for t in inbox["items"] if t["case"]["id"] == case["id"]] == [department]
    assert case["parallel"]["mode_label"] == "会签" and case["parallel"]["required_approvals"] == 2


def test_countersign_one_rejection_rejects_the_whole_with_the_reasons(api):
    case = accepted(api, ENTERTAINMENT)
    case = answer(api, case, "fire_rescue", "reject", "疏散通道宽度不足")
    assert [t["department"] for t in case["tasks"]] == ["culture_tourism"]  # the others still answer
    case = answer(api, case, "culture_tourism", "approve", "经营场所符合要求")
    parallel = case["parallel"]
    assert parallel["settled"] and parallel["outcome"] == "reject"
    assert [(o["department_name"], o["decision_label"], o["opinion"]) for o in parallel["opinions"]] == [
        ("消防救援大队", "不同意", "疏散通道宽度不足"), ("文化和旅游局", "同意", "经营场所符合要求")]
    assert [r["opinion"] for r in parallel["reasons"]] == ["疏散通道宽度不足"]
    assert [t["name"] for t in case["tasks"]] == ["决定"]  # no site inspection after a failed review
    refused = work(api, case, "leader_culture_tourism", "approve", "同意", expect=400)
    assert refused["code"] == "parallel_review_failed" and "消防救援大队" in refused["message"]
    case = work(api, case, "leader_culture_tourism", "reject", "消防条件不符合，不予许可")
    assert case["result"] == "rejected"


def test_any_one_approval_is_enough_and_the_other_tasks_go_away(api):
    case = accepted(api, BILLBOARD)
    case = answer(api, case, "natural_resources", "approve", "不涉及规划冲突")
    assert case["parallel"]["outcome"] == "approve"
    assert all(t["name"] != "并联审查" for t in case["tasks"])
    for department in ("urban_management", "transport"):
        inbox = api.get("/api/v1/tasks?tab=department", as_user=f"reviewer_{department}").get_json()
        assert all(t["case"]["id"] != case["id"] for t in inbox["items"])
    # several departments were involved: the rules send the inspection out jointly
    assert case["inspection"]["rule_id"] == "R2"
    assert sorted(t["department"] for t in case["tasks"]) == ["natural_resources", "site_survey", "transport"]


def test_ratio_settles_as_soon_as_the_share_is_out_of_reach(api):
    case = accepted(api, RIVER)  # 60% of 3 departments: 2 approvals needed
    assert case["parallel"]["required_approvals"] == 2
    case = answer(api, case, "water", "reject", "防洪影响评价不充分")
    case = answer(api, case, "transport", "reject", "影响航道通行")
    assert case["parallel"]["settled"] and case["parallel"]["outcome"] == "reject"
    assert [t["name"] for t in case["tasks"]] == ["决定"]
    assert len(case["parallel"]["reasons"]) == 2


def test_another_departments_reviewer_cannot_answer_for_it(api):
    case = accepted(api, ENTERTAINMENT)
    task = next(t for t in case["tasks"] if t["department"] == "fire_rescue")
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user="reviewer_culture_tourism",
                        json={"decision": "approve", "opinion": "代为同意"})
    assert response.status_code == 403
