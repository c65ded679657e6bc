"""The on-site inspection form in the browser: every missing field named next to it at once,
the second inspector chosen from the department's colleagues, photos uploaded without losing
what was typed, and the photos and both inspectors shown to the leader who decides."""
from __future__ import annotations

import struct
import zlib

from playwright.sync_api import expect

from app.scenarios.reports.report import write_run
from app.scenarios.reports.results import RunSummary, ScenarioResult, StepResult
from app.services.processes.coverage import CoverageReport
from tests.support.browser import sign_in
from tests.support.english import english_words
from tests.support.inspection import to_inspection

OPINION = "两人到场核查，操作间布局与平面图一致。"


def _png(width: int = 8, height: int = 6) -> bytes:
    """A real (tiny, orange) PNG the browser can draw."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xf0\x90\x30" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_inspection_form_names_every_missing_field_keeps_typed_work_and_shows_photos(page, live_server):
    case = to_inspection(live_server.api, "XK-0004", "reviewer_market", applicant={"name": "两人核查面馆"})
    (task,) = case["tasks"]
    sign_in(page, "inspector_site_survey")
    page.goto(f"/tasks/{task['id']}")
    page.click("#actions button[type=submit]:has-text('签收')")
    page.wait_for_selector("#complete-form")
    form = page.locator("#complete-form")
    for label in ("核查日期", "第二核查人", "核查结论", "现场照片"):
        expect(form).to_contain_text(f"{label}（必填）" if label != "现场照片" else label)
    expect(page.locator("#field_inspected_on")).to_have_value("2026-03-02")  # today, to start from
    expect(page.locator("#field_inspected_on")).to_have_attribute("max", "2026-03-02")
    options = page.locator("#field_second_inspector option").all_inner_texts()
    assert options == ["请选择人员", "现场勘验股核查员二"]  # a colleague, never oneself

    # sent with nothing chosen: every missing field named next to it, what was typed kept
    page.fill("#field_inspected_on", "")
    page.fill("#opinion", OPINION)
    page.click("#complete-form button[type=submit]:has-text('提交')")
    page.wait_for_selector("#complete-form .invalid")
    expect(page.locator("[data-field=inspected_on]")).to_contain_text("请填写“核查日期”")
    expect(page.locator("[data-field=second_inspector]")).to_contain_text("请选择“第二核查人”")
    expect(page.locator("[data-field=finding]")).to_contain_text("请选择“核查结论”")
    expect(page.locator(".alert")).to_contain_text("有 3 处需要修改")
    expect(page.locator("#opinion")).to_have_value(OPINION)

    # a photo uploaded from the step: back on the form with what was typed
    page.select_option("#field_second_inspector", label="现场勘验股核查员二")
    page.select_option("#field_finding", "合格")
    page.fill("#field_inspected_on", "2026-03-02")
    page.set_input_files("#photos input[type=file]", files=[
        {"name": "门头.png", "mimeType": "image/png", "buffer": _png()},
        {"name": "后厨.png", "mimeType": "image/png", "buffer": _png(6, 8)}])
    page.click("#photos button[type=submit]:has-text('上传照片')")
    page.wait_for_url(lambda url: "draft=restore" in url)
    expect(page.locator("#photos .photo-list img")).to_have_count(2)
    expect(page.locator("#opinion")).to_have_value(OPINION)
    expect(page.locator("#field_finding")).to_have_value("合格")
    expect(page.locator("#field_second_inspector")).to_have_value("inspector2_site_survey")
    # not an image: refused by its content, whatever its name says
    page.set_input_files("#photos input[type=file]", files=[
        {"name": "照片.png", "mimeType": "image/png", "buffer": b"<html><script>alert(1)</script></html>"}])
    page.click("#photos button[type=submit]:has-text('上传照片')")
    expect(page.locator(".flash, .alert").first).to_contain_text("只能是 JPEG 或 PNG")
    expect(page.locator("#photos .photo-list img")).to_have_count(2)
    page.click("#complete-form button[type=submit]:has-text('提交')")
    page.wait_for_url(lambda url: "/tasks/" not in url)

    # the leader deciding sees both inspectors, the day and the photos, opened beside the form
    detail = live_server.api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    decide = detail["tasks"][0]
    page.context.clear_cookies()
    sign_in(page, "leader_market")
    page.goto(f"/tasks/{decide['id']}")
    inspection = page.locator("#section-inspection")
    expect(inspection).to_contain_text("现场勘验股核查员、现场勘验股核查员二")
    expect(inspection).to_contain_text("核查日期 2026-03-02")
    photos = inspection.locator(".photo-link img")
    expect(photos).to_have_count(2)
    assert photos.first.evaluate("img => img.naturalWidth") == 8  # served as the image it is
    inspection.locator(".photo-link").first.click()
    expect(page.locator("#scan-viewer")).to_be_visible()
    expect(page.locator("#scan-viewer img")).to_have_count(1)


def test_the_step_catalogue_and_the_scenario_report_are_chinese_pages_in_the_site(page, live_server):
    scenario = ScenarioResult("t::x", "现场核查", "现场核查/x.feature", "两人核查",
                              steps=[StepResult("当", "“inspector_site_survey”办理“独立现场核查”环节", "passed")],
                              status="passed")
    write_run(live_server.ext.runtime.settings.reports_dir,
              RunSummary("2026-03-02 09:30:00", "2026-03-02 09:30:02", ["tests/features"], [scenario]),
              CoverageReport())
    sign_in(page, "auditor")
    page.goto("/audit/")
    page.click(".audit-nav a:has-text('步骤目录')")
    expect(page.locator("h1")).to_have_text("步骤目录")
    expect(page.locator("header")).to_contain_text("工作台")  # inside the site, its navigation kept
    expect(page.locator("header a.active")).to_have_text("审计")
    expect(page.locator("#step-catalogue")).to_contain_text("综合窗口收到“〈申请人〉”申请“〈事项名称〉”的全部材料")
    assert english_words(page.content()) == set()
    page.click(".step-toc a >> nth=1")
    page.click(".audit-nav a:has-text('场景报告')")
    page.click("#open-report")
    expect(page.locator("h1")).to_have_text("场景运行报告")
    expect(page.locator("header a.active")).to_have_text("审计")
    expect(page.locator("#scenario-report")).to_contain_text("全部通过")
    expect(page.locator(".report-feature")).to_contain_text("场景：两人核查")
    assert english_words(page.content()) == set()
