"""Hostile input at the edge: every request below was a 500 once and must be a clear 4xx with a
Chinese message — the API answers JSON ``{"code", "message"}``, the pages the site's error page.

Deep JSON, lone surrogates, NUL characters, integers beyond what the database column holds and
absurd page numbers are all refused before any handler or database sees them.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.api import PASSWORD
from tests.support.cases import register, work
from tests.support.pages import csrf, signed_in, text

CHINESE = re.compile(r"[\u4e00-\u9fff]")
DEEP = "[" * 1000 + "]" * 1000
SURROGATE = '"\\ud800"'  # a lone surrogate, as a JSON escape
NUL = '"a\\u0000b"'  # a NUL character, as a JSON escape


def refused(response: Any, status: int = 400) -> dict[str, Any]:
    """The API's refusal: the status, a machine code and a Chinese message."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["code"] and CHINESE.search(body["message"]), body
    return body


def refused_page(response: Any, status: int = 400) -> None:
    """The pages' refusal: the site's Chinese error page with the status."""
    assert response.status_code == status, (response.status_code, text(response)[:300])
    assert f"错误代码 {status}" in text(response) and "返回工作台" in text(response)


def post_raw(api: Any, path: str, body: str, as_user: str | None = "window") -> Any:
    return api.post(path, as_user=as_user, data=body.encode(), content_type="application/json")


@pytest.fixture
def open_case(api: Any) -> dict[str, Any]:
    """A food licence case at its review step, with the reviewer's task claimed."""
    case = work(api, register(api), "window", "approve")
    api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/claim", as_user="reviewer_market")
    return case


# --------------------------------------------------------------------------- JSON depth

def test_login_with_json_nested_a_thousand_deep_is_refused_without_logging_in(api):
    body = refused(post_raw(api, "/api/v1/auth/token", '{"username": ' + DEEP + ', "password": "x"}',
                            as_user=None))
    assert body["code"] == "json_too_deep"


def test_every_json_endpoint_refuses_deep_nesting(api, open_case):
    task_id = open_case["tasks"][0]["id"]
    for path, user in (("/api/v1/cases", "window"),
                       (f"/api/v1/cases/{open_case['id']}/materials", "window"),
                       (f"/api/v1/tasks/{task_id}/transfer", "reviewer_market"),
                       (f"/api/v1/tasks/{task_id}/complete", "reviewer_market"),
                       ("/api/v1/rules/inspection/evaluate", "designer"),
                       ("/api/v1/process-models/1/versions/1/deploy", "designer")):
        body = refused(post_raw(api, path, '{"facts": ' + DEEP + "}", as_user=user))
        assert body["code"] == "json_too_deep", path


def test_deep_json_sent_as_utf16_cannot_slip_past_the_count(api):
    body = '["\\"", "]", ' + DEEP + "]"  # read as UTF-8 bytes, the nesting would look 1 deep
    response = api.post("/api/v1/auth/token", content_type="application/json", data=body.encode("utf-16-le"))
    assert refused(response)["code"] == "invalid_json"


def test_json_nested_within_the_limit_still_reaches_the_handler(api):
    nested = "[" * 20 + "]" * 20
    response = post_raw(api, "/api/v1/auth/token", '{"username": ' + nested + ', "password": "x"}', as_user=None)
    assert refused(response)["code"] == "credentials_required"


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    response = post_raw(api, "/api/v1/auth/token",
                        '{"username": "' + "[{" * 2000 + '", "password": "x"}', as_user=None)
    assert refused(response, 401)["code"] == "bad_credentials"


# --------------------------------------------------------------------------- lone surrogates

@pytest.mark.parametrize("where, path, user, body", [
    ("用户名", "/api/v1/auth/token", None, '{"username": ' + SURROGATE + ', "password": "x"}'),
    ("申请人名称", "/api/v1/cases", "window",
     '{"item_code": "XK-0001", "applicant": {"name": ' + SURROGATE + '}, "materials": []}'),
    ("材料", "/api/v1/cases", "window",
     '{"item_code": "XK-0001", "applicant": {"name": "张三"}, "materials": [' + SURROGATE + "]}"),
    ("事实", "/api/v1/cases", "window",
     '{"item_code": "XK-0001", "applicant": {"name": "张三"}, "facts": {"note": ' + SURROGATE + "}}"),
    ("事实的键", "/api/v1/rules/inspection/evaluate", "designer", '{"facts": {' + SURROGATE + ": 1}}"),
])
def test_a_lone_surrogate_in_any_json_string_is_refused(api, where, path, user, body):
    assert refused(post_raw(api, path, body, as_user=user))["code"] == "invalid_characters", where


def test_a_lone_surrogate_in_a_transfer_reason_or_materials_brought_is_refused(api, open_case):
    task_id = open_case["tasks"][0]["id"]
    response = post_raw(api, f"/api/v1/tasks/{task_id}/transfer",
                        '{"to": "reviewer2_market", "reason": ' + SURROGATE + "}", as_user="reviewer_market")
    assert refused(response)["code"] == "invalid_characters"
    response = post_raw(api, f"/api/v1/cases/{open_case['id']}/materials", '{"materials": [' + SURROGATE + "]}")
    assert refused(response)["code"] == "invalid_characters"


def test_a_raw_lone_surrogate_encoded_in_the_body_bytes_is_refused(api):
    response = api.post("/api/v1/auth/token", content_type="application/json",
                        data=b'{"username": "\xed\xa0\x80", "password": "x"}')
    assert refused(response)["code"] == "invalid_characters"


def test_a_surrogate_pair_is_an_ordinary_character(api):
    response = post_raw(api, "/api/v1/auth/token", '{"username": "\\ud83d\\ude00", "password": "x"}', as_user=None)
    assert refused(response, 401)["code"] == "bad_credentials"


# --------------------------------------------------------------------------- NUL characters

def test_nul_in_json_strings_is_refused(api):
    response = post_raw(api, "/api/v1/auth/token", '{"username": ' + NUL + ', "password": "x"}', as_user=None)
    assert refused(response)["code"] == "invalid_characters"
    response = post_raw(api, "/api/v1/cases", '{"item_code": "XK-0001", "applicant": {"name": ' + NUL + "}}")
    assert refused(response)["code"] == "invalid_characters"


def test_nul_in_query_strings_of_the_api_is_refused(api):
    assert refused(api.get("/api/v1/tasks?q=%00", as_user="reviewer_market"))["code"] == "invalid_characters"
    for path in ("/api/v1/audit/events?actor=%00", "/api/v1/audit/events.csv?actor=%00",
                 "/api/v1/audit/events.json?actor=a%00b", "/api/v1/audit/events?case=%00"):
        assert refused(api.get(path, as_user="auditor"))["code"] == "invalid_characters", path


def test_nul_in_a_path_segment_of_the_api_is_refused(api):
    assert refused(api.post("/api/v1/tasks/%00/claim", as_user="reviewer_market"))["code"] == "invalid_characters"
    assert refused(api.get("/api/v1/cases/1/diagram?process=%00", as_user="window"))["code"] == "invalid_characters"


def test_nul_in_a_header_is_refused(api):
    response = api.post("/api/v1/cases", as_user="window", json={"item_code": "XK-0001"},
                        headers={"Idempotency-Key": "a\x00b"})
    assert refused(response)["code"] == "invalid_characters"


def test_nul_in_the_login_form_is_refused_with_the_error_page(app):
    client = app.test_client()
    token = csrf(client, "/login")
    response = client.post("/login", data={"username": "win\x00dow", "password": PASSWORD, "csrf_token": token})
    refused_page(response)
    assert "不允许的字符" in text(response)


def test_nul_in_page_query_strings_and_paths_is_refused_with_the_error_page(app):
    client, token = signed_in(app, "auditor")
    for path in ("/?q=%00", "/audit/?actor=%00", "/audit/events.csv?actor=%00", "/audit/events.json?actor=%00",
                 "/tasks/%00"):
        refused_page(client.get(path))
    refused_page(client.post("/tasks/%00/claim", data={"csrf_token": token}))


def test_nul_in_the_window_form_is_refused(app):
    client, token = signed_in(app, "window")
    response = client.post("/window", data={"csrf_token": token, "item_code": "XK-0001",
                                            "applicant_name": "张\x00三", "materials": ["M01"]})
    refused_page(response)


# --------------------------------------------------------------------------- integers

@pytest.mark.parametrize("path", [
    "/api/v1/cases/2147483648", "/api/v1/cases/9223372036854775808", "/api/v1/cases/99999999999999999999999",
    "/api/v1/cases/2147483648/diagram", "/api/v1/process-models/2147483648/versions",
    "/api/v1/process-models/1/versions/2147483648/bpmn", "/api/v1/process-models/9223372036854775808/diff?from=1&to=2",
])
def test_an_id_beyond_what_the_database_holds_cannot_exist(api, path):
    refused(api.get(path, as_user="designer" if "process-models" in path else "window"), 404)


def test_posting_to_an_id_beyond_range_is_not_found(api):
    refused(api.post("/api/v1/cases/2147483648/materials", as_user="window", json={"materials": ["M04"]}), 404)
    refused(api.post("/api/v1/process-models/1/versions/9223372036854775808/deploy", as_user="designer",
                     json={}), 404)


def test_the_largest_id_is_just_not_found(api):
    assert refused(api.get("/api/v1/cases/2147483647", as_user="window"), 404)["code"] == "case_not_found"


@pytest.mark.parametrize("query", ["from=2147483648&to=1", "from=1&to=9223372036854775808", "from=%C2%B2&to=1",
                                   "from=0&to=1", "from=&to=1"])
def test_diff_versions_beyond_range_or_not_numbers_are_refused(api, query):
    assert refused(api.get(f"/api/v1/process-models/1/diff?{query}", as_user="designer"))["code"] == "invalid_query"


@pytest.mark.parametrize("query", ["page=576460752303423489", "page=0", "page=-1", "page=abc",
                                   "page_size=576460752303423489", "page=1&page_size=0"])
def test_absurd_pages_of_the_api_are_refused(api, query):
    assert refused(api.get(f"/api/v1/tasks?{query}", as_user="reviewer_market"))["code"] == "invalid_query"
    assert refused(api.get(f"/api/v1/audit/events?{query}", as_user="auditor"))["code"] == "invalid_query"


def test_the_last_allowed_page_is_just_empty(api):
    body = api.get("/api/v1/tasks?page=100000", as_user="reviewer_market").get_json()
    assert body["items"] == [] and body["page"] == 100000


def test_absurd_pages_and_ids_of_the_pages_are_refused_with_the_error_page(app):
    client, _ = signed_in(app, "window")
    refused_page(client.get("/?page=576460752303423489"))
    refused_page(client.get("/cases/2147483648"), 404)
    refused_page(client.get("/cases/9223372036854775808/receipt"), 404)
    auditor, _ = signed_in(app, "auditor")
    response = auditor.get("/audit/?page=576460752303423489")
    assert response.status_code == 400 and CHINESE.search(text(response))
    refused_page(auditor.get("/modeler/2147483648"), 404)


@pytest.mark.parametrize("page", ["abc", "0", "100001"])
def test_a_page_number_that_is_no_page_number_gets_the_error_page(app, page):
    client, _ = signed_in(app, "reviewer_market")
    refused_page(client.get(f"/?page={page}"))
    assert client.get("/?page=100000").status_code == 200


# --------------------------------------------------------------------------- dates at the ends of the calendar

@pytest.mark.parametrize("query", ["to=9999-12-31", "from=9999-12-31", "from=0001-01-01",
                                   "from=0001-01-01&to=9999-12-31"])
def test_audit_dates_at_the_ends_of_the_calendar_are_refused(api, app, query):
    for path in ("/api/v1/audit/events", "/api/v1/audit/events.csv", "/api/v1/audit/events.json"):
        assert refused(api.get(f"{path}?{query}", as_user="auditor"))["code"] == "invalid_date"
    auditor, _ = signed_in(app, "auditor")
    for path in ("/audit/", "/audit/events.csv"):
        response = auditor.get(f"{path}?{query}")
        assert response.status_code == 400 and CHINESE.search(text(response)), (path, response.status_code)


def test_audit_dates_of_any_working_century_are_searched(api):
    body = api.get("/api/v1/audit/events?from=1900-01-01&to=2999-12-31", as_user="auditor").get_json()
    assert body["total"] > 0


# --------------------------------------------------------------------------- the applicant

def _register(api: Any, applicant: dict[str, Any], code: str = "XK-0001") -> Any:
    body: dict[str, Any] = {"applicant": applicant, "materials": []}
    if code.startswith("YJS"):
        body["bundle_code"] = code
    else:
        body["item_code"] = code
    if code.startswith("GCXM"):
        body["project"] = {"name": "县第一中学教学楼", "location": "城南新区"}
    return api.post("/api/v1/cases", as_user="window", json=body)


@pytest.mark.parametrize("code", ["XK-0001", "YJS-0001", "GCXM-QY"])
def test_an_applicant_with_made_up_fields_by_the_thousand_is_refused(api, code):
    many = {"name": "张三餐饮店", **{f"field_{i}": "x" * 200 for i in range(3000)}}
    assert refused(_register(api, many, code))["code"] == "invalid_applicant"
    odd = {"name": "张三餐饮店", "<script>alert(1)</script>": "x"}
    assert refused(_register(api, odd, code))["code"] == "invalid_applicant"


@pytest.mark.parametrize("code", ["XK-0001", "YJS-0001", "GCXM-QY"])
@pytest.mark.parametrize("name", ["\u200b", "\ufeff\u200b\u2060", "\u202e", " \u3000\u00a0", "\x07\x1b"])
def test_an_applicant_name_of_nothing_visible_is_no_name(api, code, name):
    assert refused(_register(api, {"name": name}, code))["code"] == "applicant_name_required"


def test_an_applicant_with_the_fields_the_window_knows_is_registered(api):
    applicant = {"name": "张三餐饮店😀", "id_number": "610102199001011234", "contact": "0910-1234567",
                 "address": "城南新区学府路 1 号"}
    response = _register(api, applicant)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["applicant"]["name"] == "张三餐饮店😀"
