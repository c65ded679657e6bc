"""The inbox: 预警/超期 filters, search, sort by deadline, pages, and the days-left badge."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update

from app.persistence.models import Case, TaskRecord
from app.services.clock.time_limits import due_moment
from tests.support.cases import register, work
from tests.support.pages import signed_in, text


def accepted(api, applicant: str = "张三餐饮店") -> dict:
    body_applicant = {"name": applicant}
    case = register(api, applicant=body_applicant)
    return work(api, case, "window", "approve")


def set_case(ext, case_id: int, **values) -> None:
    with ext.db.unit_of_work() as session:
        session.execute(update(Case).where(Case.id == case_id).values(**values)
                        .execution_options(synchronize_session=False))


def listing(api, user: str = "reviewer_market", **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.get(f"/api/v1/tasks?{query}", as_user=user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_warning_and_overdue_filters_follow_the_case_deadline_state(api, ext):
    normal, warned, late = accepted(api, "甲"), accepted(api, "乙"), accepted(api, "丙")
    set_case(ext, warned["id"], deadline_state="warning")
    set_case(ext, late["id"], deadline_state="overdue")
    everything = listing(api, tab="department")
    assert everything["total"] == 3
    warning = listing(api, tab="department", deadline="warning")
    assert [i["case"]["id"] for i in warning["items"]] == [warned["id"]]
    assert warning["counts"]["department"] == warning["total"] == 1
    overdue = listing(api, tab="department", deadline="overdue")
    assert [i["case"]["id"] for i in overdue["items"]] == [late["id"]]
    assert overdue["items"][0]["case"]["deadline"]["tone"] == "overdue"
    assert {i["case"]["deadline"]["tone"] for i in everything["items"]} == {"normal", "warning", "overdue"}
    assert normal["id"] in {i["case"]["id"] for i in everything["items"]}
    bad = api.get("/api/v1/tasks?deadline=soon", as_user="reviewer_market")
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_deadline_filter"


def test_days_left_badge_counts_working_days_and_marks_suspension_and_provisional(api, ext, clock):
    case = accepted(api)  # accepted Monday 2026-03-02, due 2026-03-16 (10 working days)
    badge = listing(api, tab="department")["items"][0]["case"]["deadline"]
    assert badge == {"due_date": "2026-03-16", "working_days_left": 10, "tone": "normal",
                     "label": "剩 10 个工作日", "provisional": False, "suspended": False}
    clock.set(datetime(2026, 3, 18, 2, 0, tzinfo=UTC))  # two working days after the deadline
    api.tokens.clear()  # the old token expired meanwhile
    badge = listing(api, tab="department")["items"][0]["case"]["deadline"]
    assert badge["working_days_left"] == -2 and badge["tone"] == "overdue" and badge["label"] == "超期 2 个工作日"
    set_case(ext, case["id"], clock_suspended_since=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    badge = listing(api, tab="department")["items"][0]["case"]["deadline"]
    assert badge["tone"] == "suspended" and badge["label"] == "已暂停计时" and badge["suspended"] is True
    set_case(ext, case["id"], clock_suspended_since=None, deadline_provisional=True,
             due_date=date(2026, 3, 18))
    badge = listing(api, tab="department")["items"][0]["case"]["deadline"]
    assert badge["provisional"] is True and badge["label"] == "今日到期"
    page = text(signed_in(api.http.application, "reviewer_market")[0].get("/?tab=department"))
    assert "今日到期" in page and "暂定" in page


def test_search_by_number_applicant_or_item_and_wildcards_are_literal(api):
    first, second = accepted(api, "城南超市"), accepted(api, "河畔宾馆")
    assert [i["case"]["id"] for i in listing(api, tab="department", q=first["number"])["items"]] == [first["id"]]
    assert [i["case"]["id"] for i in listing(api, tab="department", q="河畔")["items"]] == [second["id"]]
    assert listing(api, tab="department", q="食品经营")["total"] == 2
    assert listing(api, tab="department", q="%")["total"] == 0
    assert listing(api, tab="department", q="_")["total"] == 0


def test_sorted_by_deadline_then_paged(api, ext):
    cases = [accepted(api, f"申请人{n}") for n in range(5)]
    for n, case in enumerate(cases):  # the first registered is the most urgent
        set_case(ext, case["id"], due_date=date(2026, 3, 16 + n))
    with ext.db.unit_of_work() as session:
        for case in cases:
            row = session.get(Case, case["id"])
            session.execute(update(TaskRecord).where(TaskRecord.case_id == case["id"])
                            .values(due_at=due_moment(row)).execution_options(synchronize_session=False))
    urgent_first = [c["id"] for c in cases]
    first = listing(api, tab="department", page_size=2)
    second = listing(api, tab="department", page_size=2, page=2)
    third = listing(api, tab="department", page_size=2, page=3)
    ids = [i["case"]["id"] for page in (first, second, third) for i in page["items"]]
    assert ids == urgent_first and first["total"] == 5
    arrived = listing(api, tab="department", sort="arrived", page_size=5)
    assert [i["case"]["id"] for i in arrived["items"]] == [c["id"] for c in reversed(cases)]
    assert api.get("/api/v1/tasks?sort=random", as_user="reviewer_market").status_code == 400


def test_inbox_page_shows_filters_pages_and_escalation(app, api, ext):
    for n in range(3):
        accepted(api, f"申请人{n}")
    client, _ = signed_in(app, "reviewer_market")
    page = text(client.get("/?tab=department"))
    for label in ("预警", "超期", "按办理时限", "剩 10 个工作日", "共 3 条"):
        assert label in page, label
    assert "没有符合条件的部门待办" in text(client.get("/?tab=department&deadline=overdue"))
    assert client.get("/?tab=department&deadline=bogus").status_code == 400
    assert client.get("/?tab=elsewhere").status_code == 400
    assert "第 1 / 1 页" in page


def test_escalation_tasks_stand_out_in_the_leaders_inbox_and_on_their_page(app, api, ext, clock):
    case = accepted(api)
    with ext.db.unit_of_work() as session:
        session.add(TaskRecord(id="escalation-1", case_id=case["id"], element_id="escalation", name="超期督办",
                               role="leader", department="market", kind="escalation", status="ready",
                               claimed_by=None, created_at=clock.now(), due_at=None, data={}))
    listed = listing(api, "leader_market", tab="department")
    assert [(i["id"], i["kind"]) for i in listed["items"]] == [("escalation-1", "escalation")]
    client, _ = signed_in(app, "leader_market")
    assert '<span class="badge escalation">超期督办</span>' in text(client.get("/?tab=department"))
    assert '超期督办 <span class="badge escalation">超期督办</span>' in text(client.get("/tasks/escalation-1"))


def test_parallel_opinions_show_side_by_side_on_the_task_page(app, api, ext, clock):
    case = accepted(api)
    with ext.db.unit_of_work() as session:
        for n, (department, opinion) in enumerate((("market", "符合市场监管要求"), ("health", "卫生条件达标"))):
            session.add(TaskRecord(id=f"joint-{n}", case_id=case["id"], element_id="joint_review", name="联合审查",
                                   role="reviewer", department=department, kind="workflow", status="completed",
                                   claimed_by=f"reviewer_{department}", created_at=clock.now(), due_at=None,
                                   completed_at=clock.now(), completed_by=f"reviewer_{department}",
                                   decision="approve", opinion=opinion, data={}))
    client, _ = signed_in(app, "reviewer_market")
    page = text(client.get(f"/tasks/{case['tasks'][0]['id']}"))
    assert "并联审批 · 2 个部门" in page and 'class="side-by-side"' in page
    assert page.index("符合市场监管要求") < page.index("卫生条件达标")
    assert "卫生健康局 · 卫生健康审查员" in page
