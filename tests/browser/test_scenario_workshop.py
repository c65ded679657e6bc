"""The scenario workshop in a real browser: an auditor writes a scenario from the catalogue's
completions, sees an unknown name marked on its line, saves it, runs it, sees it fail on a
deliberately wrong expectation, fixes it, sees it pass and finds it in the library; a designer's
deploy then shows the scenario failing against a changed diagram and needs a reason."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import PASSWORD
from tests.support.browser import LiveServer, serve_app
from tests.support.database import ON_POSTGRES
from tests.support.model_samples import shipped
from tests.support.workshop import PASSING

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the live server has its own SQLite database; run once")

REST = PASSING.split("\n", 5)[5]  # the steps after the first one
WRONG = REST.replace("那么办件状态为“审查中”", "那么办件状态为“已办结”")
HEAD = "# language: zh-CN\n@流程:standard_promised\n功能: 审计员的检查\n  场景: 受理后由审查股室审查\n"
FIRST = "    假如综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料\n"


@pytest.fixture(scope="module")
def workshop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("workshop"), "workshop-server") as server:
        yield server


def signed_in(browser: Any, server: LiveServer, username: str) -> Any:
    context = browser.new_context(base_url=server.url, locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    return page


def problems(page: Any) -> list[str]:
    return page.locator("#problems li").all_inner_texts()


def run_and_wait(page: Any) -> str:
    page.evaluate("document.getElementById('editor-app').dataset.runStatus = ''")
    page.click("#run-button")
    page.wait_for_function("['passed', 'failed', 'error'].includes(document.getElementById('editor-app').dataset.runStatus)")
    return page.get_attribute("#editor-app", "data-run-status")


def test_an_auditor_writes_runs_fixes_and_files_a_scenario_and_a_deploy_shows_it(browser, workshop_server):
    page = signed_in(browser, workshop_server, "auditor")
    page.goto("/audit/library")
    page.click("#new-scenario")
    page.wait_for_selector("#editor-app[data-ready=true]")
    page.fill("#scenario-name", "受理后进入审查")
    page.fill("#scenario-folder", "受理/承诺件")
    page.fill("#scenario-tags", "冒烟")

    # the first step from the catalogue's completions
    editor = page.locator("#scenario-text")
    editor.fill(HEAD)
    editor.press("End")
    page.evaluate("const t = document.getElementById('scenario-text'); t.setSelectionRange(t.value.length, t.value.length)")
    page.keyboard.type("    假如综合窗")
    page.wait_for_selector("#completions li.completion")
    offered = page.locator("#completions .completion-label").all_inner_texts()
    assert any(label.startswith("假如综合窗口收到“〈applicant〉”申请“〈item〉”") for label in offered), offered
    page.keyboard.press("Enter")
    completed = editor.input_value().splitlines()[-1]
    assert completed.startswith("    假如综合窗口") and "〈" not in completed

    # a value inside quotes: the bureau's users are offered
    editor.fill(HEAD + FIRST + "    当“reviewer_mar")
    page.evaluate("const t = document.getElementById('scenario-text'); t.setSelectionRange(t.value.length, t.value.length)")
    page.keyboard.type("k")
    page.wait_for_selector("#completions li.completion")
    assert "reviewer_market" in page.locator("#completions .completion-label").all_inner_texts()
    page.keyboard.press("Escape")

    # live checking: an unknown user is marked on its line before anything runs
    editor.fill(HEAD + FIRST + WRONG.replace("“window”", "“nobody”"))
    page.wait_for_function("document.querySelectorAll('#problems li').length > 0")
    assert any("第 6 行" in p and "未知的用户“nobody”" in p for p in problems(page)), problems(page)
    assert page.get_attribute(".gutter-line[data-line='6']", "class") == "gutter-line bad"

    # saved with the deliberately wrong expectation, run: it fails, saying what was expected and found
    editor.fill(HEAD + FIRST + WRONG)
    page.wait_for_function("document.getElementById('editor-app').dataset.checked === 'ok'")
    page.click("#save-button")
    page.wait_for_url(re.compile(r".*/audit/library/\d+$"))
    page.wait_for_selector("#editor-app[data-ready=true]")
    assert run_and_wait(page) == "failed"
    failed = page.locator("#run-results li.run-step.failed")
    assert "办件状态为“已办结”" in failed.inner_text() and "审查中" in failed.inner_text()
    page.screenshot(path="reports/scenario-editor.png", full_page=True)

    # fixed, saved as version 2, run again: it passes
    page.locator("#scenario-text").fill(HEAD + FIRST + REST)
    page.fill("#comment-input", "改正受理后的状态")
    page.click("#save-button")
    page.wait_for_selector("#workshop-status:has-text('已保存为第 2 版')")
    assert run_and_wait(page) == "passed"
    assert page.locator("#run-results li.run-step.passed").count() == 4

    # the run's own page: the case's path marked on the diagram
    page.click("#run-link")
    page.wait_for_selector("#run-app[data-status=passed]")
    page.click("#run-results button:has-text('查看路径')")
    page.wait_for_selector("#path-canvas[data-marked]")
    assert int(page.get_attribute("#path-canvas", "data-marked")) >= 3
    assert page.locator("#path-canvas .djs-element.covered").count() >= 3
    page.screenshot(path="reports/scenario-run.png", full_page=True)

    # and it is in the library, in its folder, with its tag, version and last result
    page.goto("/audit/library")
    row = page.locator("tr", has_text="受理后进入审查")
    assert "第 2 版" in row.inner_text() and "冒烟" in row.inner_text() and "通过" in row.inner_text()
    assert "受理/承诺件" in page.inner_text("body")
    page.screenshot(path="reports/scenario-workshop.png", full_page=True)
    assert page.errors == []

    # a designer renames 审查 and deploys: the auditor's scenario fails against the new version
    models = workshop_server.api.get("/api/v1/process-models", as_user="designer").get_json()["models"]
    model = next(m for m in models if m["process_id"] == "standard_promised")
    renamed = shipped("standard_promised").replace('name="审查"'.encode(), 'name="初审"'.encode(), 1)
    stored = workshop_server.api.post(f"/api/v1/process-models/{model['id']}/versions", as_user="designer",
                                      data=renamed, headers={"Content-Type": "application/xml"})
    assert stored.status_code == 201
    designer = signed_in(browser, workshop_server, "designer")
    designer.goto(f"/modeler/{model['id']}?version={stored.get_json()['version']}")
    designer.wait_for_selector("#modeler-app[data-ready=true]")
    designer.click("#deploy-button")
    assert "承诺件标准流程" in designer.inner_text("#deploy-question")  # deploying asks first, by the name
    designer.click("#deploy-confirm")
    designer.wait_for_selector("#gate-results li[data-status=failed]")
    assert "受理后由审查股室审查" in designer.inner_text("#gate-results")
    assert designer.is_visible("#gate-override")
    designer.fill("#gate-reason", "更名已经局务会同意")
    designer.click("#gate-deploy")
    designer.wait_for_selector("#status:has-text('已部署')")
    assert designer.errors == []

    page.goto("/audit/runs")
    assert "更名已经局务会同意" in page.inner_text("table.runs-table")
