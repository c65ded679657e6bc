"""The diagram of a case whose current step sits inside a called process: the call activity is
marked (with the steps open inside it), and the called process's own diagram opens with its
steps marked; only processes the case's version calls, only for those who may see the case."""
from __future__ import annotations

from tests.support.bundles import BOOK_CAFE, register_bundle
from tests.support.cases import register, work
from tests.support.inspection import SCHOOL, to_inspection
from tests.support.pages import signed_in
from tests.support.projects import complete, pass_survey
from tests.support.projects import register as register_project


def diagram(api, case_id: int, process: str | None = None, user: str = "auditor"):
    query = f"?process={process}" if process else ""
    return api.get(f"/api/v1/cases/{case_id}/diagram{query}", as_user=user)


def test_a_step_inside_the_inspection_marks_its_call_and_opens_the_called_diagram(api):
    case = to_inspection(api, SCHOOL, "reviewer_education")  # three departments inspect jointly
    main = diagram(api, case["id"]).get_json()
    assert main["process_id"] == main["main_process_id"] == "standard_promised"
    assert main["active"] == ["inspect_site"] and main["counts"] == {"inspect_site": 3}
    assert {"accept_application", "review_application"} <= set(main["completed"])
    assert "inspect_jointly" not in main["active"] + main["completed"]  # not on this diagram
    assert main["calls"] == [{"element_id": "inspect_site", "call_name": "现场核查", "process_id": "site_inspection",
                              "name": "现场核查", "state": "active"}]
    called = diagram(api, case["id"], "site_inspection").get_json()
    assert called["process_id"] == "site_inspection" and called["name"] == "现场核查"
    assert 'id="site_inspection"' in called["xml"] and called["version_id"] != main["version_id"]
    assert called["active"] == ["inspect_jointly"] and called["counts"] == {"inspect_jointly": 3}
    assert called["completed"] == [] and called["calls"] == []


def test_a_finished_call_is_marked_done(api):
    case = to_inspection(api, "XK-0004", "reviewer_market")
    case = work(api, case, "inspector_site_survey", opinion="符合要求", data={"finding": "合格"})
    main = diagram(api, case["id"]).get_json()
    assert main["active"] == ["decide_application"] and "inspect_site" in main["completed"]
    assert main["calls"][0]["state"] == "done"


def test_a_bundles_items_are_marked_through_two_levels_of_calls(api):
    case = work(api, register_bundle(api, BOOK_CAFE), "window", "approve", "受理")
    main = diagram(api, case["id"]).get_json()
    assert main["active"] == ["approve_each_item"] and main["counts"] == {"approve_each_item": 2}
    assert main["calls"] == [{"element_id": "approve_each_item", "call_name": "各事项并行办理",
                              "process_id": "bundle_item", "name": "一件事分项办理", "state": "active"}]
    item = diagram(api, case["id"], "bundle_item").get_json()
    assert item["active"] == ["review_item"] and item["counts"] == {"review_item": 2}
    assert [c["process_id"] for c in item["calls"]] == ["site_inspection"]  # reachable, not yet run
    assert item["calls"][0]["state"] is None
    assert diagram(api, case["id"], "site_inspection").status_code == 200


def test_only_the_processes_the_case_calls_and_only_for_those_who_see_it(app, api):
    case = work(api, register(api, "XK-0009"), "window", "approve", "予以受理")
    for process in ("bundle_item", "no_such_process", "../standard_promised"):
        response = diagram(api, case["id"], process)
        assert response.status_code == 404 and response.get_json()["code"] == "process_not_in_case"
    assert diagram(api, case["id"], "site_inspection", user="reviewer_market").status_code == 403
    client, _ = signed_in(app, "reviewer_culture_tourism")
    assert client.get(f"/cases/{case['id']}/diagram.json?process=site_inspection").status_code == 200
    assert client.get(f"/cases/{case['id']}/diagram.json?process=bundle_item").status_code == 404
    outsider, _ = signed_in(app, "reviewer_health")
    assert outsider.get(f"/cases/{case['id']}/diagram.json?process=site_inspection").status_code == 403


def test_a_process_called_from_several_places_marks_only_the_call_the_case_is_in(api):
    """A construction project calls 阶段审批 for stages 1–3: only the stage under way is current."""
    case = register_project(api)
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    main = diagram(api, case["id"]).get_json()
    assert main["active"] == ["land_planning_stage"] and main["counts"] == {"land_planning_stage": 7}
    assert [(c["element_id"], c["call_name"], c["state"]) for c in main["calls"]] == [
        ("land_planning_stage", "立项用地规划许可", "active"), ("engineering_permit_stage", "工程建设许可", None),
        ("construction_permit_stage", "施工许可", None), ("completion_acceptance_stage", "竣工验收", None)]
    stage = diagram(api, case["id"], "project_stage").get_json()
    assert stage["active"] == ["joint_survey"] and stage["counts"] == {"joint_survey": 7}
    case = pass_survey(api, case)
    main = diagram(api, case["id"]).get_json()
    assert main["active"] == ["land_planning_stage"] and main["completed"] == []
    for task in [t for t in case["tasks"] if t["name"] == "并联审批"]:
        case = complete(api, case, task, f"reviewer_{task['department']}", "approve", scope="范围")
    case = complete(api, case, next(t for t in case["tasks"] if t["name"] == "阶段批复"),
                    "leader_development_reform", "approve")
    main = diagram(api, case["id"]).get_json()
    assert main["completed"] == ["land_planning_stage"] and main["active"] == ["engineering_permit_stage"]
    assert [c["state"] for c in main["calls"]] == ["done", "active", None, None]
