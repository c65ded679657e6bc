"""效能统计: every figure on hand-made cases with a fixed clock, checked against values counted by
hand on the 2026 calendar (Spring Festival with its 调休 Saturdays, New Year across the year
boundary), with suspensions not counted."""
from __future__ import annotations

from sqlalchemy import select

from app.persistence.tables.figures import DailyDuration, DailyFigure, MonthlyDuration, MonthlyFigure
from app.services.statistics.rollup import COUNTERS, rebuild
from tests.support.cases import register
from tests.support.races import race
from tests.support.statistics import finish, on, statistics, step
from tests.support.time_limits import NOTICE, PUBLICATION

CULTURE = "culture_tourism"


def accept(api, item=PUBLICATION, **extra):
    return step(api, register(api, item, **extra))


def test_march_figures_with_a_return_for_supplement_and_an_overdue_case(api, ext, clock):
    # A: accepted Mon 03-02 (due 03-11, 7 working days), returned the same day, back Thu 03-05
    # (3 working days stood still: due 03-16), completed Fri 03-13: 9 working days after
    # acceptance less 3 = 6 used, limit 7, on time; returned once, so not one visit.
    on(api, clock, "2026-03-02")
    a = accept(api)
    a = _return(api, a)
    on(api, clock, "2026-03-05")
    a = _resubmit(api, a)
    on(api, clock, "2026-03-13")
    a = finish(api, a, delivery="邮寄送达")
    assert a["status"] == "completed" and a["result"] == "approved"
    # B: accepted 03-02, due 03-11, completed Thu 03-12: 8 working days used, limit 7, overdue;
    # sent by post, never returned: at most one visit.
    on(api, clock, "2026-03-02", 10)
    b = accept(api)
    on(api, clock, "2026-03-12")
    b = finish(api, b, delivery="邮寄送达", decision="reject")
    assert b["result"] == "rejected"
    # C: not accepted (不予受理) on 03-03
    on(api, clock, "2026-03-03")
    c = register(api, PUBLICATION)
    c = step(api, c, decision="reject")
    assert c["status"] == "not_accepted"
    # D: accepted 03-03, due 03-12, still open on 03-20: overdue now
    d = accept(api)
    # E: an immediate item (即办件) decided and issued at the window on 03-04: one visit
    on(api, clock, "2026-03-04")
    e = finish(api, register(api, "XK-0002"))
    assert e["status"] == "completed"
    on(api, clock, "2026-03-20")

    figures = statistics(api, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert figures["received"] == 5
    assert figures["accepted"] == 4  # A, B, D and the immediate E (its clock starts at registration)
    assert figures["returned"] == 1
    assert figures["completed"] == 3 and figures["granted"] == 2 and figures["refused"] == 1
    assert figures["not_accepted"] == 1
    assert figures["timed"] == 3 and figures["on_time"] == 2 and figures["overdue_completed"] == 1
    assert figures["on_time_rate"] == round(2 / 3, 4)
    assert figures["avg_working_days"] == round((6 + 8 + 0) / 3, 2)
    assert figures["avg_promised_limit"] == round((7 + 7 + 0) / 3, 2)
    assert figures["p90_working_days"] == 8
    assert figures["open"] == 1 and figures["overdue_open"] == 1
    assert figures["one_visit"] == 2 and figures["one_visit_rate"] == round(2 / 3, 4)
    assert figures["immediate_received"] == 1 and figures["immediate_share"] == 0.2
    assert figures["online_share"] == 0.0 and figures["satisfaction"] is None
    culture = next(r for r in figures["by_department"] if r["department"] == CULTURE)
    assert (culture["received"], culture["completed"], culture["open"], culture["overdue_open"]) == (4, 2, 1, 1)
    assert culture["on_time_rate"] == 0.5 and culture["avg_working_days"] == 7.0
    weeks = {w["week_start"]: w for w in figures["weekly"]}
    assert weeks["2026-03-02"]["received"] == 5 and weeks["2026-03-09"]["completed"] == 2
    assert weeks["2026-03-09"]["on_time_rate"] == 0.5 and weeks["2026-03-30"]["received"] == 0

    # the roll-ups kept in each transaction equal those computed again from the facts
    with ext.db.unit_of_work() as session:
        kept = _rows(session)
        from datetime import date
        rebuild(session, ext.runtime.calendar, date(2026, 3, 1), date(2026, 3, 31))
        assert _rows(session) == kept


def test_spring_festival_and_its_adjusted_saturdays(api, clock):
    # accepted Thu 02-12: 02-13, the 调休 Saturday 02-14, then the holiday to 02-23; completed
    # Fri 02-27: 13, 14, 24, 25, 26, 27 = 6 working days; due 02-28 (the other 调休 Saturday)
    on(api, clock, "2026-02-12")
    case = accept(api)
    assert case["time_limit"]["due_date"] == "2026-02-28"
    on(api, clock, "2026-02-27")
    finish(api, case)
    figures = statistics(api, **{"from": "2026-02-01", "to": "2026-02-28"})
    assert figures["avg_working_days"] == 6.0 and figures["avg_promised_limit"] == 7.0
    assert figures["on_time_rate"] == 1.0


def test_a_period_of_whole_and_partial_months_reads_both_roll_ups(api, clock):
    on(api, clock, "2026-02-12")
    february = accept(api)
    on(api, clock, "2026-02-27")
    finish(api, february)  # 6 working days (see the Spring Festival test)
    on(api, clock, "2026-03-02")
    march = accept(api)
    on(api, clock, "2026-03-13")
    finish(api, march)  # 9 working days
    on(api, clock, "2026-04-01")
    accept(api)
    for params, expected in ((("2026-02-10", "2026-04-01"), (3, 2, 7.5)),   # days, March whole, days
                             (("2026-02-01", "2026-03-31"), (2, 2, 7.5)),   # two whole months
                             (("2026-02-13", "2026-03-12"), (1, 1, 6.0)),   # days only
                             (("2026-03-01", "2026-04-30"), (2, 1, 9.0))):  # March whole, April whole
        figures = statistics(api, **{"from": params[0], "to": params[1]})
        assert (figures["received"], figures["completed"], figures["avg_working_days"]) == expected, params
    assert statistics(api, **{"from": "2026-02-10", "to": "2026-04-01"})["p90_working_days"] == 9


def test_a_case_across_the_year_boundary_counts_new_year_off_and_its_sunday_worked(api, clock):
    # accepted Wed 2025-12-31 … 01-01..03 off, Sunday 01-04 worked; completed Tue 01-06:
    # 01-04, 01-05, 01-06 = 3 working days; counted in January (the day it concluded)
    on(api, clock, "2025-12-31")
    case = accept(api)
    on(api, clock, "2026-01-06")
    finish(api, case)
    december = statistics(api, **{"from": "2025-12-01", "to": "2025-12-31"})
    january = statistics(api, **{"from": "2026-01-01", "to": "2026-01-31"})
    assert december["received"] == 1 and december["completed"] == 0
    assert january["received"] == 0 and january["completed"] == 1 and january["avg_working_days"] == 3.0
    across = statistics(api, **{"from": "2025-12-01", "to": "2026-01-31"})
    assert [w["week_start"] for w in across["weekly"]][:1] == ["2025-12-01"]
    assert across["received"] == 1 and across["completed"] == 1


def test_department_users_see_their_department_only(api, clock):
    on(api, clock, "2026-03-02")
    accept(api)
    mine = statistics(api, "reviewer_culture_tourism")
    assert mine["period"]["department"] == CULTURE and mine["received"] == 1
    other = statistics(api, "reviewer_market")
    assert other["received"] == 0 and all(r["department"] == "market" for r in other["by_department"])
    refused = api.get("/api/v1/statistics?department=culture_tourism", as_user="reviewer_market")
    assert refused.status_code == 403 and refused.get_json()["code"] == "department_not_yours"
    for user in ("window", "designer"):
        response = api.get("/api/v1/statistics", as_user=user)
        assert response.status_code == 403 and response.get_json()["code"] == "statistics_not_for_role"
    for user in ("leader_market", "efficiency", "auditor", "admin"):
        assert statistics(api, user)["received"] == 1


def test_every_figure_links_to_the_cases_behind_it(api, clock):
    on(api, clock, "2026-03-02")
    kept = accept(api)
    on(api, clock, "2026-03-03")
    finish(api, accept(api), delivery="电子送达")
    params = {"from": "2026-03-01", "to": "2026-03-31"}
    def listed(figure):
        response = api.get("/api/v1/statistics/cases", as_user="efficiency", query_string={**params, "figure": figure})
        assert response.status_code == 200, response.get_json()
        return [c["number"] for c in response.get_json()["items"]]
    assert len(listed("received")) == 2 and listed("open") == [kept["number"]]
    assert len(listed("completed")) == 1 == len(listed("on_time")) == len(listed("one_visit"))
    assert listed("overdue_completed") == []
    bad = api.get("/api/v1/statistics/cases", as_user="efficiency", query_string={**params, "figure": "nope"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "unknown_figure"


def _return(api, case):
    task = case["tasks"][0]
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user="reviewer_culture_tourism",
                        json={"decision": "return", "opinion": "材料需补正", "notice": NOTICE})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]


def _resubmit(api, case):
    task = case["tasks"][0]
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user="window", json={"materials": ["M02", "M03"]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]


def _rows(session):
    """Every non-empty roll-up row, daily and monthly, with its durations."""
    daily = [("day", r.day, r.department, r.item_code, tuple(getattr(r, n) for n in COUNTERS))
             for r in session.scalars(select(DailyFigure)) if any(getattr(r, n) for n in COUNTERS)]
    monthly = [("month", r.month, r.department, r.item_code, tuple(getattr(r, n) for n in COUNTERS))
               for r in session.scalars(select(MonthlyFigure)) if any(getattr(r, n) for n in COUNTERS)]
    durations = [("d", r.day, r.department, r.item_code, (r.days, r.cases)) for r in session.scalars(select(DailyDuration))]
    durations += [("m", r.month, r.department, r.item_code, (r.days, r.cases))
                  for r in session.scalars(select(MonthlyDuration))]
    return sorted(daily + monthly + durations)


def test_registrations_at_the_same_instant_are_all_counted(api, ext, clock):
    # each registration computes its day's row again; the row is locked first, so none is lost
    on(api, clock, "2026-03-02")
    body = {"item_code": PUBLICATION, "applicant": {"name": "并发申请人"}, "materials": ["M01", "M02", "M03"]}
    answers = race(api, [("window", "/api/v1/cases", body)] * 6)
    assert [a.status for a in answers] == [201] * 6, [a.body for a in answers]
    figures = statistics(api, **{"from": "2026-03-02", "to": "2026-03-02"})
    assert figures["received"] == 6
    with ext.db.unit_of_work() as session:
        kept = _rows(session)
        from datetime import date
        rebuild(session, ext.runtime.calendar, date(2026, 3, 2), date(2026, 3, 2))
        assert _rows(session) == kept
