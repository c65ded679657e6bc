"""The diagram of a case whose current step sits inside a called process: the call activity is
marked (with the steps open inside it), and the called process's own diagram opens with its
steps marked; only processes the case's version calls, only for those who may see the case."""
from __future__ import annotations

from tests.api.page_client import signed_in
from tests.api.test_bundles_api import BOOK_CAFE, register_bundle
from tests.api.test_cases_api import register, work
from tests.api.test_inspection_api import SCHOOL, to_inspection


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
    assert main["calls"] == [{"element_id": "inspect_site", "process_id": "site_inspection",
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
    assert main["calls"] == [{"element_id": "approve_each_item", "process_id": "bundle_item",
                              "name": "一件事分项办理", "state": "active"}]
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
