"""Server-rendered pages: login, CSRF, the Chinese inbox, completing a task from its page."""
from __future__ import annotations

from tests.support.api import PASSWORD
from tests.support.cases import register, work
from tests.support.pages import claimed_review, csrf, login, signed_in, text


def test_login_rotates_session_and_inbox_shows_chinese_tabs(app):
    client = app.test_client()
    assert client.get("/").status_code == 302
    anonymous_token = csrf(client, "/login")
    login(client, "reviewer_market")
    with client.session_transaction() as session:
        assert session["csrf"] != anonymous_token and session["sid"]
    html = client.get("/").get_data(as_text=True)
    for label in ("我的待办", "部门待办", "已办", "审查人员", "市场监督管理局"):
        assert label in html


def test_bad_password_shows_error_and_post_without_csrf_is_refused(app):
    client = app.test_client()
    token = csrf(client, "/login")
    response = client.post("/login", data={"username": "window", "password": "x", "csrf_token": token})
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    assert client.post("/login", data={"username": "window", "password": PASSWORD}).status_code == 400


def test_reviewer_claims_and_completes_from_the_task_page(app, api):
    case = register(api)
    case = work(api, case, "window", "approve")
    task_id = case["tasks"][0]["id"]
    client = app.test_client()
    login(client, "reviewer_market")
    assert case["number"] in client.get("/?tab=department").get_data(as_text=True)
    token = csrf(client, f"/tasks/{task_id}")
    assert client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token}).status_code == 302
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "建议准予" in page and "办理意见" in page
    response = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "decision": "approve", "opinion": ""})
    assert response.status_code == 400  # the page again, the error next to the opinion
    assert 'id="error-opinion"' in response.get_data(as_text=True)
    assert "请填写办理意见" in response.get_data(as_text=True)
    response = client.post(f"/tasks/{task_id}/complete",
                           data={"csrf_token": token, "decision": "approve", "opinion": "经审查，符合条件"})
    assert response.status_code == 302
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    assert detail["status"] == "inspecting"
    case_page = client.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "经审查，符合条件" in case_page and "办理过程" in case_page


def test_a_form_whose_version_is_not_a_whole_number_completes_nothing(app, api):
    """The form's hidden version is the lost-update check: a value that is not a whole number
    is refused (400, the page again), never read as "no version" and completed unchecked."""
    case, client, token = claimed_review(app, api)
    task_id = case["tasks"][0]["id"]
    for version in ("1.5", "0x2", "1e3", "-1", "９", "9" * 5000):
        response = client.post(f"/tasks/{task_id}/complete", data={
            "csrf_token": token, "decision": "approve", "opinion": "经审查，符合条件", "version": version})
        assert response.status_code == 400, version
        assert "办件版本号应为整数" in response.get_data(as_text=True)
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["status"] == case["status"]
    stale = client.post(f"/tasks/{task_id}/complete", data={
        "csrf_token": token, "decision": "approve", "opinion": "经审查，符合条件", "version": str(case["version"] - 1)})
    assert stale.status_code == 409
    done = client.post(f"/tasks/{task_id}/complete", data={
        "csrf_token": token, "decision": "approve", "opinion": "经审查，符合条件", "version": f" {case['version']} "})
    assert done.status_code == 302


def test_other_department_cannot_open_the_task_page(app, api):
    case = register(api)
    case = work(api, case, "window", "approve")
    client = app.test_client()
    login(client, "reviewer_health")
    assert client.get(f"/tasks/{case['tasks'][0]['id']}").status_code == 403
    assert client.get(f"/cases/{case['id']}").status_code == 403


def test_window_registers_a_case_from_the_form(app):
    client = app.test_client()
    login(client, "window")
    token = csrf(client, "/cases/new?item_code=XK-0001")
    response = client.post("/cases/new", data={"csrf_token": token, "item_code": "XK-0001",
                                               "applicant_name": "", "materials": ["M01"]})
    assert response.status_code == 400 and "请填写申请人名称" in response.get_data(as_text=True)
    response = client.post("/cases/new", data={"csrf_token": token, "item_code": "XK-0001",
                                               "applicant_name": "城南超市", "materials": ["M01", "M02"]})
    assert response.status_code == 302
    assert "城南超市" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_pages_show_beijing_time(app, api):
    register(api)  # the test clock stands at 01:30 UTC, i.e. 09:30 in Beijing
    client = app.test_client()
    login(client, "window")
    html = client.get("/?tab=department").get_data(as_text=True)
    assert "2026-03-02 09:3" in html and "2026-03-02 01:3" not in html


def test_a_busy_database_is_a_503_page_not_a_500(app, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from app.web.pages import inbox as inbox_page

    client = app.test_client()
    login(client, "reviewer_market")

    def locked(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(inbox_page.inbox_service, "inbox", locked)
    response = client.get("/")
    assert response.status_code == 503 and "系统繁忙" in response.get_data(as_text=True)


def test_a_stale_form_says_so_in_chinese(app):
    client = app.test_client()
    login(client, "reviewer_market")
    response = client.post("/logout", data={"csrf_token": "from-an-old-page"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_the_diagram_viewer_is_served_from_node_modules(app):
    client = app.test_client()
    response = client.get("/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 200 and b"BpmnJS" in response.data[:200_000]
    assert client.get("/vendor/bpmn-js/dist/assets/bpmn-js.css").status_code == 200
    assert client.get("/vendor/bpmn-js/package.json").status_code == 404  # dist/ only
    assert client.get("/vendor/bpmn-js/dist/../package.json").status_code == 404


def test_a_form_field_the_step_does_not_declare_is_refused_and_changes_nothing(app, api, ext):
    """RELIABILITY.md 14: a field outside the step's declared fields → 400 naming it, task data unchanged."""
    from app.persistence.models import Case, TaskRecord

    case, client, token = claimed_review(app, api)
    task_id = case["tasks"][0]["id"]
    for smuggled in ({"director_signed": "true"}, {"field_director_signed": "true"}):
        response = client.post(f"/tasks/{task_id}/complete", data={
            "csrf_token": token, "decision": "approve", "opinion": "同意", **smuggled})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, smuggled
        assert "此环节不填写“director_signed”" in page, smuggled
        with ext.db.session(write=False) as session:
            task = session.get(TaskRecord, task_id)
            assert task.status == "ready" and task.data == {} and task.claimed_by == "reviewer_market"
            assert session.get(Case, case["id"]).version == case["version"]
    response = client.post(f"/tasks/{task_id}/complete", data={
        "csrf_token": token, "decision": "approve", "opinion": "同意", "version": str(case["version"])})
    assert response.status_code == 302


def test_every_problem_of_the_completion_form_is_shown_at_once_next_to_its_field(app, api):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    client, token = signed_in(app, "reviewer_market")
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    response = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "decision": "reject",
                                                                "opinion": ""})
    assert response.status_code == 400 and 'id="error-opinion"' in text(response)
    body = api.post(f"/api/v1/tasks/{task_id}/complete", as_user="reviewer_market",
                    json={"decision": "maybe", "opinion": "x" * 2001, "data": {"colour": "red"}}).get_json()
    assert set(body["details"]["fields"]) == {"decision", "opinion", "colour"}
    page = text(client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "decision": "maybe",
                                                                "opinion": "x" * 2001}))
    assert 'id="error-decision"' in page and 'id="error-opinion"' in page and "有 2 处需要修改" in page


def test_after_a_submit_the_page_says_where_the_case_went_next(app, api):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    client, token = signed_in(app, "reviewer_market")
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    response = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "decision": "approve",
                                                                "opinion": "同意"})
    page = text(client.get(response.headers["Location"]))
    assert "已办理完成，办件已转至“独立现场核查”（现场勘验股 核查人员）" in page


def test_claim_and_work_in_one_click_and_a_leader_lands_where_the_work_is(app, api):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    client, token = signed_in(app, "reviewer_market")
    inbox = text(client.get("/"))
    assert "签收并办理" in inbox and 'aria-current="page">部门待办' in inbox.replace("\n", "")[:100000] or \
        'class="active" data-tab="department"' in inbox
    response = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token, "next": f"/tasks/{task_id}"})
    assert response.headers["Location"] == f"/tasks/{task_id}"
    assert 'id="complete-form"' in text(client.get(f"/tasks/{task_id}"))
    assert 'class="active" data-tab="mine"' in text(client.get("/"))  # now it has work of its own
    assert 'href="#main"' in inbox and "跳到主要内容" in inbox
