"""The window desk (register, accept, one-time notice, receipt) and the public progress page."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.persistence.models import AuditEvent
from tests.support.cases import register, work
from tests.support.pages import csrf, signed_in, text

FOOD_MAIN = ["M01", "M02", "M03"]  # 食品经营许可: M04, M05 are secondary


def desk_post(client, token, **form):
    return client.post("/window", data={"csrf_token": token, "item_code": "XK-0001",
                                        "applicant_name": "城南超市", **form})


def test_window_accepts_with_gaps_and_prints_the_receipt_with_the_query_code(app, api):
    client, token = signed_in(app, "window")
    response = desk_post(client, token, materials=FOOD_MAIN, action="accept", applicant_contact="0910-1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    receipt = text(client.get(response.headers["Location"]))
    number = re.search(r"办件编号 (\d{4}-\d{6})", receipt).group(1)
    code = re.search(r'id="query-code"[^>]*>([0-9A-F]+)<', receipt).group(1)
    assert "容缺后补材料" in receipt and "2026年3月16日" in receipt and "城南超市" in receipt
    case_id = int(response.headers["Location"].split("/")[-2])
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["number"] == number and detail["query_code"] == code
    assert detail["status"] == "in_review" and detail["opinions"][0]["opinion"].startswith("主要材料齐全，容缺受理")
    assert detail["applicant"] == {"name": "城南超市", "contact": "0910-1"}


def test_window_cannot_accept_without_main_materials_and_nothing_is_written(app, ext):
    client, token = signed_in(app, "window")
    response = desk_post(client, token, materials=["M01"], action="accept")
    assert response.status_code == 400
    page = text(response)
    assert "主要材料不齐，不能受理" in page and 'value="M01" checked' in page and 'value="M02" >' in page
    with ext.db.unit_of_work() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "case_registered")) is None
    response = desk_post(client, token, applicant_name="", materials=FOOD_MAIN, action="accept")
    assert response.status_code == 400 and "请填写申请人名称" in text(response)


def test_one_time_notice_lists_everything_missing_at_once(app, ext):
    client, token = signed_in(app, "window")
    response = desk_post(client, token, materials=["M01", "M04"], action="notice")
    assert response.status_code == 200
    page = text(response)
    assert "一次性告知书" in page and "城南超市" in page and "主要材料缺失，暂不能受理" in page
    for missing in ("营业执照或其他主体资格证明文件", "从业人员健康证明"):
        assert missing in page
    assert "window.print()" in page
    with ext.db.unit_of_work() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "intake_notice_issued"))
        assert event.after["missing"] == ["M02", "M03", "M05"] and event.case_id is None
        assert f"〔2026〕{event.id}号" in page
    complete = desk_post(client, token, materials=FOOD_MAIN + ["M04", "M05"], action="notice")
    assert complete.status_code == 400 and "材料齐全，无需出具一次性告知书" in text(complete)


def test_immediate_item_is_registered_and_decided_on_its_task_page(app, api):
    client, token = signed_in(app, "window")
    response = client.post("/window", data={"csrf_token": token, "item_code": "XK-0002", "applicant_name": "李四",
                                            "materials": ["M01", "M02", "M03"], "action": "accept"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    assert "受理并当场决定" in page and "请当场审核并作出决定" in page and "准予" in page


def test_desk_is_for_the_window_only_and_lists_items_by_department(app):
    client, _ = signed_in(app, "window")
    page = text(client.get("/window"))
    assert '<optgroup label="市场监督管理局">' in page and "XK-0001 食品经营许可" in page
    page = text(client.get("/window?item_code=XK-0001"))
    assert "主要材料" in page and "出具一次性告知书" in page
    reviewer, _ = signed_in(app, "reviewer_market")
    assert reviewer.get("/window").status_code == 403


def accepted_case(api):
    return work(api, register(api), "window", "approve")


def progress(client, number, code):
    return client.post("/progress", data={"csrf_token": csrf(client, "/progress"), "number": number, "code": code})


def test_public_progress_shows_stage_and_dates_and_nothing_personal(app, api):
    case = accepted_case(api)
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    client = app.test_client()
    response = progress(client, case["number"], detail["query_code"].lower())
    assert response.status_code == 200
    page = text(response)
    for shown in ("审查中", "食品经营许可", "2026年3月2日", "2026年3月16日", "市场监督管理局", "当前环节</dt><dd>审查"):
        assert shown in page, shown
    for hidden in ("张三", "0910", "材料齐全", "window", "王窗口", detail["query_code"]):
        assert hidden not in page.split('id="progress-result"')[1], hidden
    assert '<li class="done">申请登记</li>' in page and '<li class="current">受理审查</li>' in page


def test_progress_gives_one_answer_for_unknown_numbers_and_wrong_codes_and_limits_failures(app, api):
    case = accepted_case(api)
    client = app.test_client()
    wrong = text(progress(client, case["number"], "ABCDEF"))
    unknown = text(progress(client, "2026-999999", "ABCDEF"))
    message = "办件编号或查询码不正确"
    assert message in wrong and message in unknown
    assert progress(client, "2026-999999", "ABCDEF").status_code == 404
    assert progress(client, "编号", "x").status_code == 400
    for _ in range(6):
        progress(client, case["number"], "000000")
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    blocked = progress(client, case["number"], detail["query_code"])  # even the right code now waits
    assert blocked.status_code == 429 and "查询失败次数过多" in text(blocked)
    other = app.test_client()
    ok = other.post("/progress", data={"csrf_token": csrf(other, "/progress"), "number": case["number"],
                                       "code": detail["query_code"]}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert ok.status_code == 200


def test_progress_needs_no_login_and_its_form_needs_the_token(app):
    client = app.test_client()
    assert client.get("/progress").status_code == 200
    assert client.post("/progress", data={"number": "2026-000001", "code": "ABCDEF"}).status_code == 400


def test_the_window_issues_the_result_from_its_desk(app, api):
    """即办件: accepted and decided on the spot, then the result is issued (出件) at the window."""
    client, token = signed_in(app, "window")
    response = client.post("/window", data={"csrf_token": token, "item_code": "XK-0002", "applicant_name": "李四",
                                            "materials": ["M01", "M02", "M03"], "action": "accept"})
    decide = response.headers["Location"].split("/")[-1]
    response = client.post(f"/tasks/{decide}/complete", data={"csrf_token": token, "decision": "approve",
                                                               "opinion": "当场准予"})
    assert response.status_code == 302
    desk = text(client.get("/window"))
    assert "窗口待办" in desk and "出件</a> · 李四" in desk
    issue = re.search(r'href="/tasks/([^"]+)">出件</a> · 李四', desk).group(1)
    client.post(f"/tasks/{issue}/claim", data={"csrf_token": token})
    page = text(client.get(f"/tasks/{issue}"))
    assert "送达方式" in page and "电子送达" in page
    client.post(f"/tasks/{issue}/complete", data={"csrf_token": token, "field_delivery": "窗口领取"})
    done = api.get("/api/v1/tasks?tab=done&q=%E6%9D%8E%E5%9B%9B", as_user="window").get_json()
    assert {i["name"] for i in done["items"]} >= {"出件", "受理并当场决定"}
    case_id = done["items"][0]["case"]["id"]
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["status"] == "completed" and detail["opinions"][-1]["data"] == {"delivery": "窗口领取"}


def test_owed_materials_are_received_at_the_window_from_the_case_page(app, api):
    client, token = signed_in(app, "window")
    response = desk_post(client, token, materials=FOOD_MAIN + ["M04"], action="accept")  # M05 owed
    case_id = int(response.headers["Location"].split("/")[-2])
    page = text(client.get(f"/cases/{case_id}"))
    assert "容缺受理" in page and 'id="receive-form"' in page and "须在作出决定前补齐" in page
    reviewer, reviewer_token = signed_in(app, "reviewer_market")
    assert 'id="receive-form"' not in text(reviewer.get(f"/cases/{case_id}"))
    assert reviewer.post(f"/cases/{case_id}/materials",
                         data={"csrf_token": reviewer_token, "materials": ["M05"]}).status_code == 403
    response = client.post(f"/cases/{case_id}/materials", data={"csrf_token": token})
    assert "请勾选收到的材料" in text(client.get(response.headers["Location"]))
    response = client.post(f"/cases/{case_id}/materials", data={"csrf_token": token, "materials": ["M05"]})
    page = text(client.get(response.headers["Location"]))
    assert "已收取补交的材料" in page and 'id="receive-form"' not in page
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["gaps"]["complete"] is True and all(m["received"] for m in detail["materials"])


def test_a_case_number_is_found_with_or_without_the_dash(app, api):
    case = accepted_case(api)
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    response = progress(app.test_client(), case["number"].replace("-", ""), detail["query_code"])
    assert response.status_code == 200 and "审查中" in text(response)
    found = api.get("/api/v1/tasks?tab=department&q=" + case["number"].replace("-", ""),
                    as_user="reviewer_market").get_json()
    assert [row["case"]["number"] for row in found["items"]] == [case["number"]]
