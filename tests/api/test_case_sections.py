"""The sections of the case and task pages: a bundle's items, the parallel review, the site
inspection and the materials owed after 容缺受理, each shown only when the case has it; on a
task page what the step needs comes first (the brief, then the sections it concerns)."""
from __future__ import annotations

from tests.support.bundles import BOOK_CAFE, register_bundle
from tests.support.cases import register, work
from tests.support.inspection import SCHOOL, to_inspection
from tests.support.pages import brief, section, sections_in, signed_in, text
from tests.support.parallel import ENTERTAINMENT, accepted, answer
from tests.support.projects import GOVERNMENT, complete, materials_of, pass_survey
from tests.support.projects import register as register_project
from tests.support.time_limits import at, returned
from tests.support.inspection_form import inspection_body

SECTION_IDS = ("section-items", "section-parallel", "section-inspection", "section-gaps", "section-links")


def test_a_plain_case_shows_none_of_the_sections(app, api):
    case = work(api, register(api, "XK-0009"), "window", "approve", "予以受理")  # no gaps, no parallel
    client, _ = signed_in(app, "reviewer_culture_tourism")
    page = text(client.get(f"/cases/{case['id']}"))
    assert not any(f'id="{name}"' in page for name in SECTION_IDS)
    task_page = text(client.get(f"/tasks/{case['tasks'][0]['id']}"))
    assert not any(f'id="{name}"' in task_page for name in SECTION_IDS) and 'id="task-brief"' not in task_page


def test_a_bundle_case_lists_its_items_with_step_result_and_certificate(app, api):
    case = work(api, register_bundle(api, BOOK_CAFE), "window", "approve", "受理")
    culture = next(t for t in case["tasks"] if t["department"] == "culture_tourism")
    for user, body in (("reviewer_culture_tourism", {"decision": "approve", "opinion": "符合"}),
                       ("leader_culture_tourism", {"decision": "approve", "opinion": "准予"}),
                       ("reviewer_culture_tourism", {"data": {"scope": "出版物零售"}})):
        culture = next(t for t in case["tasks"] if t["department"] == "culture_tourism")
        case = api.post(f"/api/v1/tasks/{culture['id']}/complete", as_user=user, json=body).get_json()["case"]
    client, _ = signed_in(app, "window")
    page = text(client.get(f"/cases/{case['id']}"))
    assert sections_in(page) == ["items"]
    items = section(page, "items")
    assert "“一件事”所含事项" in items and "共 2 项 · 已决定 1 项" in items
    book = items.split('data-item="XK-0009"', 1)[1].split("</tr>", 1)[0]
    assert "出版物零售业务经营许可" in book and "文化和旅游局" in book and "准予许可" in book
    assert "2026-XK-0009-Z00001" in book
    cafe = items.split('data-item="XK-0004"', 1)[1].split("</tr>", 1)[0]
    assert "小餐饮经营许可" in cafe and "分项审查" in cafe and "办理中" in cafe
    assert "一件事 · 2 个事项" in page
    # the current steps name the item each concerns, and so do the opinions given
    assert "市场监督管理局 · 小餐饮经营许可" in page
    opinions = page.split("<h2>办理意见</h2>", 1)[1].split('<div class="card', 1)[0]
    assert opinions.count("事项：出版物零售业务经营许可") == 3
    market = next(t for t in case["tasks"] if t["department"] == "market")
    api.post(f"/api/v1/tasks/{market['id']}/complete", as_user="reviewer_market",
             json={"decision": "approve", "opinion": "材料齐全"})
    opinions = text(client.get(f"/cases/{case['id']}")).split("<h2>办理意见</h2>", 1)[1]
    assert "各事项分别办理 · 2 项" in opinions and "并联审批" not in opinions.split('<div class="card', 1)[0]


def test_a_bundle_items_task_names_its_item_first(app, api):
    case = work(api, register_bundle(api, BOOK_CAFE), "window", "approve", "受理")
    task = next(t for t in case["tasks"] if t["department"] == "market")
    client, _ = signed_in(app, "reviewer_market")
    page = text(client.get(f"/tasks/{task['id']}"))
    assert 'id="task-item">：小餐饮经营许可' in page
    assert brief(page)[0] == ("info", "本环节办理的事项：小餐饮经营许可（市场监督管理局）")
    assert 'data-item="XK-0004" class="focus"' in page
    assert page.index('id="section-items"') < page.index("<h2>办理意见</h2>")
    inbox = text(client.get("/?tab=department"))
    row = inbox.split(case["number"], 1)[1].split("</tr>", 1)[0]
    assert "开办书店咖啡馆“一件事”" in row and "分项：小餐饮经营许可" in row


def test_parallel_review_shows_mode_counts_opinions_and_the_reasons_of_those_who_disagreed(app, api):
    case = accepted(api, ENTERTAINMENT)
    client, _ = signed_in(app, "reviewer_culture_tourism")
    page = text(client.get(f"/cases/{case['id']}"))
    waiting = section(page, "parallel")
    assert "会签" in waiting and "审查中" in waiting and "须全部部门同意" in waiting
    assert "需 <strong>2</strong> 个同意，已同意 <strong>0</strong> 个" in waiting
    assert waiting.count("待审查") == 2
    case = answer(api, case, "fire_rescue", "reject", "疏散通道宽度不足")
    case = answer(api, case, "culture_tourism", "approve", "经营场所符合要求")
    page = text(client.get(f"/cases/{case['id']}"))
    done = section(page, "parallel")
    assert "审查未通过" in done and "已同意 <strong>1</strong> 个" in done
    fire = done.split('data-department="fire_rescue"', 1)[1].split('data-department', 1)[0]
    assert 'badge rejected">不同意' in fire and "疏散通道宽度不足" in fire
    assert 'badge approved">同意' in done and "经营场所符合要求" in done
    assert "不同意的部门及理由" in done and "<strong>消防救援大队</strong>：疏散通道宽度不足" in done
    decide = text(client_for(app, "leader_culture_tourism").get(f"/tasks/{case['tasks'][0]['id']}"))
    assert ("bad", "并联审查（会签）未通过：消防救援大队不同意，不能作出准予决定") in brief(decide)
    assert decide.index('id="section-parallel"') < decide.index("<h2>办理意见</h2>")


def client_for(app, username: str):
    return signed_in(app, username)[0]


def test_inspection_shows_the_mode_its_rule_experts_findings_and_conclusion(app, api):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    client = client_for(app, "inspector_site_survey")
    task = next(t for t in case["tasks"] if t["department"] == "site_survey")
    page = text(client.get(f"/tasks/{task['id']}"))
    assert sections_in(page)[0] == "inspection"  # the inspector's step: the inspection first
    inspection = section(page, "inspection")
    assert "联合核查" in inspection and "尚无结论" in inspection and "尚无核查记录" in inspection
    assert case["inspection"]["rule_title"] in inspection and "涉及部门数为“3”" in inspection
    assert "不邀请专家" in inspection or "邀请具备资质的专家参加" in inspection
    assert "消防救援大队（联合现场核查）" in inspection and "卫生健康局（联合现场核查）" in inspection
    for department, finding in (("fire_rescue", "限期整改"), ("health", "合格"), ("site_survey", "合格")):
        task = next(t for t in case["tasks"] if t["department"] == department)
        response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=f"inspector_{department}",
                            json=inspection_body(case, task, f"inspector_{department}", finding, f"{department}意见"))
        case = response.get_json()["case"]
    case = work(api, case, "inspector_site_survey", opinion="整改后符合要求", data={"finding": "合格"})
    page = text(client_for(app, "leader_education").get(f"/cases/{case['id']}"))
    inspection = section(page, "inspection")
    assert 'id="inspection-conclusion">结论：合格' in inspection
    assert 'badge warning">限期整改' in inspection and "fire_rescue意见" in inspection
    assert "形成联合核查结论" in inspection and "整改后符合要求" in inspection
    decide = text(client_for(app, "leader_education").get(f"/tasks/{case['tasks'][0]['id']}"))
    assert ("ok", "现场核查（联合核查）结论：合格") in brief(decide)


def test_a_failed_inspection_is_flagged_as_blocking_approval(app, api):
    case = to_inspection(api, "XK-0004", "reviewer_market")
    case = work(api, case, "inspector_site_survey", opinion="无独立操作间", data={"finding": "不合格"})
    decide = text(client_for(app, "leader_market").get(f"/tasks/{case['tasks'][0]['id']}"))
    assert ("bad", "现场核查（独立核查）结论：不合格，不能作出准予决定") in brief(decide)
    assert 'class="t-bad blocks"' in decide


def test_owed_materials_show_with_their_point_and_block_the_decision_until_received(app, api):
    case = work(api, register(api, "XK-0001", materials=["M01", "M02", "M03", "M04"]), "window", "approve", "容缺受理")
    client = client_for(app, "reviewer_market")
    review = text(client.get(f"/tasks/{case['tasks'][0]['id']}"))
    gaps = section(review, "gaps")
    assert "须在作出决定前补齐" in gaps and "从业人员健康证明" in gaps and "补齐前不能作出准予决定" in gaps
    assert 'id="receive-form"' not in gaps  # only the window receives
    assert ("warn", "容缺后补：尚缺从业人员健康证明，须在作出决定前补齐") in brief(review)
    case = work(api, case, "reviewer_market", "approve", "材料审查通过")
    case = work(api, case, "inspector_site_survey", opinion="场所符合要求", data={"finding": "合格"})
    decide = text(client_for(app, "leader_market").get(f"/tasks/{case['tasks'][0]['id']}"))
    assert ("bad", "容缺材料尚未补齐：从业人员健康证明，须在作出决定前补齐，补齐前不能作出准予决定") in brief(decide)
    assert decide.index('id="section-gaps"') < decide.index("<h2>办理意见</h2>")
    assert 'id="receive-form"' in text(client_for(app, "window").get(f"/cases/{case['id']}"))
    api.post(f"/api/v1/cases/{case['id']}/materials", as_user="window", json={"materials": ["M05"]})
    decide = text(client_for(app, "leader_market").get(f"/tasks/{case['tasks'][0]['id']}"))
    assert 'id="section-gaps"' not in decide and "容缺" not in "".join(t for _, t in brief(decide))


def test_the_summary_shows_working_days_used_and_every_clock_suspension(app, api, clock):
    case = returned(api, clock)
    client = client_for(app, "reviewer_culture_tourism")
    page = text(client.get(f"/cases/{case['id']}"))
    assert "退回补正：2026-03-02 起，<span class=\"missing\">暂停中</span>" in page
    at(clock, "2026-03-05")
    api.tokens.clear()  # three days on: the API tokens have expired…
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="window",
                        json={"materials": ["M02", "M03"]})
    assert response.status_code == 200, response.get_json()
    client = client_for(app, "reviewer_culture_tourism")  # …and the page session has idled out
    page = text(client.get(f"/cases/{case['id']}"))
    assert "退回补正：2026-03-02 起，2026-03-05 恢复，顺延 3 个工作日" in page
    assert 'id="time-used">已用 0 个工作日' in page
    plain = text(client.get(f"/cases/{work(api, register(api, 'XK-0009'), 'window', 'approve')['id']}"))
    assert 'id="suspensions"' not in plain and 'id="time-used">已用 ' in plain


# A construction project's stages (``project`` of the case detail, ``app.services.reading.project_views``):
# a detail shaped like it, for what a real project shows only late (the joint acceptance, stage 4).
PROJECT = {
    "type": {"code": "GCXM-ZF", "name": "政府投资工程建设项目"}, "name": "县第一中学教学楼",
    "location": "城南新区学府路", "details": {}, "current_stage": 2, "total_limit": 39, "working_days_used": 9,
    "stages": [
        {"number": 1, "name": "立项用地规划许可", "lead": "development_reform", "lead_name": "发展和改革局",
         "limit": 15, "status": "passed", "status_label": "已通过", "outcome_label": "通过",
         "due_date": "2026-03-23", "working_days_used": 9, "working_days_left": 6, "overdue": False,
         "items": [{"code": "XK-0009", "name": "出版物零售业务经营许可", "department_name": "文化和旅游局",
                    "result": "approved", "result_label": "准予许可", "certificate_no": "证-001"}],
         "items_done": 1, "items_total": 1, "owed": [], "missing_main": []},
        {"number": 2, "name": "工程建设许可", "lead": "natural_resources", "lead_name": "自然资源局",
         "limit": 12, "status": "running", "status_label": "办理中", "outcome_label": None,
         "due_date": "2026-04-10", "working_days_used": 0, "working_days_left": 12, "overdue": False,
         "items": [{"code": "XK-0004", "name": "小餐饮经营许可", "department_name": "市场监督管理局",
                    "result": None, "result_label": None, "certificate_no": None}],
         "items_done": 0, "items_total": 1, "owed": [{"code": "S1-M05", "name": "节能报告", "stage": 1}],
         "missing_main": []},
        {"number": 4, "name": "竣工验收", "lead": "housing", "lead_name": "住房和城乡建设局", "limit": 5,
         "status": "not_started", "status_label": "未开始", "outcome_label": None, "due_date": None,
         "working_days_used": None, "working_days_left": None, "overdue": False, "items": [],
         "acceptance": [{"department": "water", "department_name": "水利局", "decision": "approve",
                         "opinion": "排水设施符合要求", "by": "reviewer_water"}],
         "items_done": 1, "items_total": 8},
    ],
}


def with_project(monkeypatch):
    from app.services.reading import case_pages

    original = case_pages.case_detail
    monkeypatch.setattr(case_pages, "case_detail", lambda *a: {**original(*a), "kind": "project", "project": PROJECT})


def test_a_projects_stages_show_with_their_clock_items_and_owed_materials(app, api, monkeypatch):
    case = work(api, register_bundle(api, BOOK_CAFE), "window", "approve", "受理")
    client = client_for(app, "window")
    assert 'id="section-project"' not in text(client.get(f"/cases/{case['id']}"))
    with_project(monkeypatch)
    page = text(client.get(f"/cases/{case['id']}"))
    assert sections_in(page) == ["project"]  # its items are listed by stage, not again on their own
    project = section(page, "project")
    assert "工程建设项目：县第一中学教学楼" in project and "总时限 39 个工作日，已用 9 个" in project
    assert '<li class="done" data-stage="1">立项用地规划许可' in project
    assert '<li class="current" data-stage="2">工程建设许可' in project
    stage2 = project.split('<details class="stage " data-stage="2" open>', 1)[1].split("</details>", 1)[0]
    assert "牵头：自然资源局 · 时限 12 个工作日，已用 0 个" in stage2 and "小餐饮经营许可" in stage2
    assert "分项审查" in stage2 and "本阶段结束前须补齐：节能报告" in stage2
    stage4 = project.split('data-stage="4"', 2)[2].split("</details>", 1)[0]
    assert "验收意见 1/8" in stage4 and "排水设施符合要求" in stage4 and 'badge approved">同意' in stage4


def test_a_project_step_brings_its_stage_and_item_first():
    from types import SimpleNamespace

    from app.services.reading.case_sections import task_brief, task_sections

    detail = {"kind": "project", "project": PROJECT, "items": [
        {"code": "XK-0004", "name": "小餐饮经营许可", "department_name": "市场监督管理局", "result": None}]}
    task = SimpleNamespace(item_code="XK-0004", project_stage=2)
    assert task_sections(detail, task, "in_review") == (["project"], [])
    notes = [(n.tone, n.text) for n in task_brief(detail, task, "in_review", None)]
    assert notes == [("info", "本环节属于第 2 阶段“工程建设许可”（牵头：自然资源局，时限 12 个工作日，剩 12 个工作日）"),
                     ("info", "本环节办理的事项：小餐饮经营许可（市场监督管理局）")]


def test_a_real_projects_stage_item_and_survey_on_the_case_task_and_inbox_pages(app, api):
    case = register_project(api, materials=materials_of(api, GOVERNMENT, ("节能报告",)))
    case = complete(api, case, case["tasks"][0], "reviewer_development_reform", "approve")
    case = pass_survey(api, case)
    client = client_for(app, "reviewer_natural_resources")
    page = text(client.get(f"/cases/{case['id']}"))
    assert sections_in(page) == ["project", "inspection"]
    assert "<h2>申请材料" not in page  # a project's materials are its stages'
    project = section(page, "project")
    assert "工程建设项目：县第一中学教学楼" in project and "政府投资工程建设项目" in project
    assert '<li class="current" data-stage="1">立项用地规划许可' in project
    first = project.split('data-stage="1" open>', 1)[1].split("</details>", 1)[0]
    assert "牵头：发展和改革局 · 时限 15 个工作日，已用 0 个" in first and "事项 0/10" in first
    row = first.split('data-item="XK-0105"', 1)[1].split("</tr>", 1)[0]
    assert "建设用地规划许可证核发" in row and "自然资源局" in row and "并联审批" in row
    assert "本阶段尚缺次要材料：节能报告" in first
    second = project.split('data-stage="2"', 2)[2].split("</details>", 1)[0]
    assert "本阶段结束前须补齐：节能报告" in second
    review = next(t for t in case["tasks"] if t["item_code"] == "XK-0105")
    task_page = text(client.get(f"/tasks/{review['id']}"))
    assert sections_in(task_page)[0] == "project"
    assert brief(task_page)[:2] == [
        ("info", "本环节属于第 1 阶段“立项用地规划许可”（牵头：发展和改革局，时限 15 个工作日，剩 15 个工作日）"),
        ("info", "本环节办理的事项：建设用地规划许可证核发（自然资源局）")]
    assert '<details class="stage focus" data-stage="1" open>' in task_page
    assert 'data-item="XK-0105" class="focus"' in task_page
    inbox = text(client.get("/?tab=department"))
    assert "第 1 阶段 · 分项：建设用地规划许可证核发" in inbox
