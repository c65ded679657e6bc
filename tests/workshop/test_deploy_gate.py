"""The deploy gate: a new version of a diagram is checked against the auditors' scenarios for its
process before it goes live; deploying over a failing scenario needs a reason, kept in the trail."""
from __future__ import annotations

from sqlalchemy import select

from app.persistence.models import AuditEvent
from tests.support.model_samples import shipped
from tests.support.workshop import PASSING, run, save

XML = {"Content-Type": "application/xml"}
#: 审查 renamed 初审: the auditors' scenario that expects 审查 after acceptance fails on it
RENAMED = shipped("standard_promised").replace('name="审查"'.encode(), 'name="初审"'.encode(), 1)
#: only the layout of a label changed: every scenario still passes
HARMLESS = shipped("standard_promised").replace('name="审查"'.encode(), 'name="审查" '.encode(), 1)


def new_version(api, content):
    models = api.get("/api/v1/process-models", as_user="designer").get_json()["models"]
    model = next(m for m in models if m["process_id"] == "standard_promised")
    response = api.post(f"/api/v1/process-models/{model['id']}/versions", as_user="designer", data=content,
                        headers=XML)
    assert response.status_code == 201, response.get_json()
    return model["id"], response.get_json()["version"]


def deploy(api, model_id, version, **body):
    return api.post(f"/api/v1/process-models/{model_id}/versions/{version}/deploy", as_user="designer",
                    json=body or None)


def check(api, model_id, version):
    response = api.post(f"/api/v1/process-models/{model_id}/versions/{version}/scenario-check", as_user="designer")
    assert response.status_code == 202, response.get_json()
    return api.get(f"/api/v1/process-models/{model_id}/versions/{version}/scenario-check",
                   as_user="designer").get_json()


def test_without_scenarios_for_the_process_a_version_deploys_as_before(api):
    model_id, version = new_version(api, RENAMED)
    gate = api.get(f"/api/v1/process-models/{model_id}/versions/{version}/scenario-check", as_user="designer")
    assert gate.get_json()["state"] == "none"
    assert deploy(api, model_id, version).status_code == 200


def test_a_change_that_breaks_a_scenario_is_shown_and_needs_a_reason(api, ext):
    save(api, "受理后进入审查", PASSING)  # tagged @流程:standard_promised
    model_id, version = new_version(api, RENAMED)
    unchecked = deploy(api, model_id, version)
    assert unchecked.status_code == 409 and unchecked.get_json()["code"] == "scenario_check_required"
    gate = check(api, model_id, version)
    assert gate["state"] == "failed" and gate["failing"] == ["承诺件受理后进入审查 / 受理后由审查股室审查"]
    [result] = gate["run"]["results"]
    failed = next(s for s in result["steps"] if s["status"] == "failed")
    assert failed["text"] == "当前待办环节为“审查”，由“审查股室”办理" and "初审" in failed["actual"]
    assert gate["run"]["versions"]["draft"]["version"] == version
    refused = deploy(api, model_id, version)
    assert refused.status_code == 409 and refused.get_json()["code"] == "scenario_check_failed"
    assert "受理后由审查股室审查" in refused.get_json()["message"]
    done = deploy(api, model_id, version, override_reason="更名经局务会同意，场景将随后更新")
    assert done.status_code == 200, done.get_json()
    with ext.db.session(write=False) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "scenario_gate_overridden"))
    assert event.actor == "designer" and event.after["reason"] == "更名经局务会同意，场景将随后更新"
    assert event.after["failing"] == gate["failing"]
    shown = api.get(f"/api/v1/scenario-runs/{gate['run']['id']}", as_user="auditor").get_json()
    assert shown["override"]["reason"] == "更名经局务会同意，场景将随后更新" and shown["override"]["by"] == "designer"


def test_a_change_the_scenarios_accept_deploys_after_its_check(api):
    save(api, "受理后进入审查", PASSING)
    model_id, version = new_version(api, HARMLESS)
    assert check(api, model_id, version)["state"] == "passed"
    assert deploy(api, model_id, version).status_code == 200


def test_untagged_scenarios_count_for_the_processes_their_cases_went_through_in_a_library_run(api):
    untagged = save(api, "未加标签的场景", PASSING.replace("@流程:standard_promised\n", ""))
    assert untagged["tags"] == []
    run(api, {"scenario_ids": [untagged["id"]]})  # not a run of the whole library: does not count yet
    model_id, version = new_version(api, RENAMED)
    gate = api.get(f"/api/v1/process-models/{model_id}/versions/{version}/scenario-check", as_user="designer")
    assert gate.get_json()["state"] == "none"
    run(api, {"all": True})  # its case went through standard_promised
    refused = deploy(api, model_id, version)
    assert refused.status_code == 409 and refused.get_json()["code"] == "scenario_check_required"
    assert check(api, model_id, version)["failing"] == ["承诺件受理后进入审查 / 受理后由审查股室审查"]


def test_auditors_may_not_start_a_gate_check_and_designers_may_not_run_the_library(api):
    save(api, "受理后进入审查", PASSING)
    model_id, version = new_version(api, RENAMED)
    response = api.post(f"/api/v1/process-models/{model_id}/versions/{version}/scenario-check", as_user="auditor")
    assert response.status_code == 403
    assert api.post("/api/v1/scenario-runs", as_user="designer", json={"all": True}).status_code == 403


def test_an_auditor_runs_a_draft_before_the_designer_deploys_it(api):
    model_id, version = new_version(api, RENAMED)
    answer = api.post("/api/v1/scenarios/check", as_user="auditor",
                      json={"text": PASSING.replace("“审查”，", "“初审”，"), "model_id": model_id, "version": version})
    assert answer.get_json()["ok"], answer.get_json()  # 初审 is a step of the draft
    assert run(api, {"text": PASSING, "model_id": model_id, "version": version})["status"] == "failed"
    assert run(api, {"text": PASSING})["status"] == "passed"  # what is deployed is unchanged
