"""The auditors' scenario workshop through its API: write, check, save, run in a sandbox, read the
results and reports. Runs execute in the request's thread after its commit (the inline queue)."""
from __future__ import annotations

from xml.etree import ElementTree

from tests.support.workshop import FAILING, PASSING, WORKSHOP_TABLES, counts, failed_step, run, save


def check(api, text, as_user="auditor"):
    response = api.post("/api/v1/scenarios/check", as_user=as_user, json={"text": text})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_correct_scenario_checks_clean(api):
    answer = check(api, PASSING)
    assert answer["ok"] and answer["problems"] == []
    assert answer["scenarios"] == [{"name": "受理后由审查股室审查", "line": 4, "steps": 4, "example": {}}]


def test_each_problem_is_marked_on_its_line_in_chinese(api):
    text = PASSING.replace("“window”在", "“nobody”在").replace("“食品经营许可”", "“不存在的许可”") \
        .replace("而且当前待办环节为“审查”", "而且当前待办环节为“复核”") + \
        "    当“leader_market”在“决定”环节作出“大概准予”决定，意见为“同意”\n    那么天气晴朗\n"
    answer = check(api, text)
    assert not answer["ok"]
    by_line = {p["line"]: p for p in answer["problems"]}
    assert "未知的事项“不存在的许可”" in by_line[5]["message"]
    assert "未知的用户“nobody”" in by_line[6]["message"]
    assert "未知的环节“复核”" in by_line[8]["message"]
    assert "未知的决定“大概准予”" in by_line[9]["message"]
    assert by_line[10]["code"] == "step_unknown" and "步骤目录中没有这句" in by_line[10]["message"]
    assert all(p["message"].startswith(f"第 {p['line']} 行") for p in answer["problems"])


def test_a_sentence_under_the_wrong_keyword_says_which_keyword_it_needs(api):
    answer = check(api, PASSING.replace("那么办件状态为", "当办件状态为"))
    assert answer["problems"][0]["code"] == "step_wrong_keyword" and "“那么”" in answer["problems"][0]["message"]


def test_the_step_catalogue_for_completion_has_every_sentence_with_an_example(api):
    catalogue = api.get("/api/v1/scenarios/steps", as_user="auditor").get_json()
    sentences = {s["sentence"]: s for s in catalogue["steps"]}
    entry = sentences["“〈username〉”在“〈step〉”环节作出“〈decision〉”决定，意见为“〈opinion〉”"]
    assert entry["keyword"] == "当" and entry["example"].startswith("当“window”在“受理”环节作出“准予”决定")
    assert [p["name"] for p in entry["parameters"]] == ["username", "step", "decision", "opinion"]
    assert "reviewer_market" in catalogue["values"]["username"] and "审查" in catalogue["values"]["step"]
    assert len(catalogue["steps"]) >= 90 and all(s["doc"] and s["example"] for s in catalogue["steps"])


def test_a_run_of_the_editors_text_passes_in_a_sandbox_and_records_what_it_ran_on(api):
    result = run(api, {"text": PASSING})
    assert result["status"] == "passed" and result["requested_by"] == "auditor"
    [scenario] = result["results"]
    assert [s["status"] for s in scenario["steps"]] == ["passed"] * 4
    assert scenario["path"]["standard_promised"]["tasks"]  # the case's path on the diagram
    versions = result["versions"]
    assert versions["processes"]["standard_promised"]["version"] == 1
    assert "inspection" in versions["rules"] and versions["catalogue"] and versions["calendar"]
    assert result["progress"] == {"scenarios": 1, "scenarios_done": 1, "steps": 4, "steps_done": 4}


def test_a_wrong_expectation_fails_with_what_was_expected_and_what_happened(api):
    result = run(api, {"text": FAILING})
    assert result["status"] == "failed" and result["counts"] == {"failed": 1}
    step = failed_step(result["results"][0])
    assert step["expected"] == "那么办件状态为“已办结”"
    assert "实际：'审查中'" in step["actual"] and "预期：'已办结'" in step["actual"]
    assert result["results"][0]["steps"][-1]["status"] == "not_run"


def test_a_text_with_problems_is_refused_before_anything_runs(api, ext):
    api.token("auditor")  # signing in is an event of its own
    before = counts(ext)
    response = api.post("/api/v1/scenario-runs", as_user="auditor", json={"text": PASSING.replace("window", "ghost")})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "scenario_has_problems" and body["details"]["problems"][0]["line"] == 6
    assert counts(ext) == before


def test_the_html_report_and_junit_xml_of_a_run_download(api):
    result = run(api, {"text": FAILING})
    html = api.get(f"/api/v1/scenario-runs/{result['id']}/report.html", as_user="auditor")
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    assert "场景运行报告" in page and "受理后由审查股室审查" in page and "已办结" in page
    junit = api.get(f"/api/v1/scenario-runs/{result['id']}/junit.xml", as_user="auditor")
    assert junit.status_code == 200 and "attachment" in junit.headers["Content-Disposition"]
    suite = ElementTree.fromstring(junit.get_data()).find("testsuite")
    assert suite.get("tests") == "1" and suite.get("failures") == "1"
    assert "预期" in suite.find("testcase/failure").text


def test_scenarios_are_saved_versioned_tagged_and_run_one_by_tag_or_all(api):
    first = save(api, "受理后进入审查", PASSING, folder="受理/承诺件", tags="受理 冒烟")
    assert first["version"] == 1 and first["folder"] == "受理/承诺件"
    assert set(first["tags"]) == {"受理", "冒烟", "流程:standard_promised"}
    saved = api.post(f"/api/v1/scenarios/{first['id']}/versions", as_user="auditor",
                     json={"text": FAILING, "base_version": 1, "comment": "故意写错的预期"})
    assert saved.status_code == 201 and saved.get_json()["version"] == 2
    stale = api.post(f"/api/v1/scenarios/{first['id']}/versions", as_user="auditor",
                     json={"text": PASSING, "base_version": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "scenario_changed"
    detail = api.get(f"/api/v1/scenarios/{first['id']}", as_user="auditor").get_json()
    assert [v["version"] for v in detail["versions"]] == [2, 1] and detail["text"] == FAILING
    assert detail["versions"][0]["author"] == "auditor" and detail["versions"][0]["comment"] == "故意写错的预期"
    old = api.get(f"/api/v1/scenarios/{first['id']}/versions/1", as_user="auditor").get_json()
    assert old["text"] == PASSING
    second = save(api, "另一个场景", PASSING, tags=["冒烟"])
    assert run(api, {"scenario_ids": [first["id"]]})["status"] == "failed"
    by_tag = run(api, {"tag": "冒烟"})
    assert by_tag["counts"] == {"failed": 1, "passed": 1}
    assert {r["document_id"] for r in by_tag["results"]} == {first["id"], second["id"]}
    assert run(api, {"all": True})["counts"] == {"failed": 1, "passed": 1}
    listed = api.get("/api/v1/scenarios?tag=冒烟", as_user="designer").get_json()["scenarios"]
    assert {s["last_status"] for s in listed} == {"passed", "failed"}


def test_the_same_name_in_the_same_folder_is_refused(api):
    save(api, "受理后进入审查", PASSING, folder="受理")
    again = api.post("/api/v1/scenarios", as_user="auditor", json={"name": "受理后进入审查 ", "folder": "受理", "text": PASSING})
    assert again.status_code == 409 and again.get_json()["code"] == "scenario_name_taken"
    assert api.post("/api/v1/scenarios", as_user="auditor",
                    json={"name": "受理后进入审查", "folder": "其他", "text": PASSING}).status_code == 201


def test_the_shipped_scenarios_are_imported_read_only_as_the_baseline(api):
    imported = api.post("/api/v1/scenarios/baseline", as_user="auditor").get_json()["imported"]
    assert imported >= 20
    assert api.post("/api/v1/scenarios/baseline", as_user="auditor").get_json()["imported"] == 0  # unchanged
    listed = api.get("/api/v1/scenarios", as_user="auditor").get_json()["scenarios"]
    baseline = [s for s in listed if s["source"] == "baseline"]
    assert len(baseline) == imported and all(s["read_only"] and s["folder"].startswith("基线/") for s in baseline)
    edit = api.post(f"/api/v1/scenarios/{baseline[0]['id']}/versions", as_user="auditor",
                    json={"text": PASSING, "base_version": 1})
    assert edit.status_code == 409 and edit.get_json()["code"] == "scenario_read_only"
    容缺 = next(s for s in baseline if s["name"] == "容缺受理")
    result = run(api, {"scenario_ids": [容缺["id"]]})
    assert result["status"] == "passed" and len(result["results"]) == 3


def test_only_auditors_and_admins_write_the_library_designers_read_it(api):
    for user in ("window", "reviewer_market", "designer", "leader_market"):
        response = api.post("/api/v1/scenarios", as_user=user, json={"name": "越权", "text": PASSING})
        assert response.status_code == 403, user
        assert api.post("/api/v1/scenario-runs", as_user=user, json={"text": PASSING}).status_code == 403
    assert api.get("/api/v1/scenarios", as_user="designer").status_code == 200
    assert api.get("/api/v1/scenarios", as_user="window").status_code == 403
    save(api, "管理员也可以", PASSING, as_user="admin")


def test_a_run_never_touches_the_service_database(api, ext):
    """A scenario that registers and works cases leaves production's cases, tasks and trail as they were."""
    api.token("auditor")  # signing in is an event of its own
    before = counts(ext)
    assert before["cases"] == 0
    result = run(api, {"text": PASSING})
    assert result["status"] == "passed"
    after = counts(ext)
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= WORKSHOP_TABLES, changed
    assert after["cases"] == before["cases"] and after["tasks"] == before["tasks"]
    assert after["audit_events"] == before["audit_events"]


def test_runs_queue_per_person(api, ext):
    from app.persistence.tables.scenarios import ScenarioRun

    with ext.db.unit_of_work() as session:
        for _ in range(3):
            session.add(ScenarioRun(purpose="editor", selector="", text=PASSING, requested_by="auditor",
                                    status="queued", created_at=ext.runtime.clock.now(), versions={}, counts={},
                                    coverage={}))
    busy = api.post("/api/v1/scenario-runs", as_user="auditor", json={"text": PASSING})
    assert busy.status_code == 409 and busy.get_json()["code"] == "scenario_runs_busy"
    assert api.post("/api/v1/scenario-runs", as_user="admin", json={"text": PASSING}).status_code == 202


def test_unknown_scenarios_versions_and_runs_are_404(api):
    first = save(api, "受理后进入审查", PASSING)
    for path in (f"/api/v1/scenarios/{first['id']}/versions/9", "/api/v1/scenarios/999",
                 "/api/v1/scenario-runs/999", "/api/v1/scenario-runs/999/junit.xml"):
        assert api.get(path, as_user="auditor").status_code == 404, path
    assert api.post("/api/v1/scenario-runs", as_user="auditor", json={"scenario_ids": [999]}).status_code == 404
