"""Every decision path of the shipped diagrams, run end to end on our engine.

The diagrams run as deployed: with the restricted evaluator, the real rules in ``rules/`` (the
inspection subprocess asks them), called processes compiled in, and timers on a test clock.
Together the paths visit every user task and reach every end event of every diagram.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.clock import FixedClock
from app.rules_engine import load_rules_engine
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine

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
        ("make_item_certificate", {"certificate_no": "X-1"}, ["culture_tourism", "market"]),
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


@pytest.fixture(scope="module")
def rules():
    return load_rules_engine(ROOT / "rules")


def engine_for(process: str, rules, clock):
    evaluator, recorder = build_evaluator(rules)
    documents = [Document(f"{name}.bpmn", (PROCESSES / f"{name}.bpmn").read_bytes())
                 for name in DOCUMENTS[process]]
    definition = DefinitionCatalogue(evaluator).compile(documents, process)
    return WorkflowEngine(evaluator, clock.now), definition, recorder


def completed_ends(run) -> set[str]:
    return {t.task_spec.bpmn_id for t in run._workflow.get_tasks()
            if t.task_spec.__class__.__name__ == "EndEvent" and t.workflow is run._workflow
            and t.state == 64}


@pytest.mark.parametrize("process,label,start,steps,end", PATHS, ids=[f"{p}-{lbl}" for p, lbl, *_ in PATHS])
def test_every_decision_path_reaches_its_end_event(rules, process, label, start, steps, end):
    engine, definition, recorder = engine_for(process, rules, FixedClock(START))
    with recorder.recording() as decisions:
        run = engine.start(definition, dict(start))
        for element_id, data, departments in steps:
            every = run.ready_tasks()  # after a parallel split, other branches' tasks are ready too
            ready = [t for t in every if t.element_id == element_id]
            assert ready, (element_id, [t.element_id for t in every])
            if departments is not None:
                assert [t.department for t in ready] == departments
            # one answer for every instance, or one per instance in order (an "any" loop
            # may stop before the last instance answers)
            answers = data if isinstance(data, list) else [data] * len(ready)
            for task, answer in zip(ready, answers):
                run.complete(task.id, dict(answer))
            run = engine.restore(definition, run.save())  # as between two requests
    assert run.ready_tasks() == []
    assert run.is_completed
    assert completed_ends(run) == {end}
    if any("inspect" in element for element, *_ in steps) or process == "site_inspection":
        assert [d.decision.ruleset for d in decisions] == ["inspection"]


def test_supplement_not_made_in_time_withdraws_the_application(rules):
    clock = FixedClock(START)
    engine, definition, _ = engine_for("standard_promised", rules, clock)
    run = engine.start(definition, dict(NO_INSPECTION))
    for element_id, data in (("accept_application", APPROVE), ("review_application", {"decision": "return"})):
        (task,) = run.ready_tasks()
        assert task.element_id == element_id
        run.complete(task.id, data)
    assert run.next_timer_at() == START + timedelta(days=30)
    clock.set(START + timedelta(days=30, seconds=1))
    run = engine.restore(definition, run.save())
    run.advance()
    assert run.is_completed and run.end_result() == "withdrawn"
    assert completed_ends(run) == {"withdrawn_end"}


def test_paths_visit_every_user_task_and_reach_every_end_event():
    from lxml import etree

    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    for process in DOCUMENTS:
        root = etree.parse(str(PROCESSES / f"{process}.bpmn")).getroot()
        tasks = {t.get("id") for t in root.iterfind(".//bpmn:userTask", ns)}
        ends = {e.get("id") for e in root.iterfind(f".//bpmn:process[@id='{process}']/bpmn:endEvent", ns)}
        visited = {element for p, _, _, steps, _ in PATHS if p == process for element, _, _ in steps}
        reached = {end for p, _, _, _, end in PATHS if p == process}
        if process == "standard_promised":
            reached.add("withdrawn_end")  # the timer path above
        assert tasks <= visited, (process, tasks - visited)  # a caller's paths may visit callees' tasks
        assert reached == ends, (process, ends - reached)
