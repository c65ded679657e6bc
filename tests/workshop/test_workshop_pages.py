"""The workshop's pages: the library with folders and tags, the editor, a run with its steps and
path, the step catalogue; the coverage and report pages after a run of the whole library."""
from __future__ import annotations

from tests.support.pages import signed_in, text
from tests.support.workshop import FAILING, PASSING, run, save


def test_the_library_shows_folders_tags_versions_and_last_results(app, api):
    first = save(api, "受理后进入审查", PASSING, folder="受理/承诺件", tags="冒烟")
    run(api, {"scenario_ids": [first["id"]]})
    client, _ = signed_in(app, "auditor")
    page = text(client.get("/audit/library"))
    assert "受理/承诺件" in page and "受理后进入审查" in page and "冒烟" in page and "第 1 版" in page
    assert 'class="badge passed"' in page and "新建场景" in page
    assert "冒烟" in text(client.get("/audit/library?tag=冒烟")) and "运行标签“冒烟”的场景" in text(client.get("/audit/library?tag=冒烟"))


def test_the_editor_opens_a_scenario_its_versions_and_an_older_version_read_only(app, api):
    first = save(api, "受理后进入审查", PASSING)
    api.post(f"/api/v1/scenarios/{first['id']}/versions", as_user="auditor",
             json={"text": FAILING, "base_version": 1, "comment": "改错"})
    client, _ = signed_in(app, "auditor")
    page = text(client.get(f"/audit/library/{first['id']}"))
    assert "已办结" in page and "第 2 版" in page and "改错" in page and 'data-read-only="false"' in page
    older = text(client.get(f"/audit/library/{first['id']}?version=1"))
    assert "审查中" in older and 'data-read-only="true"' in older and "查看第 1 版" in older
    new = text(client.get("/audit/library/new"))
    assert "# language: zh-CN" in new and "保存到场景库" in new and "模型“承诺件标准流程”第 1 版（草稿）" in new


def test_the_run_page_lists_each_step_the_diagrams_and_the_downloads(app, api):
    result = run(api, {"text": FAILING})
    client, _ = signed_in(app, "auditor")
    page = text(client.get(f"/audit/runs/{result['id']}"))
    assert "场景运行 #" in page and "有场景未通过" in page and "下载 JUnit XML" in page
    assert "standard_promised" in page and "definitions" in page  # the diagram its case went through
    assert client.get(f"/audit/workshop/api/scenario-runs/{result['id']}/report.html").status_code == 200
    assert f"#{result['id']}" in text(client.get("/audit/runs"))
    designer, _ = signed_in(app, "designer")
    assert designer.get(f"/audit/runs/{result['id']}").status_code == 200


def test_the_step_catalogue_page_is_always_there(app):
    client, _ = signed_in(app, "auditor")
    response = client.get("/audit/steps")
    assert response.status_code == 200 and "步骤目录" in text(response) and "综合窗口收到" in text(response)


def test_coverage_and_report_pages_show_the_latest_run_of_the_whole_library(app, api):
    save(api, "受理后进入审查", PASSING)
    result = run(api, {"all": True})
    client, _ = signed_in(app, "auditor")
    coverage = text(client.get("/audit/coverage"))
    assert f"#{result['id']}" in coverage and "承诺件标准流程" in coverage and "未覆盖" in coverage
    report = text(client.get("/audit/scenarios"))
    assert "全部通过" in report and f"#{result['id']}" in report


def test_people_outside_audit_and_design_do_not_see_the_workshop(app):
    for user in ("window", "reviewer_market"):
        client, _ = signed_in(app, user)
        for path in ("/audit/library", "/audit/runs", "/audit/steps", "/audit/library/new"):
            assert client.get(path).status_code == 403, (user, path)
    designer, _ = signed_in(app, "designer")
    assert designer.get("/audit/library").status_code == 200
    assert designer.get("/audit/library/new").status_code == 403
