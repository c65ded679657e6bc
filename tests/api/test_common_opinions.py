"""常用意见: a reviewer keeps opinions for a step and inserts them with one click; the bureau's
usual wordings are there from the start; one's own only, kept once, at most 20 per step."""
from __future__ import annotations

from tests.support.cases import register, work
from tests.support.pages import signed_in, text

JSON = {"Accept": "application/json"}


def _review_page(app, api, user="reviewer_market"):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    client, token = signed_in(app, user)
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    return client, token, task_id


def keep(client, token, text_, step="审查"):
    return client.post("/opinions", data={"csrf_token": token, "step": step, "text": text_},
                       headers={**JSON, "X-CSRF-Token": token})


def test_the_usual_wordings_are_offered_and_kept_opinions_come_first(app, api):
    client, token, task_id = _review_page(app, api)
    page = text(client.get(f"/tasks/{task_id}"))
    assert 'id="common-opinions"' in page and "经审查，申请材料齐全、符合法定形式，同意。" in page
    kept = keep(client, token, "经现场核实，经营场所与申请一致，同意。")
    assert kept.status_code == 200 and kept.get_json()["opinion"]["id"]
    page = text(client.get(f"/tasks/{task_id}"))
    assert page.index("经现场核实，经营场所与申请一致") < page.index("经审查，申请材料齐全")
    assert keep(client, token, "经现场核实，经营场所与申请一致，同意。").get_json()["opinion"] == kept.get_json()["opinion"]


def test_ones_own_only_and_bad_input_is_refused_in_chinese(app, api):
    client, token, _ = _review_page(app, api)
    mine = keep(client, token, "同意。").get_json()["opinion"]["id"]
    other, other_token = signed_in(app, "reviewer2_market")
    refused = other.post(f"/opinions/{mine}/delete", data={"csrf_token": other_token},
                         headers={**JSON, "X-CSRF-Token": other_token})
    assert refused.status_code == 404 and refused.get_json()["code"] == "opinion_not_found"
    for bad, code in (("", "opinion_required"), ("字" * 501, "opinion_too_long")):
        response = keep(client, token, bad)
        assert response.status_code == 400 and response.get_json()["code"] == code
    assert keep(client, token, "x", step="").get_json()["code"] == "invalid_step"
    deleted = client.post(f"/opinions/{mine}/delete", data={"csrf_token": token}, headers={**JSON, "X-CSRF-Token": token})
    assert deleted.status_code == 200
    auditor, auditor_token = signed_in(app, "auditor")
    assert keep(auditor, auditor_token, "同意").status_code == 403


def test_at_most_twenty_per_step(app, api):
    client, token, _ = _review_page(app, api)
    for n in range(20):
        assert keep(client, token, f"意见 {n}").status_code == 200
    full = keep(client, token, "第二十一条")
    assert full.status_code == 409 and full.get_json()["code"] == "too_many_opinions"
    assert keep(client, token, "另一环节的意见", step="决定").status_code == 200
