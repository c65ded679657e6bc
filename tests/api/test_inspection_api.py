"""Site inspection through the API: the decision, its explanation and every finding on the case."""
from __future__ import annotations

from sqlalchemy import select

from app.persistence.models import AuditEvent, RuleDecisionRecord
from tests.support.cases import work
from tests.support.inspection import FOREST, SCHOOL, to_inspection
from tests.support.inspection_form import inspection_body


def test_case_shows_the_decision_its_explanation_and_the_ruleset_version(api, ext):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    (decision,) = case["rule_decisions"]
    assert decision["ruleset"] == "inspection" and decision["rule_id"] == "R2"
    assert decision["outcome"] == "joint" and decision["element_id"] == "decide_inspection_mode"
    assert decision["facts"]["departments_involved"] == 3
    assert decision["ruleset_version"] == ext.runtime.rules.version_of("inspection")
    assert "涉及部门数为“3”" in decision["explanation_zh"]
    inspection = case["inspection"]
    assert inspection["mode"] == "joint" and inspection["mode_label"] == "联合核查"
    assert sorted(t["department"] for t in case["tasks"]) == ["fire_rescue", "health", "site_survey"]
    assert {t["name"] for t in case["tasks"]} == {"联合现场核查"}
    # stored with the step that made it, and in the audit trail of the same transaction
    with ext.db.session(write=False) as session:
        record = session.scalar(select(RuleDecisionRecord).where(RuleDecisionRecord.case_id == case["id"]))
        assert record.ruleset_version == decision["ruleset_version"] and record.rule_id == "R2"
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case["id"],
                                                        AuditEvent.action == "rule_decided"))
        assert event.after["rule_id"] == "R2" and event.element_id == "decide_inspection_mode"
    described = [h["description"] for h in case["history"] if h["action"] == "rule_decided"]
    assert described and described[0].startswith("规则判断（判断核查方式）：依据规则 R2")


def test_every_department_finds_on_its_own_task_and_each_finding_is_kept(api):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    by_department = {t["department"]: t for t in case["tasks"]}
    findings = {"fire_rescue": "限期整改", "health": "合格", "site_survey": "合格"}
    for department, finding in findings.items():
        task = by_department[department]
        # another department's inspector may not work this department's instance
        other = "inspector_health" if department != "health" else "inspector_fire_rescue"
        denied = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=other,
                          json={"opinion": "x", "data": {"finding": "合格"}})
        assert denied.status_code == 403
        response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=f"inspector_{department}",
                            json=inspection_body(case, task, f"inspector_{department}", finding, f"{department} 意见"))
        assert response.status_code == 200, response.get_json()
        case = response.get_json()["case"]
    kept = {f["department"]: (f["finding"], f["opinion"]) for f in case["inspection"]["findings"]}
    assert kept == {d: (f, f"{d} 意见") for d, f in findings.items()}
    assert [t["name"] for t in case["tasks"]] == ["形成联合核查结论"]


def test_entrusted_inspection_goes_to_the_qualified_department(api):
    case = to_inspection(api, FOREST, "reviewer_forestry")
    assert case["inspection"]["mode"] == "entrusted" and case["inspection"]["rule_id"] == "R4"
    assert [(t["name"], t["department"], t["candidates"]) for t in case["tasks"]] == [
        ("受托核查并反馈", "forestry", ["inspector2_forestry", "inspector_forestry"])]


def test_case_facts_override_the_catalogue_and_are_checked_at_registration(api):
    case = to_inspection(api, "XK-0004", "reviewer_market", facts={"risk_level": "high"})
    assert case["inspection"]["rule_id"] == "R3" and case["inspection"]["invite_experts"] is True
    for facts, field in (({"risk_level": "extreme"}, "risk_level"),
                         ({"departments_involved": "9"}, "departments_involved"),
                         ({"technical": "是"}, "technical")):
        body = {"item_code": "XK-0004", "applicant": {"name": "张三"}, "materials": [], "facts": facts}
        response = api.post("/api/v1/cases", as_user="window", json=body)
        assert response.status_code == 400, response.get_json()
        error = response.get_json()
        assert error["code"] == "invalid_facts" and error["details"]["field"] == field
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


def test_a_failed_inspection_blocks_approval_but_not_rejection(api):
    case = to_inspection(api, "XK-0004", "reviewer_market")
    case = work(api, case, "inspector_site_survey", opinion="无独立操作间", data={"finding": "不合格"})
    refused = work(api, case, "leader_market", "approve", "同意", expect=400)
    assert refused["code"] == "inspection_failed" and refused["details"]["field"] == "decision"
    case = work(api, case, "leader_market", "reject", "现场核查不合格")
    assert case["result"] == "rejected"
