"""Auditors' pages for the scenario runs: the latest report, path coverage drawn on the diagram."""
from __future__ import annotations

import json
from typing import Any

from app.scenarios.reports.report import write_run
from app.scenarios.reports.results import RunSummary, ScenarioResult, StepResult
from app.services.processes.coverage import collect, read_report
from tests.support.cases import register, work
from tests.support.english import english_words
from tests.support.pages import login

VIEWER = "/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js"


def _auditor(app: Any) -> Any:
    client = app.test_client()
    login(client, "auditor")
    return client


def _write_latest_run(ext: Any, api: Any) -> None:
    work(api, register(api), "window", "reject", "不属于本机关职权范围")
    with ext.db.session(write=False) as session:
        coverage = collect(session, ext.runtime)
    scenario = ScenarioResult("t::x", "窗口受理", "受理/x.feature", "不予受理", steps=[StepResult("当", "不予受理", "passed")],
                              status="passed")
    write_run(ext.runtime.settings.reports_dir, RunSummary("2026-03-02 09:30:00", "2026-03-02 09:30:02",
                                                           ["tests/features"], [scenario]), coverage)


def test_pages_say_there_is_no_report_yet(app):
    client = _auditor(app)
    assert "尚无场景报告" in client.get("/audit/scenarios").get_data(as_text=True)
    assert "尚无覆盖率数据" in client.get("/audit/coverage").get_data(as_text=True)
    assert client.get("/audit/reports/report.html").status_code == 404


def test_coverage_page_marks_covered_and_uncovered_paths_and_falls_back_to_tables(app, ext, api):
    _write_latest_run(ext, api)
    html = _auditor(app).get("/audit/coverage").get_data(as_text=True)
    standard = next(p for p in read_report(ext.runtime.settings.reports_dir / "coverage.json").by_process()
                    if p.process_id == "standard_promised")
    assert "承诺件标准流程" in html and standard.figure() in html and standard.figure().startswith("流转 3/")
    assert "<code>flow_to_not_accepted_end</code></td><td>不予受理</td><td class=\"yes\">已覆盖" in html
    assert "<code>flow_to_review</code></td><td>受理</td><td class=\"no\">未覆盖" in html
    assert VIEWER in html and "/audit/static/coverage.js" in html
    diagrams = [json.loads(part.split("</script>")[0]) for part in html.split('class="bpmn-coverage">')[1:]]
    data = next(d for d in diagrams if "standard_promised" in d["xml"])
    assert data["xml"].startswith("<?xml") and "flow_to_not_accepted_end" in data["covered"]
    assert "flow_to_review" in data["uncovered"] and "review_application" in data["uncovered"]
    assert "canvas.addMarker" in _auditor(app).get("/audit/static/coverage.js").get_data(as_text=True)


def test_scenarios_page_links_the_latest_report_files(app, ext, api):
    _write_latest_run(ext, api)
    client = _auditor(app)
    page = client.get("/audit/scenarios").get_data(as_text=True)
    assert "全部通过" in page and "不予受理" in page and "/audit/reports/report.html" in page
    report = client.get("/audit/reports/report.html")
    assert report.status_code == 200 and "场景运行报告" in report.get_data(as_text=True)
    for name in ("secret_key", "..%2Finstance%2Fsecret_key", "report.html.tmp"):
        assert client.get(f"/audit/reports/{name}").status_code == 404, name


def test_the_step_catalogue_is_a_chinese_page_inside_the_site(app):
    html = _auditor(app).get("/audit/steps").get_data(as_text=True)
    assert 'class="site-nav"' in html or "工作台" in html  # the site's header and navigation
    assert 'class="audit-nav"' in html and "<h1>步骤目录</h1>" in html
    assert "综合窗口收到“〈申请人〉”申请“〈事项名称〉”的全部材料" in html
    assert "办理过程记录了〈数量：整数〉条“〈动作〉”事件" in html
    assert "app.scenarios" not in html and "〈applicant〉" not in html
    assert english_words(html) == set(), english_words(html)


def test_the_scenario_report_is_a_chinese_page_inside_the_site(app, ext, api):
    client = _auditor(app)
    assert client.get("/audit/scenarios/report").status_code == 404  # no run yet
    _write_latest_run(ext, api)
    page = client.get("/audit/scenarios").get_data(as_text=True)
    assert "/audit/scenarios/report" in page and english_words(page) == set()
    html = client.get("/audit/scenarios/report").get_data(as_text=True)
    assert "工作台" in html and 'class="audit-nav"' in html and "<h1>场景运行报告</h1>" in html
    assert "功能：窗口受理" in html and "场景：不予受理" in html and "承诺件标准流程" in html
    assert "流转“受理”" in html  # an uncovered flow by its label, not its id
    assert "flow_to_review" not in html and "x.feature" not in html
    assert english_words(html) == set(), english_words(html)
