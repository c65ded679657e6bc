"""Never lose typed work: a form posted after the session ran out changes nothing and leads to the
login page, and after signing in back to the form (whose script puts back what was typed); a
script's call is told the same in JSON; the page warns before the session idles out."""
from __future__ import annotations

from sqlalchemy import update

from app.persistence.models import TaskRecord, WebSession
from tests.support.api import PASSWORD
from tests.support.cases import register, work
from tests.support.pages import claimed_review, login, text


def _claimed_review(app, api):
    case, client, token = claimed_review(app, api)
    return client, token, case["tasks"][0]["id"]


def _sessions_run_out(ext):
    with ext.db.unit_of_work() as session:
        session.execute(update(WebSession).values(ended_at=WebSession.created_at, end_reason="idle"))


def test_a_post_after_the_session_ran_out_goes_to_login_and_back_to_the_form(app, api, ext):
    client, token, task_id = _claimed_review(app, api)
    _sessions_run_out(ext)
    response = client.post(f"/tasks/{task_id}/complete", data={
        "csrf_token": token, "decision": "approve", "opinion": "经审查，材料齐全，同意",
        "form_page": f"/tasks/{task_id}"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/login?next=/tasks/{task_id}?draft%3Drestore"
    with ext.db.session(write=False) as session:
        assert session.get(TaskRecord, task_id).status == "ready"  # nothing was done
    login_page = text(client.get(response.headers["Location"]))
    assert "登录已过期" in login_page and "已填写的内容会自动恢复" in login_page
    fresh = client.post("/login", data={"username": "reviewer_market", "password": PASSWORD,
                                         "csrf_token": token, "next": f"/tasks/{task_id}?draft=restore"})
    assert fresh.status_code == 302 and fresh.headers["Location"] == f"/tasks/{task_id}?draft=restore"
    page = text(client.get(fresh.headers["Location"]))
    assert "drafts.js" in page and 'id="complete-form"' in page


def test_without_the_forms_page_the_referer_leads_back_and_never_off_site(app, api, ext):
    client, token, task_id = _claimed_review(app, api)
    _sessions_run_out(ext)
    back = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "opinion": "x"},
                       headers={"Referer": f"http://localhost/tasks/{task_id}"})
    assert back.headers["Location"] == f"/login?next=/tasks/{task_id}?draft%3Drestore"
    away = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "form_page": "//evil.example/x"},
                       headers={"Referer": "https://evil.example/phish"})
    assert away.headers["Location"] == "/login?next=/?draft%3Drestore"


def test_a_cookie_that_expired_altogether_is_no_dead_end_either(app, api):
    case = work(api, register(api), "window", "approve")
    stranger = app.test_client()  # no cookie at all: neither session nor CSRF token
    response = stranger.post(f"/tasks/{case['tasks'][0]['id']}/complete", data={"opinion": "同意"},
                             headers={"Referer": f"http://localhost/tasks/{case['tasks'][0]['id']}"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=/tasks/")


def test_a_scripts_call_after_the_session_ran_out_gets_401_json(app, api, ext):
    client, token, task_id = _claimed_review(app, api)
    _sessions_run_out(ext)
    response = client.post(f"/tasks/{task_id}/release", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "session_expired" and b"\\u" not in response.data


def test_public_forms_still_need_their_token(app):
    client = app.test_client()
    assert client.post("/progress", data={"number": "2026-000001", "code": "ABCDEF"}).status_code == 400
    assert client.post("/login", data={"username": "window", "password": PASSWORD}).status_code == 400


def test_pages_carry_the_idle_limit_and_keep_alive_refreshes_the_session(app, ext):
    client = app.test_client()
    token = login(client, "window")
    page = text(client.get("/"))
    assert f'data-idle-seconds="{ext.runtime.settings.session_idle_minutes * 60}"' in page
    assert client.post("/account/keep-alive", headers={"X-CSRF-Token": token}).status_code == 204
    assert client.post("/account/keep-alive").status_code == 400  # no token: refused as forged
