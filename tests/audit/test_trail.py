"""Searching and exporting the audit trail: API, pages, CSV for Excel, JSON that re-verifies."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from typing import Any

from app.persistence.audit.chain import GENESIS, event_hash
from app.persistence.audit.queries import EventFilter, iter_events
from tests.support.cases import register, work
from tests.support.pages import login, text

CSV_HEADERS = ["事件编号", "时间（北京时间）", "操作人", "操作人账号", "动作", "动作代码", "办件编号", "环节或元素",
               "变更内容", "变更前（原始数据）", "变更后（原始数据）", "前一事件哈希", "本事件哈希", "请求编号"]


def _events(api: Any, **params: Any) -> dict[str, Any]:
    response = api.get("/api/v1/audit/events", as_user="auditor", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _two_cases(api: Any, clock: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    first = work(api, register(api), "window", "approve", "材料齐全")  # Monday 2026-03-02
    clock.advance(days=1)
    api.tokens.clear()  # yesterday's tokens have expired
    second = register(api, "XK-0002")  # Tuesday 2026-03-03
    return first, second


def test_search_by_case_actor_action_and_dates(api, clock):
    first, second = _two_cases(api, clock)
    by_case = _events(api, case=first["number"])
    assert [e["action"] for e in by_case["items"]] == ["task_completed", "case_registered"]
    assert all(e["case_number"] == first["number"] for e in by_case["items"])
    completed = by_case["items"][0]
    assert completed["actor"] == "window" and completed["element_id"] == "accept_application"
    assert completed["before"]["status"] == "registered" and completed["after"]["status"] == "in_review"
    assert completed["action_label"] == "办理完成"

    assert _events(api, actor="window", action="case_registered")["total"] == 2
    assert {e["action"] for e in _events(api, action="login")["items"]} == {"login"}
    assert _events(api, **{"from": "2026-03-03", "to": "2026-03-03", "action": "case_registered"})["items"][0][
        "case_number"] == second["number"]
    assert _events(api, **{"from": "2026-03-02", "to": "2026-03-02", "action": "case_registered"})["items"][0][
        "case_number"] == first["number"]
    assert _events(api, case="2026-999999")["total"] == 0


def test_search_pages_through_results_newest_first(api, clock):
    _two_cases(api, clock)
    everything = _events(api, page_size=200)
    first_page = _events(api, page_size=3)
    second_page = _events(api, page_size=3, page=2)
    assert first_page["total"] == everything["total"] and first_page["pages"] == -(-everything["total"] // 3)
    ids = [e["id"] for e in first_page["items"] + second_page["items"]]
    assert ids == [e["id"] for e in everything["items"]][:6] and ids == sorted(ids, reverse=True)


def test_bad_criteria_are_400_in_chinese_and_others_may_not_search(api):
    for params, code in (({"from": "2026-13-01"}, "invalid_date"), ({"page": "0"}, "invalid_query"),
                         ({"page_size": "500"}, "invalid_query"),
                         ({"from": "2026-03-05", "to": "2026-03-01"}, "invalid_date_range")):
        response = api.get("/api/v1/audit/events", as_user="auditor", query_string=params)
        assert response.status_code == 400 and response.get_json()["code"] == code, params
    assert "YYYY-MM-DD" in api.get("/api/v1/audit/events?from=x", as_user="auditor").get_json()["message"]
    assert api.get("/api/v1/audit/events").status_code == 401
    for user in ("window", "reviewer_market", "designer"):
        assert api.get("/api/v1/audit/events", as_user=user).status_code == 403
        assert api.get("/api/v1/audit/events.csv", as_user=user).status_code == 403
    assert api.get("/api/v1/audit/events", as_user="admin").status_code == 200


def test_csv_export_opens_in_excel_with_chinese_headers(api, clock):
    first, _ = _two_cases(api, clock)
    response = api.get("/api/v1/audit/events.csv", as_user="auditor", query_string={"case": first["number"]})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads the Chinese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADERS
    assert [r[5] for r in rows[1:]] == ["case_registered", "task_completed"]  # chain order
    registered = rows[1]
    assert registered[1] == "2026-03-02 09:30:04" or registered[1].startswith("2026-03-02 09:3")
    assert registered[2] == "王窗口" and registered[3] == "window"
    assert registered[4] == "登记办件" and registered[6] == first["number"]
    assert "申请人：— → 张三餐饮店" in registered[8].splitlines()
    assert json.loads(registered[10])["applicant"] == "张三餐饮店"
    assert "\\u" not in raw.decode("utf-8-sig")  # no escapes anywhere


def test_json_export_streams_every_event_and_re_verifies_outside_the_system(api, clock):
    _two_cases(api, clock)
    response = api.get("/api/v1/audit/events.json", as_user="auditor")
    assert response.status_code == 200 and response.is_streamed
    events = json.loads(response.get_data(as_text=True))
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    previous = GENESIS
    for e in events:  # what an outside verifier does with the export alone
        assert e["prev_hash"] == previous
        payload = {"prev": e["prev_hash"], "at": e["occurred_at"], "actor": e["actor"], "action": e["action"],
                   "case": e["case_id"], "element": e["element_id"], "before": e["before"], "after": e["after"]}
        if e["request_id"] is not None:  # the request that wrote it, hashed when present
            payload["request"] = e["request_id"]
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True,
                                           separators=(",", ":")).encode()).hexdigest()
        assert digest == e["hash"]
        previous = e["hash"]


def test_export_reads_in_batches_up_to_the_event_that_was_last_when_it_began(api, clock, ext):
    _two_cases(api, clock)
    with ext.db.session(write=False) as session:
        rows = iter_events(session, EventFilter(action="case_registered"), batch=1)
        first = next(rows)[0].id  # the export has begun …
        register(api)  # … and a case is registered meanwhile (committed by another session)
        rest = [event.id for event, _ in rows]
    assert len([first, *rest]) == 2


def test_event_hash_matches_the_exported_time_format():
    from datetime import UTC, datetime

    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC) + timedelta(microseconds=5)
    assert event_hash(GENESIS, at, "a", "b", None, None, {}, {}) == event_hash(
        GENESIS, datetime.fromisoformat(at.isoformat(timespec="microseconds")), "a", "b", None, None, {}, {})


def test_auditor_pages_search_export_verify_and_link_from_the_menu(app, api, clock):
    first, _ = _two_cases(api, clock)
    client = app.test_client()
    login(client, "auditor")
    assert 'href="/audit/"' in client.get("/").get_data(as_text=True)  # the 审计 menu entry
    html = client.get("/audit/", query_string={"case": first["number"]}).get_data(as_text=True)
    assert "审计轨迹" in html and "共 2 条" in html and "登记办件" in html and first["number"] in html
    assert "/audit/events.csv?case=" in html
    bad = client.get("/audit/?from=2026-99-01")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    csv_export = client.get("/audit/events.csv", query_string={"actor": "window"})
    assert csv_export.status_code == 200 and csv_export.get_data().startswith(b"\xef\xbb\xbf")
    assert "审计链完整" in client.get("/audit/verify").get_data(as_text=True)

    reviewer = app.test_client()
    login(reviewer, "reviewer_market")
    assert 'href="/audit/"' not in reviewer.get("/").get_data(as_text=True)
    for path in ("/audit/", "/audit/events.csv", "/audit/verify", "/audit/coverage", "/audit/scenarios"):
        assert reviewer.get(path).status_code == 403, path
    assert app.test_client().get("/audit/").status_code == 302  # not signed in: to the login page


def test_the_trail_names_people_and_reads_as_a_chinese_list_of_changes(app, api, clock):
    first, _ = _two_cases(api, clock)
    completed = _events(api, case=first["number"], action="task_completed")["items"][0]
    assert completed["actor_name"] == "王窗口"
    changes = {c["field"]: (c["before"], c["after"]) for c in completed["changes"]}
    assert changes["办件状态"] == ("待受理", "审查中") and changes["意见"] == ("", "材料齐全")
    assert changes["决定"][1] == "同意"
    # a person's name finds their events, as their username does
    assert _events(api, actor="王窗口", action="case_registered")["total"] == 2
    assert _events(api, actor="没有这个人")["total"] == 0
    raw = api.get("/api/v1/audit/events", as_user="auditor").get_data()
    assert b"\\u" not in raw  # Chinese as it is in the JSON
    client = app.test_client()
    login(client, "auditor")
    page = text(client.get("/audit/?case=" + first["number"]))
    assert "王窗口" in page and "<dt>办件状态</dt>" in page and "审查中" in page and "查看原始数据" in page
    assert "\\u" not in page and "&#34;status&#34;: &#34;in_review&#34;" in page  # raw JSON on demand
