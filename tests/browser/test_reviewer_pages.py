"""A reviewer's day in the browser: sign in, claim from 部门待办, approve with an opinion, return
for supplement with the one-time notice; the inbox screenshot the README shows."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

from playwright.sync_api import expect
from sqlalchemy import update

from app.persistence.models import Case, TaskRecord
from app.services.clock.time_limits import due_moment
from tests.support.browser import REPORTS, sign_in
from tests.support.cases import register, work

APPLICANTS = (("县城南便民超市", "XK-0001"), ("康宁大药房", "XK-0003"), ("河畔小吃店", "XK-0004"),
              ("张三餐饮店", "XK-0001"), ("仁济大药房", "XK-0003"), ("老街面馆", "XK-0004"))


def accepted_case(live_server, applicant: str = "张三餐饮店", item: str = "XK-0001") -> dict:
    return work(live_server.api, register(live_server.api, item, applicant={"name": applicant}), "window", "approve")


def set_case(live_server, case_id: int, **values) -> None:
    """Move a case's clock as the deadline checks would: the case row and its open tasks' due_at."""
    with live_server.ext.db.unit_of_work() as session:
        session.execute(update(Case).where(Case.id == case_id).values(**values)
                        .execution_options(synchronize_session=False))
        if "due_date" in values:
            session.execute(update(TaskRecord).where(TaskRecord.case_id == case_id)
                            .values(due_at=due_moment(session.get(Case, case_id)))
                            .execution_options(synchronize_session=False))


def test_reviewer_claims_from_the_department_inbox_and_approves(page, live_server):
    case = accepted_case(live_server, "星河茶饮店")
    sign_in(page, "reviewer2_market")
    expect(page.locator(".who")).to_contain_text("审查人员")
    expect(page.locator(".who")).to_contain_text("市场监督管理局")
    page.click("[data-tab=department]")
    row = page.locator("tr", has_text=case["number"])
    mine_before = int(page.locator("[data-count=mine]").inner_text())
    row.get_by_role("button", name="签收", exact=True).click()  # partial update: no reload
    expect(row).to_contain_text("已签收，转入我的待办")
    expect(page.locator("[data-count=mine]")).to_have_text(str(mine_before + 1))

    page.click("[data-tab=mine]")
    page.locator("tr", has_text=case["number"]).get_by_role("link", name="办理").click()
    expect(page.locator("h1")).to_contain_text("审查")
    expect(page.locator("#diagram")).to_have_attribute("data-state", "ready")
    expect(page.locator(".djs-element.step-active")).to_have_count(1)
    expect(page.locator(".djs-element.step-done")).to_have_count(1)
    expect(page.locator(".materials")).to_contain_text("主要材料")

    page.get_by_label("建议准予").check()
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#error-opinion")).to_have_text(re.compile("请填写办理意见"))
    expect(page.get_by_label("建议准予")).to_be_checked()  # the form keeps what was entered
    page.fill("#opinion", "经审查，申请材料齐全，符合法定条件")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash")).to_contain_text("已办理完成，办件已转至")
    detail = live_server.api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["status"] not in ("registered", "in_review")  # on to inspection or decision
    assert detail["opinions"][-1]["opinion"] == "经审查，申请材料齐全，符合法定条件"

    page.goto(f"/cases/{case['id']}")
    expect(page.locator("ol.timeline")).to_contain_text("办理“审查”，决定：建议准予")


def test_return_for_supplement_with_the_one_time_notice(page, live_server):
    case = accepted_case(live_server, "晨光早餐店")
    task_id = case["tasks"][0]["id"]
    assert live_server.api.post(f"/api/v1/tasks/{task_id}/claim", as_user="reviewer_market").status_code == 200
    sign_in(page, "reviewer_market")
    page.goto(f"/tasks/{task_id}")
    notice = page.locator("[data-notice]")
    expect(notice).to_be_hidden()
    page.locator("input[name=decision][data-return]").check()
    expect(notice).to_be_visible()
    page.locator("input[name=notice_material][value=M02]").check()
    page.fill("#opinion", "材料需补正")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#error-notice-M02")).to_contain_text("需补正的理由")
    expect(page.locator("input[name=notice_material][value=M02]")).to_be_checked()  # kept
    expect(notice).to_be_visible()
    page.fill("input[name=notice_reason_M02]", "营业执照已过期，请提供有效期内的执照")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash")).to_contain_text("已办理完成，办件已转至")
    detail = live_server.api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["status"] == "awaiting_supplement"
    page.goto(f"/cases/{case['id']}")
    expect(page.locator("ol.timeline")).to_contain_text("营业执照已过期")


def test_inbox_screenshot(page, live_server):
    cases = [accepted_case(live_server, name, item) for name, item in APPLICANTS]
    set_case(live_server, cases[0]["id"], deadline_state="overdue", due_date=date(2026, 2, 26))
    set_case(live_server, cases[1]["id"], deadline_state="warning", due_date=date(2026, 3, 4))
    set_case(live_server, cases[2]["id"], deadline_provisional=True)
    set_case(live_server, cases[3]["id"], clock_suspended_since=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    sign_in(page, "reviewer_market")
    for case in cases[:4]:
        live_server.api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/claim", as_user="reviewer_market")
    page.goto("/?tab=mine")
    expect(page.locator("table.inbox")).to_contain_text("超期")
    expect(page.locator(".badge.overdue").first).to_be_visible()
    expect(page.locator(".badge.warning").first).to_be_visible()
    expect(page.locator(".badge.suspended").first).to_have_text("已暂停计时")
    page.click(".chip.overdue")
    expect(page.locator("table.inbox tbody tr")).to_have_count(1)
    page.goto("/?tab=mine")
    badges = page.locator("table.inbox tbody tr td:nth-child(5) .badge").all_inner_texts()
    assert badges[:2] == ["超期 3 个工作日", "剩 2 个工作日"], badges  # most urgent first
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / "inbox.png"
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 20_000


def test_a_common_opinion_goes_into_the_box_with_one_click_and_new_ones_are_kept(page, live_server):
    case = accepted_case(live_server, "常用意见小店")
    sign_in(page, "reviewer_market")
    page.goto(f"/tasks/{case['tasks'][0]['id']}")
    page.click("#actions button[type=submit]:has-text('签收')")
    page.click(".opinion-chip[data-decision=approve]")
    expect(page.locator("#opinion")).to_have_value("经审查，申请材料齐全、符合法定形式，同意。")
    page.fill("#opinion", "经核实，经营场所符合要求，同意。")
    page.click("#keep-opinion")
    expect(page.locator(".opinion-note")).to_have_text("已保存为常用意见")
    page.reload()
    page.fill("#opinion", "")
    page.click(".opinion-chip[data-text='经核实，经营场所符合要求，同意。']")
    expect(page.locator("#opinion")).to_have_value("经核实，经营场所符合要求，同意。")


PNG_SCAN = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
            b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def test_the_window_uploads_a_scan_and_the_reviewer_reads_it_beside_the_form(page, live_server):
    case = register(live_server.api, applicant={"name": "扫描件测试店"})
    sign_in(page, "window")
    page.goto(f"/cases/{case['id']}")
    page.select_option("form.scan-upload select[name=material]", "M01")
    page.set_input_files("form.scan-upload input[type=file]",
                         files=[{"name": "营业执照.png", "mimeType": "image/png", "buffer": PNG_SCAN}])
    page.click("form.scan-upload button[type=submit]")
    expect(page.locator("main")).to_contain_text("已上传扫描件：营业执照.png")
    case = work(live_server.api, live_server.api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json(),
                "window", "approve")
    page.context.clear_cookies()
    sign_in(page, "reviewer_market")
    page.goto(f"/tasks/{case['tasks'][0]['id']}")
    page.click("a[data-scan]")
    expect(page.locator("#scan-viewer img")).to_be_visible()
    before = page.evaluate("document.querySelector('#scan-viewer img').style.width")
    page.click("#scan-viewer [data-zoom='1']")
    assert page.evaluate("document.querySelector('#scan-viewer img').style.width") != before
