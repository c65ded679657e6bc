"""效能统计 through the API, the page, the Excel report and the command line: hostile query
parameters get a 4xx with a Chinese message and a code; the report is a monthly report."""
from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from app.cli import main
from tests.support.cases import register
from tests.support.pages import signed_in, text
from tests.support.statistics import on, step
from tests.support.time_limits import PUBLICATION


@pytest.mark.parametrize(("query", "status", "code"), [
    ({"from": "2026-02-30"}, 400, "invalid_date"),
    ({"from": "20260301"}, 400, "invalid_date"),
    ({"from": "2026-3-1"}, 400, "invalid_date"),
    ({"to": "９９９９-01-01"}, 400, "invalid_date"),
    ({"from": "0001-01-01", "to": "9999-12-31"}, 400, "date_out_of_range"),
    ({"from": "2026-03-31", "to": "2026-03-01"}, 400, "invalid_date_range"),
    ({"from": "2000-01-01", "to": "2026-03-01"}, 400, "date_range_too_long"),
    ({"department": "nowhere"}, 400, "unknown_department"),
    ({"department": "市场监督管理局"}, 400, "invalid_query"),
    ({"item": "XK-9999"}, 400, "unknown_item"),
    ({"item": "' OR 1=1 --"}, 400, "invalid_query"),
    ({"reviewer": "x" * 65}, 400, "invalid_query"),
])
def test_hostile_query_parameters_are_refused_in_chinese(api, query, status, code):
    for path, extra in (("/api/v1/statistics", {}), ("/api/v1/statistics.xlsx", {}),
                        ("/api/v1/statistics/cases", {"figure": "received"})):
        response = api.get(path, as_user="efficiency", query_string={**query, **extra})
        body = response.get_json()
        assert response.status_code == status and body["code"] == code, (path, body)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_a_ten_year_period_is_answered(api):
    response = api.get("/api/v1/statistics", as_user="efficiency",
                       query_string={"from": "2017-01-01", "to": "2026-12-31"})
    assert response.status_code == 200 and len(response.get_json()["weekly"]) == 523


def test_without_a_token_or_with_the_wrong_role(api):
    assert api.get("/api/v1/statistics").status_code == 401
    assert api.get("/api/v1/statistics.xlsx", as_user="designer").status_code == 403


def test_the_excel_report_has_a_title_the_period_and_a_sheet_per_breakdown(api, clock):
    on(api, clock, "2026-03-02")
    step(api, register(api, PUBLICATION))
    response = api.get("/api/v1/statistics.xlsx", as_user="leader_market",
                       query_string={"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["总体", "按部门", "按事项", "按周", "工程建设项目阶段"]
    summary = book["总体"]
    assert summary["A1"].value.endswith("效能统计报表")
    assert "2026-03-01 至 2026-03-31" in summary["A2"].value and "22 个工作日" in summary["A2"].value
    rows = {r[0]: r[1] for r in summary.iter_rows(min_row=4, values_only=True)}
    assert rows["收件数"] == 1 and rows["受理数"] == 1 and rows["当前在办"] == 1
    departments = list(book["按部门"].iter_rows(min_row=3, values_only=True))
    assert departments[0][0] == "部门" and departments[1][0] == "文化和旅游局" and departments[1][1] == 1
    assert len(list(book["按周"].iter_rows(min_row=4))) == 6  # the weeks March touches


def test_the_page_draws_its_charts_from_local_echarts_and_links_every_figure(app, api, clock):
    on(api, clock, "2026-03-02")
    step(api, register(api, PUBLICATION))
    client, _ = signed_in(app, "efficiency")
    page = text(client.get("/statistics?from=2026-03-01&to=2026-03-31"))
    assert "效能统计" in page and "/vendor/echarts/dist/echarts.min.js" in page and "cdn" not in page.lower()
    assert 'data-figure="received"' in page and "figure=received" in page and "导出 Excel 报表" in page
    asset = client.get("/vendor/echarts/dist/echarts.min.js")
    assert asset.status_code == 200 and b"echarts" in asset.data[:2000]
    listed = text(client.get("/statistics/cases?figure=open&from=2026-03-01&to=2026-03-31"))
    assert "在办：1 件" in listed and "出版物零售业务经营许可" in listed
    bad = client.get("/statistics?from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 400 and "起始日期不能晚于结束日期" in text(bad)
    xlsx = client.get("/statistics.xlsx?from=2026-03-01&to=2026-03-31")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_page_is_refused_to_the_window_and_a_reviewer_sees_their_department(app):
    window, _ = signed_in(app, "window")
    assert window.get("/statistics").status_code == 403
    reviewer, _ = signed_in(app, "reviewer_market")
    assert reviewer.get("/statistics").status_code == 200
    assert reviewer.get("/statistics?department=health").status_code == 403


def test_the_command_line_prints_a_table_csv_and_json(ext, api, clock, settings, monkeypatch):
    on(api, clock, "2026-03-02")
    step(api, register(api, PUBLICATION))
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(settings.instance_dir))
    runner = CliRunner()
    table = runner.invoke(main, ["stats", "--from", "2026-03-01", "--to", "2026-03-31"])
    assert table.exit_code == 0 and "收件数" in table.output and "2026-03-01 至 2026-03-31" in table.output
    csv = runner.invoke(main, ["stats", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv",
                               "--department", "culture_tourism"])
    assert csv.exit_code == 0 and "收件数,1" in csv.output
    as_json = runner.invoke(main, ["stats", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json"])
    assert as_json.exit_code == 0 and '"received": 1' in as_json.output
    bad = runner.invoke(main, ["stats", "--from", "2026-03-31", "--to", "2026-03-01"])
    assert bad.exit_code == 1 and "起始日期不能晚于结束日期" in bad.output
    rebuilt = runner.invoke(main, ["stats", "rebuild", "--from", "2026-03-01", "--to", "2026-03-31"])
    assert rebuilt.exit_code == 0 and "1 行" in rebuilt.output
