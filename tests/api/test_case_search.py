"""办件综合查询: the window finds any case by number (with or without the dash), applicant, item,
department, status, registration dates and being overdue; a department's staff only theirs;
designers none; every bad criterion is named at once; the results export to Excel."""
from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.support.cases import FOOD, FOOD_REPLACEMENT, register, work
from tests.support.pages import login, text
from tests.support.time_limits import accepted, at

HEALTH = "XK-0005"  # 公共场所卫生许可, 卫生健康局


def search(api, user="window", **params):
    response = api.get("/api/v1/cases", as_user=user, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def numbers(found):
    return [case["number"] for case in found["cases"]]


def test_found_by_number_with_or_without_dash_applicant_item_department_and_status(api):
    food = register(api, FOOD)
    health = register(api, HEALTH, applicant={"name": "李四游泳馆"})
    assert numbers(search(api, q=food["number"])) == [food["number"]]
    assert numbers(search(api, q=food["number"].replace("-", ""))) == [food["number"]]
    assert numbers(search(api, q="游泳")) == [health["number"]]
    assert numbers(search(api, q="卫生许可")) == [health["number"]]
    assert numbers(search(api, item=FOOD)) == [food["number"]]
    assert numbers(search(api, department="health")) == [health["number"]]
    assert numbers(search(api)) == [health["number"], food["number"]]  # newest first
    assert search(api, status="registered")["total"] == 2
    assert search(api, status="completed")["total"] == 0
    row = search(api, q=food["number"])["cases"][0]
    assert {"id", "number", "item_code", "applicant", "status", "registered_at", "due_date"} <= row.keys()
    assert row["applicant"] == "张三餐饮店" and row["status_label"] == "待受理"
    assert row["department_name"] == "市场监督管理局"


def test_wildcards_are_literal_and_pages_are_counted(api):
    for _ in range(3):
        register(api, FOOD)
    assert search(api, q="%")["total"] == 0
    assert search(api, q="_")["total"] == 0
    first = search(api, page_size=2)
    assert first["total"] == 3 and first["pages"] == 2 and len(first["cases"]) == 2
    assert len(search(api, page_size=2, page=2)["cases"]) == 1


def test_registration_dates_are_the_bureaus_days(api, clock):
    at(clock, "2026-03-02")
    monday = register(api, FOOD)
    at(clock, "2026-03-03", hour=23, minute=50)  # late evening in Beijing, still 3 March
    api.tokens.clear()  # a day later: sign in again
    tuesday = register(api, FOOD)
    at(clock, "2026-03-04", hour=0, minute=10)
    wednesday = register(api, FOOD)
    assert numbers(search(api, **{"from": "2026-03-03", "to": "2026-03-03"})) == [tuesday["number"]]
    assert numbers(search(api, **{"from": "2026-03-03"})) == [wednesday["number"], tuesday["number"]]
    assert numbers(search(api, to="2026-03-02")) == [monday["number"]]


def test_overdue_means_open_and_past_its_due_date(api, clock):
    at(clock, "2026-03-02")
    late = accepted(api)
    register(api, FOOD)  # registered, not accepted: no time limit yet
    assert search(api, overdue="1")["total"] == 0
    at(clock, "2026-04-30")
    api.tokens.clear()
    assert numbers(search(api, overdue="1")) == [late["number"]]
    assert search(api, overdue="0")["total"] == 2


@pytest.mark.parametrize("user, sees", [
    ("window", {"food", "health"}), ("admin", {"food", "health"}), ("auditor", {"food", "health"}),
    ("reviewer_market", {"food"}), ("leader_market", {"food"}), ("reviewer_health", {"health"}),
    ("inspector_health", {"health"}), ("reviewer_forestry", set()),
])
def test_each_role_finds_only_what_it_may_see(api, user, sees):
    made = {"food": register(api, FOOD)["number"], "health": register(api, HEALTH)["number"]}
    found = set(numbers(search(api, user=user)))
    assert found == {made[name] for name in sees}


def test_a_department_sees_a_case_it_takes_part_in(api):
    """XK-0008 is reviewed in parallel with the fire brigade: the brigade finds the case."""
    case = accepted(api, "XK-0008")
    assert case["number"] in numbers(search(api, user="reviewer_fire_rescue"))


def test_designers_read_process_data_only(api):
    register(api, FOOD)
    response = api.get("/api/v1/cases", as_user="designer")
    assert response.status_code == 403
    assert response.get_json()["code"] == "personal_data_not_for_role"
    assert api.get("/api/v1/cases/export.xlsx", as_user="designer").status_code == 403
    assert api.get("/api/v1/cases").status_code == 401


@pytest.mark.parametrize("params, code, field", [
    ({"from": "2026-13-01"}, "invalid_date", "from"),
    ({"to": "yesterday"}, "invalid_date", "to"),
    ({"from": "2026-03-05", "to": "2026-03-01"}, "invalid_period", "from"),
    ({"from": "2000-01-01", "to": "2026-01-01"}, "period_too_long", "to"),
    ({"item": "XK-9999"}, "unknown_item", "item"),
    ({"item": "<script>"}, "invalid_item", "item"),
    ({"department": "nowhere"}, "unknown_department", "department"),
    ({"status": "done"}, "invalid_status", "status"),
    ({"overdue": "maybe"}, "invalid_overdue", "overdue"),
    ({"q": "张" * 65}, "search_too_long", "q"),
])
def test_bad_criteria_are_refused_in_chinese_naming_the_field(api, params, code, field):
    response = api.get("/api/v1/cases", as_user="window", query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == code and body["details"]["field"] == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_every_bad_criterion_is_named_at_once(api):
    response = api.get("/api/v1/cases", as_user="window",
                       query_string={"from": "x", "status": "done", "department": "nowhere"})
    assert response.status_code == 400
    assert set(response.get_json()["details"]["fields"]) == {"from", "status", "department"}


def _sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E5%8A%9E%E4%BB%B6" in response.headers["Content-Disposition"]
    return list(load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True))


def test_export_holds_the_same_cases_and_never_a_formula(api):
    food = register(api, FOOD, applicant={"name": "=HYPERLINK(\"http://evil\")"})
    register(api, HEALTH)
    rows = _sheet(api.get("/api/v1/cases/export.xlsx", as_user="window", query_string={"item": FOOD}))
    assert rows[0][:4] == ("办件编号", "事项编码", "事项名称", "申请人")
    assert rows[1][0] == food["number"] and rows[1][3] == "'=HYPERLINK(\"http://evil\")"
    assert "共 1 件" in rows[-1][0] and "item=XK-0001" in rows[-1][0]
    health_only = _sheet(api.get("/api/v1/cases/export.xlsx", as_user="reviewer_health"))
    assert [row[1] for row in health_only[1:-2]] == [HEALTH]
    bad = api.get("/api/v1/cases/export.xlsx", as_user="window", query_string={"from": "x"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_date"


def test_the_search_page_shows_results_links_and_every_error_next_to_its_field(app, api):
    case = register(api, FOOD)
    client = app.test_client()
    login(client, "window")
    page = text(client.get("/cases/search?q=" + case["number"].replace("-", "")))
    assert "办件综合查询" in page and case["number"] in page and "导出 Excel" in page
    assert 'href="/cases/search"' in text(client.get("/"))  # in the site's navigation
    response = client.get("/cases/search?from=x&status=done")
    assert response.status_code == 400
    page = text(response)
    assert 'id="error-from"' in page and 'id="error-status"' in page
    assert 'value="x"' in page  # what was typed is kept
    export = client.get("/cases/search/export.xlsx?item=" + FOOD)
    assert _sheet(export)[1][0] == case["number"]


def test_designers_have_no_search_page(app):
    client = app.test_client()
    login(client, "designer")
    assert client.get("/cases/search").status_code == 403
    assert 'href="/cases/search"' not in text(client.get("/modeler/"))


def test_a_closed_case_says_whether_it_finished_in_time_never_days_left(api):
    case = register(api, FOOD_REPLACEMENT)  # 即办件: the window decides and issues at once
    case = work(api, case, "window", "approve", "当场办结")
    case = work(api, case, "window", data={"delivery": "电子送达"}, opinion="")
    assert case["status"] == "completed"
    badge = search(api, q=case["number"])["cases"][0]["deadline"]
    assert badge["tone"] == "done" and badge["label"] == "按期办结"


def test_control_characters_never_break_the_workbook(api):
    """Found by the API fuzzer: a search text with a control character made the export fail."""
    register(api, FOOD, applicant={"name": "控制\u001f字符店"})
    rows = _sheet(api.get("/api/v1/cases/export.xlsx", as_user="window", query_string={"q": "控制\u001f"}))
    assert rows[-1][0].startswith("导出日期") and "\u001f" not in rows[-1][0]
