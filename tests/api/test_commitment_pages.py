"""Commitment-based approval (告知承诺) on the pages: approved at the window on the signed
commitment, the verification's brief, and the revocation case linked both ways."""
from __future__ import annotations

from sqlalchemy import func, select

from app.persistence.models import Case
from tests.support.bundles import BOOK_CAFE, register_bundle
from tests.support.commitment import VETERINARY, approved, complete
from tests.support.pages import brief, csrf, section, sections_in, signed_in, text
from tests.support.projects import complete as complete_step
from tests.support.projects import register as register_project

VETERINARY_MATERIALS = ["M01", "M02", "M03", "M04"]


def desk_accept(client, token, **extra):
    return client.post("/window", data={"csrf_token": token, "item_code": VETERINARY, "applicant_name": "康牧兽药店",
                                        "materials": VETERINARY_MATERIALS, "action": "accept", **extra})


def test_the_window_approves_on_the_spot_only_with_the_signed_commitment(app, api, ext):
    client, token = signed_in(app, "window")
    desk = text(client.get(f"/window?item_code={VETERINARY}"))
    assert 'id="desk-commitment"' in desk and "20 个工作日内事后核查" in desk
    refused = desk_accept(client, token)
    assert refused.status_code == 400
    assert 'id="error-commitment_signed"' in text(refused) and "尚未签署告知承诺书" in text(refused)
    with ext.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    response = desk_accept(client, token, commitment_signed="true")
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    assert "已按告知承诺制当场准予" in text(client.get(response.headers["Location"]))
    case_id = int(response.headers["Location"].split("/")[-2])
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["result"] == "approved" and detail["status"] == "ready_to_issue"
    assert detail["opinions"][0]["data"] == {"commitment_signed": True}
    assert "已签署告知承诺书：是" in text(client.get(f"/cases/{case_id}"))


def test_verification_brief_and_the_revocation_linked_both_ways(app, api):
    case = approved(api)
    verify = next(t for t in case["tasks"] if t["name"] == "事后核查")
    inspector, _ = signed_in(app, "inspector_site_survey")
    page = text(inspector.get(f"/tasks/{verify['id']}"))
    assert ("info", "告知承诺：本件已当场准予，须在 2026-03-30 前完成事后核查；认定承诺不实的，将立案启动撤销程序") \
        in brief(page)
    assert 'id="section-links"' not in page
    case = complete(api, case, "事后核查", "inspector_site_survey", decision="fail", opinion="冷藏设施缺失")
    (follow_up,) = case["follow_up_cases"]
    client, _ = signed_in(app, "reviewer_agriculture")
    parent_page = text(client.get(f"/cases/{case['id']}"))
    links = section(parent_page, "links")
    assert follow_up["number"] in links and "撤销程序" in links and "撤销兽药经营许可证核发" in links
    assert f'href="/cases/{follow_up["id"]}"' in links
    revocation = api.get(f"/api/v1/cases/{follow_up['id']}", as_user="window").get_json()
    page = text(client.get(f"/cases/{follow_up['id']}"))
    assert 'badge outline">撤销程序' in page
    assert f'href="/cases/{case["id"]}">{case["number"]}</a>（兽药经营许可证核发）的后续办件' in section(page, "links")
    task_page = text(client.get(f"/tasks/{revocation['tasks'][0]['id']}"))
    assert sections_in(task_page)[0] == "links"
    assert brief(task_page)[0] == ("info", f"本件为办件 {case['number']}（兽药经营许可证核发）的后续办件，原办件准予许可")


def test_progress_of_a_case_in_verification_and_of_a_bundles_items(app, api):
    case = complete(api, approved(api), "出件", "window", data={"delivery": "窗口领取"})
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    client = app.test_client()
    page = text(client.post("/progress", data={"csrf_token": csrf(client, "/progress"), "number": case["number"],
                                                "code": detail["query_code"]}))
    assert "事后核查中" in page and '<li class="done">出件</li>' in page and '<li class="current">办结</li>' in page
    bundle = register_bundle(api, BOOK_CAFE)
    code = api.get(f"/api/v1/cases/{bundle['id']}", as_user="window").get_json()["query_code"]
    page = text(client.post("/progress", data={"csrf_token": csrf(client, "/progress"), "number": bundle["number"],
                                                "code": code}))
    listed = page.split('id="progress-items"', 1)[1].split("</ul>", 1)[0]
    assert "出版物零售业务经营许可" in listed and "小餐饮经营许可" in listed and listed.count("办理中") == 2


def test_progress_of_a_project_lists_its_stages(app, api):
    case = register_project(api)
    case = complete_step(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    code = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["query_code"]
    client = app.test_client()
    page = text(client.post("/progress", data={"csrf_token": csrf(client, "/progress"), "number": case["number"],
                                                "code": code}))
    stages = page.split('id="progress-stages"', 1)[1].split("</ul>", 1)[0]
    assert "第 1 阶段 · 立项用地规划许可" in stages and "办理中，期限 2026-03-23" in stages
    assert stages.count("未开始") == 3 and "县教育局" not in page.split('id="progress-result"')[1]
    assert 'id="progress-items"' not in page


def test_the_receipt_says_approved_on_the_spot_with_the_verification_deadline_and_issues_at_once(app, api):
    client, token = signed_in(app, "window")
    response = desk_accept(client, token, commitment_signed="true")
    receipt_url = response.headers["Location"]
    case_id = int(receipt_url.split("/")[-2])
    receipt = text(client.get(receipt_url))
    assert "当场准予" in receipt.split('id="receipt-result"')[1][:80]
    assert "2026年3月30日（周一）前" in receipt.split('id="receipt-verification"')[1][:80]
    assert "承诺办结日期" not in receipt and 'id="issue-now"' in receipt
    response = client.post(f"/cases/{case_id}/issue", data={"csrf_token": token, "delivery": "邮寄送达"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case_id}")
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["status"] == "verifying" and detail["opinions"][-1]["data"] == {"delivery": "邮寄送达"}
    assert [t["name"] for t in detail["tasks"]] == ["事后核查"]
    assert 'id="issue-now"' not in text(client.get(receipt_url))  # nothing left to issue
    again = client.post(f"/cases/{case_id}/issue", data={"csrf_token": token, "delivery": "邮寄送达"})
    assert "没有可在窗口出件的环节" in text(client.get(again.headers["Location"]))
    page = text(client.post("/progress", data={"csrf_token": csrf(client, "/progress"), "number": detail["number"],
                                                "code": detail["query_code"]}))
    assert "当场准予" in page.split('id="progress-commitment"')[1][:60]
    assert "事后核查期限</dt><dd>2026年3月30日（周一）前" in page


def test_issuing_at_once_checks_the_delivery_and_is_for_the_window(app, api):
    case = approved(api)
    client, token = signed_in(app, "window")
    bad = client.post(f"/cases/{case['id']}/issue", data={"csrf_token": token, "delivery": "飞鸽传书"})
    assert "送达方式" in text(client.get(bad.headers["Location"]))
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["status"] == "ready_to_issue"
    reviewer, reviewer_token = signed_in(app, "reviewer_agriculture")
    assert reviewer.post(f"/cases/{case['id']}/issue",
                         data={"csrf_token": reviewer_token, "delivery": "窗口领取"}).status_code == 403
