"""Commitment-based approval (告知承诺): approved at once on a signed commitment, verified
afterwards; a verification found untrue opens a revocation case."""
from __future__ import annotations

from tests.support.cases import register, work
from tests.support.commitment import VETERINARY, approved, complete


def test_no_approval_on_the_spot_without_a_signed_commitment(api):
    case = register(api, VETERINARY)
    for data in ({}, {"commitment_signed": False}):
        refused = work(api, case, "window", "approve", "当场准予", data=data, expect=400)
        assert refused["code"] == "commitment_not_signed" and refused["details"]["field"] == "commitment_signed"


def test_approved_at_once_then_issued_and_verified_within_its_limit(api):
    case = approved(api)
    assert case["result"] == "approved" and case["status"] == "ready_to_issue"
    assert sorted((t["name"], t["role"], t["department"]) for t in case["tasks"]) == [
        ("事后核查", "inspector", "site_survey"), ("出件", "window", "window")]
    # accepted Monday 2026-03-02: verification within 20 working days
    assert case["time_limit"]["due_date"] == "2026-03-30"
    case = complete(api, case, "出件", "window", data={"delivery": "窗口领取"})
    assert case["status"] == "verifying" and case["status_label"] == "事后核查中"
    case = complete(api, case, "事后核查", "inspector_site_survey", decision="pass", opinion="经营条件与承诺一致")
    assert case["status"] == "completed" and case["result"] == "approved" and case["follow_up_cases"] == []


def test_untrue_commitment_opens_a_revocation_that_revokes_the_licence(api):
    case = approved(api)
    case = complete(api, case, "事后核查", "inspector_site_survey", decision="fail",
                    opinion="仓库面积与承诺不符，冷藏设施缺失")
    (follow_up,) = case["follow_up_cases"]
    assert follow_up["kind"] == "revocation" and follow_up["item_name"] == "撤销兽药经营许可证核发"
    assert any(h["action"] == "follow_up_opened" for h in case["history"])
    revocation = api.get(f"/api/v1/cases/{follow_up['id']}", as_user="window").get_json()
    assert revocation["parent_case"]["number"] == case["number"]
    assert [(t["name"], t["department"]) for t in revocation["tasks"]] == [("撤销审查", "agriculture")]
    assert revocation["time_limit"]["due_date"] is not None
    revocation = work(api, revocation, "reviewer_agriculture", "revoke", "承诺不实，建议撤销")
    revocation = work(api, revocation, "leader_agriculture", "revoke", "依法撤销该许可")
    assert revocation["result"] == "revoked" and revocation["result_label"] == "撤销许可"
    parent = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert parent["result"] == "revoked"
    assert any(h["action"] == "licence_revoked" and revocation["number"] in h["description"]
               for h in parent["history"])


def test_a_revocation_that_keeps_the_licence_leaves_it_standing(api):
    case = approved(api)
    case = complete(api, case, "事后核查", "inspector_site_survey", decision="fail", opinion="承诺事项存疑")
    revocation = api.get(f"/api/v1/cases/{case['follow_up_cases'][0]['id']}", as_user="window").get_json()
    revocation = work(api, revocation, "reviewer_agriculture", "keep", "已当场整改，情节轻微")
    revocation = work(api, revocation, "leader_agriculture", "keep", "不予撤销")
    assert revocation["result"] == "upheld"
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["result"] == "approved"


def test_a_revocation_takes_the_grant_out_of_the_figures_of_the_day_it_was_granted(api):
    """The parent's result changes long after it was concluded: the roll-up of the day it was
    concluded is computed again (as a rebuild from scratch would count it), not left granted."""
    from tests.support.statistics import statistics

    case = approved(api)
    case = complete(api, case, "出件", "window", data={"delivery": "窗口领取"})
    case = complete(api, case, "事后核查", "inspector_site_survey", decision="fail", opinion="承诺不实")
    assert case["status"] == "completed" and case["result"] == "approved"
    day = case["completed_at"][:10]
    period = {"from": day, "to": day, "item": VETERINARY}
    assert statistics(api, **period)["granted"] == 1  # read: the day's row computed now
    revocation = api.get(f"/api/v1/cases/{case['follow_up_cases'][0]['id']}", as_user="window").get_json()
    revocation = work(api, revocation, "reviewer_agriculture", "revoke", "承诺不实，建议撤销")
    work(api, revocation, "leader_agriculture", "revoke", "依法撤销该许可")
    assert statistics(api, **period)["granted"] == 0
