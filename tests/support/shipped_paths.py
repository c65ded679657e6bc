"""The decision paths of the shipped diagrams: what each diagram is compiled with, the data a
case starts with, and each path's steps to its end event (for the engine and cache tests)."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

#: what each diagram needs compiled with it (its called processes)
DOCUMENTS = {
    "standard_promised": ["standard_promised", "site_inspection"],
    "parallel_approval": ["parallel_approval", "site_inspection"],
    "bundle_approval": ["bundle_approval", "bundle_item", "site_inspection"],
    "bundle_item": ["bundle_item", "site_inspection"],
    "commitment_approval": ["commitment_approval"],
    "revocation": ["revocation"],
    "site_inspection": ["site_inspection"],
    "immediate": ["immediate"],
    "construction_project": ["construction_project", "project_stage", "project_completion", "site_inspection"],
    "project_stage": ["project_stage", "site_inspection"],
    "project_completion": ["project_completion"],
}


def facts(**overrides):
    base = {"requires_site_inspection": True, "departments_involved": 1, "parallel_approval": False,
            "risk_level": "low", "technical": False, "bureau_qualified": True}
    return {**base, **overrides}


def inspection_data(**fact_overrides):
    return {"inspection_facts": facts(**fact_overrides), "inspection_lead": "site_survey",
            "qualified_department": "forestry", "joint_departments": ["site_survey", "fire_rescue"]}


NO_INSPECTION = {"site_inspection": False}


def BUNDLE_ITEM(site_inspection, department="market", item="XK-0004"):  # noqa: N802
    data = {"item": item, "department": department, "site_inspection": site_inspection,
            "inspection_facts": None, "inspection_lead": None, "qualified_department": None,
            "joint_departments": []}
    if site_inspection:
        data.update(inspection_data())
    return data


BUNDLE = {"bundle_items": [BUNDLE_ITEM(False, "culture_tourism", "XK-0009"), BUNDLE_ITEM(False)]}


def PARALLEL(mode, ratio=None, site_inspection=False):  # noqa: N802 - reads like the constants above
    data = {"site_inspection": site_inspection, "review_departments": ["housing", "emergency", "fire_rescue"],
            "parallel_mode": mode, "parallel_ratio": ratio}
    if site_inspection:
        data.update(inspection_data(departments_involved=3, parallel_approval=True))
    return data
WITH_INSPECTION = {"site_inspection": True, **inspection_data()}

#: a construction project with three departments per stage; a joint survey in stage 1 only
PROJECT_DEPARTMENTS = ["natural_resources", "water", "housing"]


def project_stage(number, survey=False):
    stage = {"number": number, "lead": "natural_resources",
             "items": [{"item": f"XK-0{number}0{i}", "department": d} for i, d in enumerate(PROJECT_DEPARTMENTS)]}
    stage["survey"] = {"facts": facts(departments_involved=3, parallel_approval=True), "lead": "site_survey",
                       "departments": ["site_survey", *PROJECT_DEPARTMENTS]} if survey else None
    return stage


COMPLETION = {"number": 4, "lead": "housing", "acceptance": PROJECT_DEPARTMENTS, "item": "XK-0400"}
PROJECT = {"project_stages": [project_stage(1, survey=True), project_stage(2), project_stage(3), COMPLETION]}
APPROVE, REJECT = {"decision": "approve"}, {"decision": "reject"}

STAGE_ONE = [("accept_stage", APPROVE, ["natural_resources"]),
             ("inspect_jointly", {"finding": "合格"}, ["site_survey", *PROJECT_DEPARTMENTS]),
             ("conclude_joint_inspection", {"finding": "合格"}, ["site_survey"]),
             ("review_stage_items", APPROVE, PROJECT_DEPARTMENTS), ("conclude_stage", APPROVE, None)]
STAGE_PLAIN = [("accept_stage", APPROVE, None), ("review_stage_items", APPROVE, PROJECT_DEPARTMENTS),
               ("conclude_stage", APPROVE, None)]

# (process, label, start data, [(element id, data for every ready instance or a list of data
#  for the first instances in order, departments of the ready instances)], end)
PATHS = [
    ("standard_promised", "not_accepted", NO_INSPECTION, [
        ("accept_application", REJECT, None)], "not_accepted_end"),
    ("standard_promised", "approved", NO_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", APPROVE, None),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("standard_promised", "rejected", NO_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", REJECT, None),
        ("decide_application", REJECT, None), ("issue_result", {}, None)], "case_closed"),
    ("standard_promised", "leader_overrides_reject", NO_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", REJECT, None),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("standard_promised", "leader_overrides_approve", NO_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", APPROVE, None),
        ("decide_application", REJECT, None), ("issue_result", {}, None)], "case_closed"),
    ("standard_promised", "returned_for_supplement", NO_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", {"decision": "return"}, None),
        ("supplement_materials", {}, None), ("review_application", APPROVE, None),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("standard_promised", "expert_review_then_hearing", NO_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", {"decision": "expert"}, None),
        ("expert_review", {"expert_conclusion": "技术方案可行"}, None), ("review_application", APPROVE, None),
        ("decide_application", {"decision": "hearing"}, None), ("hold_hearing", {"hearing_date": "2026-03-20"}, None),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("standard_promised", "inspected_on_site", WITH_INSPECTION, [
        ("accept_application", APPROVE, None), ("review_application", APPROVE, None),
        ("inspect_independently", {"finding": "合格"}, ["site_survey"]),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("parallel_approval", "not_accepted", PARALLEL("countersign"), [
        ("accept_application", REJECT, None)], "not_accepted_end"),
    ("parallel_approval", "countersign_all_agree", PARALLEL("countersign"), [
        ("accept_application", APPROVE, None),
        ("parallel_review", APPROVE, ["housing", "emergency", "fire_rescue"]),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("parallel_approval", "any_one_then_inspection", PARALLEL("any", site_inspection=True), [
        ("accept_application", APPROVE, None),
        ("parallel_review", [APPROVE], ["housing", "emergency", "fire_rescue"]),
        ("inspect_jointly", {"finding": "合格"}, ["site_survey", "fire_rescue"]),
        ("conclude_joint_inspection", {"finding": "合格"}, ["site_survey"]),
        ("decide_application", APPROVE, None), ("make_certificate", {}, None),
        ("issue_result", {}, None)], "case_closed"),
    ("parallel_approval", "countersign_one_rejects", PARALLEL("countersign"), [
        ("accept_application", APPROVE, None),
        ("parallel_review", [APPROVE, REJECT, APPROVE], ["housing", "emergency", "fire_rescue"]),
        ("decide_application", REJECT, None), ("issue_result", {}, None)], "case_closed"),
    ("bundle_approval", "not_accepted", BUNDLE, [("accept_application", REJECT, None)], "not_accepted_end"),
    ("bundle_approval", "each_item_then_one_issue", BUNDLE, [
        ("accept_application", APPROVE, None),
        ("review_item", APPROVE, ["culture_tourism", "market"]),
        ("decide_item", APPROVE, ["culture_tourism", "market"]),
        ("make_item_certificate", {"scope": "范围"}, ["culture_tourism", "market"]),
        ("issue_results", {}, None)], "case_closed"),
    ("bundle_item", "inspected_then_approved", {"bundle_item": BUNDLE_ITEM(True)}, [
        ("review_item", APPROVE, ["market"]),
        ("inspect_independently", {"finding": "合格"}, ["site_survey"]),
        ("decide_item", APPROVE, ["market"]), ("make_item_certificate", {}, ["market"])], "item_done"),
    ("bundle_item", "rejected_after_review", {"bundle_item": BUNDLE_ITEM(False)}, [
        ("review_item", REJECT, ["market"]), ("decide_item", REJECT, ["market"])], "item_done"),
    ("commitment_approval", "approved_on_the_spot", {"inspection_lead": "site_survey"}, [
        ("accept_with_commitment", {"decision": "approve", "commitment_signed": True}, None),
        ("issue_result", {}, None),
        ("verify_commitment", {"decision": "pass"}, ["site_survey"])], "case_closed"),
    ("commitment_approval", "not_accepted", {"inspection_lead": "site_survey"}, [
        ("accept_with_commitment", REJECT, None)], "not_accepted_end"),
    ("revocation", "revoked", {}, [
        ("review_revocation", {"decision": "revoke"}, None), ("decide_revocation", {"decision": "revoke"}, None),
        ("serve_decision", {}, None)], "revocation_closed"),
    ("site_inspection", "independent", inspection_data(), [
        ("inspect_independently", {"finding": "合格"}, ["site_survey"])], "inspection_finished"),
    ("site_inspection", "entrusted_then_rectified", inspection_data(technical=True, bureau_qualified=False), [
        ("inspect_on_commission", {"finding": "限期整改"}, ["forestry"]),
        ("reinspect_after_rectification", {"finding": "合格"}, ["site_survey"])], "inspection_finished"),
    ("site_inspection", "joint", inspection_data(departments_involved=2), [
        ("inspect_jointly", {"finding": "合格"}, ["site_survey", "fire_rescue"]),
        ("conclude_joint_inspection", {"finding": "合格"}, ["site_survey"])], "inspection_finished"),
    ("site_inspection", "not_needed", inspection_data(requires_site_inspection=False), [],
     "inspection_not_needed"),
    ("project_stage", "not_accepted", {"stage": project_stage(2), "stage_items": project_stage(2)["items"]}, [
        ("accept_stage", REJECT, ["natural_resources"])], "stage_not_accepted"),
    ("project_stage", "surveyed_then_passed", {"stage": project_stage(1, survey=True),
                                               "stage_items": project_stage(1)["items"]}, [
        ("accept_stage", APPROVE, ["natural_resources"]),
        ("inspect_jointly", {"finding": "合格"}, ["site_survey", *PROJECT_DEPARTMENTS]),
        ("conclude_joint_inspection", {"finding": "合格"}, ["site_survey"]),
        ("review_stage_items", APPROVE, PROJECT_DEPARTMENTS),
        ("conclude_stage", APPROVE, ["natural_resources"])], "stage_concluded"),
    ("project_stage", "rejected_without_survey", {"stage": project_stage(2), "stage_items": project_stage(2)["items"]}, [
        ("accept_stage", APPROVE, None), ("review_stage_items", [APPROVE, REJECT, APPROVE], PROJECT_DEPARTMENTS),
        ("conclude_stage", REJECT, None)], "stage_concluded"),
    ("project_completion", "not_accepted", {"stage": COMPLETION, "acceptance_departments": PROJECT_DEPARTMENTS}, [
        ("accept_completion", REJECT, ["housing"])], "completion_not_accepted"),
    ("project_completion", "accepted", {"stage": COMPLETION, "acceptance_departments": PROJECT_DEPARTMENTS}, [
        ("accept_completion", APPROVE, ["housing"]), ("joint_acceptance", APPROVE, PROJECT_DEPARTMENTS),
        ("issue_acceptance", APPROVE, ["housing"])], "completion_concluded"),
    ("construction_project", "stage_one_not_accepted", PROJECT, [
        ("accept_stage", REJECT, None)], "project_not_accepted"),
    ("construction_project", "stage_one_rejected", PROJECT, [
        *STAGE_ONE[:-1], ("conclude_stage", REJECT, None), ("issue_result", {}, None)], "project_closed"),
    ("construction_project", "stage_two_not_accepted", PROJECT, [
        *STAGE_ONE, ("accept_stage", REJECT, None), ("issue_result", {}, None)], "project_closed"),
    ("construction_project", "stage_three_rejected", PROJECT, [
        *STAGE_ONE, *STAGE_PLAIN, *STAGE_PLAIN[:-1], ("conclude_stage", REJECT, None),
        ("issue_result", {}, None)], "project_closed"),
    ("construction_project", "every_stage_passed", PROJECT, [
        *STAGE_ONE, *STAGE_PLAIN, *STAGE_PLAIN, ("accept_completion", APPROVE, ["housing"]),
        ("joint_acceptance", APPROVE, PROJECT_DEPARTMENTS), ("issue_acceptance", APPROVE, ["housing"]),
        ("issue_result", {}, None)], "project_closed"),
    ("immediate", "approved", {}, [("accept_and_decide", APPROVE, None), ("issue_result", {}, None)],
     "case_closed"),
    ("immediate", "rejected", {}, [("accept_and_decide", REJECT, None), ("issue_result", {}, None)],
     "case_closed"),
]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def comparable(saved) -> dict:
    """The saved state without what a step makes afresh each time: tasks it creates get new
    random ids (numbered here by first appearance) and the time of day. Key order aside (a
    JSON object is unordered), the two must be the same."""
    numbers: dict[str, str] = {}
    text = UUID.sub(lambda m: numbers.setdefault(m.group(0), f"task-{len(numbers)}"), saved.state)
    return json.loads(re.sub(r'"last_state_change":[0-9.e+-]+', '"last_state_change":0', text))
