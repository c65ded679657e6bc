"""A case worked halfway in one server process is finished in another: after a restart, or by
the second of several server processes, which restores the workflow from the database with
diagrams it parsed itself. Parallel reviews, the items of a 一件事 and a project stage's items
are loops of instances; each must still settle when its last instance is completed there."""
from __future__ import annotations

from typing import Any

from app import create_app
from tests.support.api import ApiClient
from tests.support.bundles import PHARMACY, register_bundle
from tests.support.cases import work
from tests.support.parallel import ENTERTAINMENT, accepted, answer
from tests.support.inspection_form import on_site


def another_process(settings: Any, clock: Any) -> ApiClient:
    """A second app on the same database: its own parsed diagrams and workflow cache."""
    return ApiClient(create_app(settings, clock=clock, warm=False).test_client())


def test_a_countersign_half_done_in_one_process_settles_in_another(api, settings, clock):
    case = accepted(api, ENTERTAINMENT)
    case = answer(api, case, "fire_rescue", "approve", "消防条件符合")
    case = answer(another_process(settings, clock), case, "culture_tourism", "approve", "经营场所符合要求")
    assert case["parallel"]["settled"] and case["parallel"]["outcome"] == "approve"
    assert case["status"] == "inspecting" and case["tasks"]


def test_the_items_of_a_bundle_finish_in_another_process(api, settings, clock):
    case = work(api, register_bundle(api, PHARMACY), "window", "approve", "予以受理")
    other = another_process(settings, clock)
    for _ in range(40):
        if not case["tasks"]:
            break
        task = case["tasks"][0]
        client = other if len(case["tasks"]) % 2 else api  # the steps land on both processes
        user = task["candidates"][0]
        body: dict[str, Any] = {"opinion": "同意", "data": {}}
        if task["element_id"] in ("review_item", "decide_item", "accept_application"):
            body["decision"] = "approve"
        if task["element_id"].startswith("inspect"):
            body["data"] = on_site(case, task, user, {"finding": "合格"})
        if task["element_id"] == "issue_results":
            body["data"] = {"delivery": "窗口领取"}
        response = client.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json=body)
        assert response.status_code == 200, response.get_json()
        case = response.get_json()["case"]
    assert case["status"] == "completed" and {i["result"] for i in case["items"]} == {"approved"}
