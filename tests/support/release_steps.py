"""How each step of the shipped diagrams is answered when a case is driven forward: the approving
answer, by BPMN element id. ``scripts/make_release_fixture.py`` drives the release's cases with it,
and the test of the upgrade finishes them with it; so it imports nothing of ``app``."""
from __future__ import annotations

import json
from typing import Any

#: the answer to each step; a case is driven to a state, never to a refusal unless told
ANSWERS: dict[str, dict[str, Any]] = {
    "accept_application": {"decision": "approve", "opinion": "材料齐全，予以受理"},
    "accept_and_decide": {"decision": "approve", "opinion": "当场准予"},
    "accept_with_commitment": {"decision": "approve", "opinion": "申请人已签署告知承诺书",
                               "data": {"commitment_signed": True}},
    "accept_stage": {"decision": "approve", "opinion": "阶段材料齐全"},
    "accept_completion": {"decision": "approve", "opinion": "受理竣工验收"},
    "review_application": {"decision": "approve", "opinion": "符合条件"},
    "review_item": {"decision": "approve", "opinion": "符合条件"},
    "parallel_review": {"decision": "approve", "opinion": "同意"},
    "review_stage_items": {"decision": "approve", "opinion": "准予"},
    "joint_acceptance": {"decision": "approve", "opinion": "合格"},
    "decide_application": {"decision": "approve", "opinion": "准予许可"},
    "decide_item": {"decision": "approve", "opinion": "准予"},
    "conclude_stage": {"decision": "approve", "opinion": "阶段通过"},
    "issue_acceptance": {"decision": "approve", "opinion": "验收合格"},
    "verify_commitment": {"decision": "pass", "opinion": "经营条件与承诺一致"},
    "review_revocation": {"decision": "keep", "opinion": "已整改，情节轻微"},
    "decide_revocation": {"decision": "keep", "opinion": "不予撤销"},
    "expert_review": {"opinion": "专家意见：可行", "data": {"expert_conclusion": "同意"}},
    "make_certificate": {"opinion": ""},
    "make_item_certificate": {"opinion": ""},
    "issue_result": {"opinion": "", "data": {"delivery": "窗口领取"}},
    "issue_results": {"opinion": "", "data": {"delivery": "窗口领取"}},
    "serve_decision": {"opinion": "", "data": {"delivery": "窗口领取"}},
    "inspect_independently": {"opinion": "现场与材料一致", "data": {"finding": "合格"}},
    "inspect_on_commission": {"opinion": "受托核查合格", "data": {"finding": "合格"}},
    "inspect_jointly": {"opinion": "联合核查合格", "data": {"finding": "合格"}},
    "conclude_joint_inspection": {"opinion": "联合核查结论：合格", "data": {"finding": "合格"}},
    "reinspect_after_rectification": {"opinion": "复查合格", "data": {"finding": "合格"}},
}
#: 超期督办 (outside the diagram): the section chief's instruction
ESCALATION_ANSWER = {"opinion": "责成审查股室两日内办结"}


def answer_for(case: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """The body completing ``task`` of ``case`` (shared with the test that finishes the cases)."""
    if task.get("kind") == "escalation":
        return dict(ESCALATION_ANSWER)
    if task["element_id"] == "supplement_materials":
        notice = next(n for n in case["notices"] if n["resolved_at"] is None)
        return {"opinion": "", "materials": [i["material"] for i in notice["items"]]}
    if task["element_id"] not in ANSWERS:
        raise KeyError(f"no answer for step {task['element_id']} ({task['name']})")
    return json.loads(json.dumps(ANSWERS[task["element_id"]]))


