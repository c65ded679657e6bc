"""Construction projects (工程建设项目) through the API: registration, stage by stage, progress."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from app.domain.timing.clock import BUREAU_ZONE
from tests.support.projects import (
    ENTERPRISE,
    GOVERNMENT,
    PROJECT,
    complete,
    materials_of,
    only,
    pass_survey,
    project_types,
    register,
)


def test_project_types_list_the_four_stages_with_their_limits(api):
    types = project_types(api)
    assert set(types) == {GOVERNMENT, ENTERPRISE}
    government, enterprise = types[GOVERNMENT], types[ENTERPRISE]
    assert [s["name"] for s in government["stages"]] == ["立项用地规划许可", "工程建设许可", "施工许可", "竣工验收"]
    assert [s["limit"] for s in government["stages"]] == [15, 12, 7, 5] and government["total_limit"] == 39
    assert [s["limit"] for s in enterprise["stages"]] == [5, 6, 4, 4] and enterprise["total_limit"] == 19
    first = [i["code"] for i in government["stages"][0]["items"]]
    assert "XK-0101" in first and "XK-0102" not in first
    assert "XK-0102" in [i["code"] for i in enterprise["stages"][0]["items"]]
    for stage in government["stages"][:3]:  # a large project: about eight departments per stage
        assert len({i["department"] for i in stage["items"]}) >= 7
    assert len(government["stages"][3]["acceptance"]) == 8
    assert government["stages"][0]["joint_survey"] and not government["stages"][1]["joint_survey"]


def test_registering_a_project_creates_its_stages_and_items(api):
    case = register(api)
    assert case["kind"] == "project" and case["item_code"] == GOVERNMENT
    assert case["item_name"] == "县第一中学教学楼（政府投资工程建设项目）"
    assert case["status_label"] == "待受理"
    project = case["project"]
    assert (project["name"], project["location"]) == ("县第一中学教学楼", "城南新区学府路")
    assert project["details"] == {"project_code": PROJECT["project_code"]}
    assert project["current_stage"] == 1 and project["total_limit"] == 39
    assert [(s["status"], s["items_total"]) for s in project["stages"]] == [
        ("awaiting", 10), ("not_started", 8), ("not_started", 9), ("not_started", 8)]
    assert [i["stage"] for i in case["items"]] == [1] * 10 + [2] * 8 + [3] * 9 + [4]
    (task,) = case["tasks"]
    assert (task["name"], task["role"], task["department"]) == ("阶段受理", "reviewer", "development_reform")


@pytest.mark.parametrize("change,code", [
    ({"project": {"location": "城南"}}, "project_name_required"),
    ({"project": {"name": "教学楼"}}, "project_location_required"),
    ({"project": "教学楼"}, "invalid_project"),
    ({"project": {"name": "教学楼", "location": "城南", "总投资": "1亿元"}}, "invalid_project"),
    ({"project": {"name": "教" * 101, "location": "城南"}}, "invalid_project"),
    ({"applicant": {"contact": "0910"}}, "applicant_name_required"),
    ({"materials": ["S1-M01", "M01"]}, "unknown_material"),
    ({"materials": "S1-M01"}, "invalid_materials"),
    ({"facts": {"investment": 1}}, "invalid_fact_name"),
    ({"facts": {"risk_level": "extreme"}}, "invalid_facts"),
])
def test_bad_registrations_are_refused_in_chinese_and_nothing_is_stored(api, change, code):
    refused = register(api, expect=400, **change)
    assert refused["code"] == code, refused
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused["message"])
    inbox = api.get("/api/v1/tasks?tab=department", as_user="reviewer_development_reform").get_json()
    assert inbox["total"] == 0


def test_a_stage_is_accepted_with_its_main_materials_and_its_clock_starts(api):
    case = register(api, materials=materials_of(api, GOVERNMENT, ("环境影响报告书（表）",)))
    refused = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve", expect=400)
    assert refused["code"] == "stage_main_materials_missing"
    assert refused["message"] == "“立项用地规划许可”阶段主要材料不齐，不能受理：缺少环境影响报告书（表）"
    assert refused["details"]["missing"] == ["S1-M04"]
    response = api.post(f"/api/v1/cases/{case['id']}/materials", as_user="window", json={"materials": ["S1-M04"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["project"]["stages"][0]["missing_main"] == []
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    first = case["project"]["stages"][0]
    assert (first["status"], first["started_on"], first["due_date"]) == ("running", "2026-03-02", "2026-03-23")
    assert (first["working_days_used"], first["working_days_left"], first["overdue"]) == (0, 15, False)
    assert case["time_limit"]["due_date"] == "2026-03-23" and case["department"] == "development_reform"
    # the joint survey's tasks carry the stage's deadline, and the rules decided it
    assert case["inspection"]["rule_id"] == "R2"
    assert {t["due_at"][:10] for t in case["tasks"]} == {"2026-03-23"}
    assert len(case["tasks"]) == 7


def test_each_department_decides_its_own_item_and_a_refusal_stops_the_stage(api):
    case = register(api, code=ENTERPRISE)
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    case = pass_survey(api, case)
    reviews = [t for t in case["tasks"] if t["name"] == "并联审批"]
    assert len(reviews) == 10
    # a reviewer of another department may not decide this item
    other = next(t for t in reviews if t["department"] == "water")
    response = api.post(f"/api/v1/tasks/{other['id']}/complete", as_user="reviewer_forestry",
                        json={"decision": "approve", "opinion": "同意"})
    assert response.status_code == 403
    for task in reviews:
        decision = "reject" if task["department"] == "ecology_environment" else "approve"
        case = complete(api, case, task, f"reviewer_{task['department']}", decision,
                        scope=f"范围-{task['department']}")
    items = {i["code"]: i for i in case["project"]["stages"][0]["items"]}
    assert items["XK-0106"]["result"] == "rejected" and items["XK-0105"]["result"] == "approved"
    assert items["XK-0105"]["certificate_no"] == "2026-XK-0105-Z00001"
    conclude = only(case, "阶段批复")
    assert conclude["department"] == "development_reform" and conclude["role"] == "leader"
    refused = complete(api, case, conclude, "leader_development_reform", "approve", expect=400)
    assert refused["code"] == "stage_items_not_approved" and refused["details"]["items"] == ["XK-0106"]
    case = complete(api, case, conclude, "leader_development_reform", "reject")
    assert [s["status"] for s in case["project"]["stages"]] == ["rejected", "not_started", "not_started",
                                                                "not_started"]
    case = complete(api, case, only(case, "出件"), "window", None, delivery="窗口领取")
    assert (case["status"], case["result"]) == ("completed", "partial")
    assert [s["status"] for s in case["project"]["stages"]][1:] == ["skipped"] * 3


def test_a_reviewer_of_an_uninvolved_department_cannot_see_the_project(api):
    case = register(api)
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="reviewer_development_reform").status_code == 200
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="reviewer_health").status_code == 403


def test_stage_history_reads_in_chinese(api):
    case = register(api, code=ENTERPRISE)
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    started = [e for e in case["history"] if e["action"] == "project_stage_started"]
    assert [e["description"] for e in started] == ["“立项用地规划许可”阶段受理，开始计时：时限 5 个工作日，至 2026-03-09"]
    registered = next(e for e in case["history"] if e["action"] == "case_registered")
    assert registered["after"]["project"]["name"] == "县第一中学教学楼"


def _on(api: Any, clock: Any, day: str) -> None:
    clock.set(datetime.combine(date.fromisoformat(day), time(9, 30), tzinfo=BUREAU_ZONE))
    api.tokens.clear()  # signed in again: tokens last hours, not days


def test_each_stage_counts_its_own_days_and_suspensions(api, clock):
    _on(api, clock, "2026-03-02")
    case = register(api, code=ENTERPRISE)
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    for task in [t for t in case["tasks"] if t["name"] == "联合现场核查"]:
        case = complete(api, case, task, f"inspector_{task['department']}", None, finding="合格")
    case = complete(api, case, only(case, "形成联合核查结论"), "inspector_site_survey", None, finding="限期整改")
    assert case["time_limit"]["suspended"] is True
    _on(api, clock, "2026-03-04")  # two working days of rectification: stage 1 is due two days later
    case = complete(api, case, only(case, "整改后复查"), "inspector_site_survey", None, finding="合格")
    assert case["project"]["stages"][0]["due_date"] == "2026-03-11" == case["time_limit"]["due_date"]
    for task in [t for t in case["tasks"] if t["name"] == "并联审批"]:
        case = complete(api, case, task, f"reviewer_{task['department']}", "approve")
    case = complete(api, case, only(case, "阶段批复"), "leader_development_reform", "approve")
    first = case["project"]["stages"][0]
    assert (first["working_days_used"], first["overdue"], first["status"]) == (0, False, "passed")
    assert case["time_limit"]["due_date"] is None  # between stages: no clock
    _on(api, clock, "2026-03-16")
    case = complete(api, case, only(case, "阶段受理"), "reviewer_natural_resources", "approve")
    _on(api, clock, "2026-03-17")
    case = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    second = case["project"]["stages"][1]
    assert (second["started_on"], second["due_date"], second["working_days_used"]) == ("2026-03-16", "2026-03-24", 1)
    # stage 1's suspension is not subtracted from stage 2's days
    assert (case["time_limit"]["working_days_used"], case["time_limit"]["working_days_left"]) == (1, 5)
    assert case["project"]["working_days_used"] == 1 and case["department"] == "natural_resources"


def test_progress_shows_what_a_stage_carries_and_what_the_next_one_owes(api):
    case = register(api, materials=materials_of(api, GOVERNMENT, ("节能报告", "防雷装置设计文件")))
    first, second, third, last = case["project"]["stages"]
    assert first["missing_main"] == [] and first["carried"] == ["S1-M05"] and first["owed"] == []
    assert second["carried"] == ["S2-M05"]
    assert [m["code"] for m in second["owed"]] == ["S1-M05"]
    assert [(m["code"], m["stage"]) for m in third["owed"]] == [("S1-M05", 1), ("S2-M05", 2)]
    assert [m["code"] for m in last["owed"]] == ["S1-M05", "S2-M05"]
    assert [m["received"] for m in second["materials"]] == [True, True, True, True, False, True, True]
