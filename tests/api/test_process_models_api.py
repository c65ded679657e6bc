"""The process-model API: upload, versions, download as uploaded, deploy, diff, who may do what."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.persistence.models import (
    AuditEvent,
    Case,
    ProcessModelRevision,
    ProcessVersion,
)
from tests.support.cases import register
from tests.support.model_samples import codes, fan_out, linear, shipped
from tests.support.pages import login, text
from tests.support.process_models import XML, deploy, model_named, save, upload  # noqa: F401

def count(ext: Any, what: Any) -> int:
    with ext.db.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(what))


def test_upload_lists_versions_and_downloads_byte_for_byte(api, ext):
    content = linear(pid="food_review").replace(b"<bpmn:process", "<!-- 原样保存 -->\n  <bpmn:process".encode(), 1)
    stored = upload(api, "食品经营许可审查流程", content, comment="初稿")
    assert set(stored) >= {"id", "version", "findings"} and stored["version"] == 1
    assert stored["process_id"] == "food_review" and stored["deployable"] is True
    assert "process_not_in_catalogue" in codes(stored["findings"], "warning")

    listed = model_named(api, "食品经营许可审查流程")
    assert listed["id"] == stored["id"] and listed["latest_version"] == 1 and listed["deployed"] is None

    versions = api.get(f"/api/v1/process-models/{stored['id']}/versions", as_user="designer").get_json()
    [first] = versions["versions"]
    assert (first["version"], first["author"], first["comment"]) == (1, "designer", "初稿")
    assert first["created_at"] and first["deployments"] == [] and first["findings"] == stored["findings"]

    response = api.get(f"/api/v1/process-models/{stored['id']}/versions/1/bpmn", as_user="designer")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.data == content


def test_shipped_diagrams_are_models_designers_can_open(api):
    standard = model_named(api, "承诺件标准流程")
    assert standard["process_id"] == "standard_promised" and standard["deployed"]["process_version"] == 1
    response = api.get(f"/api/v1/process-models/{standard['id']}/versions/1/bpmn", as_user="designer")
    assert response.data == shipped("standard_promised")
    versions = api.get(f"/api/v1/process-models/{standard['id']}/versions", as_user="designer").get_json()
    assert versions["versions"][0]["deployments"][0]["process_version"] == 1


def test_deploying_a_new_version_moves_new_cases_and_leaves_running_ones(api, ext):
    running = register(api)  # 食品经营许可 runs standard_promised
    standard = model_named(api, "承诺件标准流程")
    changed = shipped("standard_promised").replace('name="审查"'.encode(), 'name="初审"'.encode(), 1)
    saved = save(api, standard["id"], changed, comment="审查改为初审")
    assert saved["version"] == 2 and saved["deployable"], saved["findings"]

    done = deploy(api, standard["id"], 2, comment="试行初审")
    assert (done["process_id"], done["process_version"], done["created"]) == ("standard_promised", 2, True)
    assert done["deployed_by"] == "designer" and done["comment"] == "试行初审"
    assert deploy(api, standard["id"], 2)["created"] is False  # deploying it again changes nothing

    newer = register(api)
    with ext.db.session(write=False) as session:
        versions = {c.id: session.get(ProcessVersion, c.process_version_id).version
                    for c in session.scalars(select(Case))}
    assert versions == {running["id"]: 1, newer["id"]: 2}
    # the running case still works on version 1 of the diagram
    assert [t["name"] for t in api.get(f"/api/v1/cases/{running['id']}", as_user="window").get_json()["tasks"]] \
        == [t["name"] for t in running["tasks"]]

    # deploying version 1 again is a rollback: a new deployed version with version 1's content
    back = deploy(api, standard["id"], 1)
    assert (back["process_version"], back["created"]) == (3, True)


def test_a_version_with_errors_is_stored_but_not_deployed(api, ext):
    stored = upload(api, "五部门并联审查", fan_out(5))
    assert stored["deployable"] is False and "fan_out_too_wide" in codes(stored["findings"], "error")
    before = count(ext, ProcessVersion)
    refused = deploy(api, stored["id"], 1, expect=409)
    assert refused["code"] == "model_has_errors" and "错误" in refused["message"]
    [finding] = [f for f in refused["findings"] if f["code"] == "fan_out_too_wide"]
    assert finding["element_id"] == "split" and finding["element_name"] == "分送各部门"
    assert count(ext, ProcessVersion) == before


def test_descriptive_models_are_stored_with_findings(api):
    stored = upload(api, "描述性流程", linear(executable=False))
    assert stored["deployable"] is False
    assert {"model_not_executable", "process_descriptive"} <= codes(stored["findings"])
    assert deploy(api, stored["id"], 1, expect=409)["code"] == "model_has_errors"


def test_a_model_deploys_one_process_id_and_no_other_model_may_take_it(api):
    copy = upload(api, "标准流程副本", shipped("standard_promised"))
    assert "process_owned_by_other_model" in codes(copy["findings"], "error")
    assert deploy(api, copy["id"], 1, expect=409)["code"] == "model_has_errors"

    own = upload(api, "新流程", linear(pid="new_process"))
    deploy(api, own["id"], 1)
    renamed = save(api, own["id"], linear(pid="renamed_process"))
    assert "model_process_changed" in codes(renamed["findings"], "error")


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "..", "a/b", "a\\b", "流程\x00", "<script>alert(1)</script>", "", "   ",
    ".hidden", "流程" * 41, "C:流程", "名称|管道", "a*b?",
])
def test_odd_and_traversal_names_are_refused(api, ext, name):
    before = count(ext, ProcessModelRevision)
    response = api.post(f"/api/v1/process-models?name={quote(name)}", as_user="designer", data=linear(), headers=XML)
    assert response.status_code == 400, response.get_json()
    code = response.get_json()["code"]  # a NUL is refused at the edge, before the service sees it
    assert code.startswith("model_name_") or (code == "invalid_characters" and "\x00" in name)
    assert count(ext, ProcessModelRevision) == before


def test_chinese_names_never_collide(api):
    first = upload(api, "县审批流程（一）", linear(pid="county_one"))
    assert upload(api, "县审批流程（二）", linear(pid="county_two"))["id"] != first["id"]
    for same in ("县审批流程（一）", " 县审批流程(一) ", "县审批流程  （一）"):
        taken = upload(api, same, linear(pid="county_three"), expect=409)
        assert taken["code"] == "model_name_taken" and taken["details"]["model_id"] == first["id"]
    assert upload(api, "ABC 流程", linear(pid="abc_one"))["name"] == "ABC 流程"
    assert upload(api, "ａｂｃ　流程", linear(pid="abc_two"), expect=409)["code"] == "model_name_taken"


def test_only_designers_change_models_and_auditors_read(api):
    stored = upload(api, "权限测试流程", linear(pid="perm_probe"))
    base = f"/api/v1/process-models/{stored['id']}"
    for user in ("auditor", "admin", "reviewer_market", "window", "leader_market"):
        assert api.post(f"/api/v1/process-models?name={quote(user + '的流程')}", as_user=user, data=linear(),
                        headers=XML).status_code == 403
        assert api.post(f"{base}/versions", as_user=user, data=linear(), headers=XML).status_code == 403
        assert api.post(f"{base}/versions/1/deploy", as_user=user).status_code == 403
    for user in ("auditor", "admin", "designer"):
        assert api.get("/api/v1/process-models", as_user=user).status_code == 200
        assert api.get(f"{base}/versions", as_user=user).status_code == 200
        assert api.get(f"{base}/versions/1/bpmn", as_user=user).data == linear(pid="perm_probe")
    for user in ("reviewer_market", "window"):
        assert api.get("/api/v1/process-models", as_user=user).status_code == 403
        assert api.get(f"{base}/versions/1/bpmn", as_user=user).status_code == 403
    assert api.get("/api/v1/process-models").status_code == 401


def test_unknown_models_and_versions_are_404(api):
    assert api.get("/api/v1/process-models/9999/versions", as_user="designer").status_code == 404
    stored = upload(api, "存在的流程", linear(pid="exists"))
    assert api.get(f"/api/v1/process-models/{stored['id']}/versions/7/bpmn", as_user="designer").status_code == 404
    assert deploy(api, stored["id"], 7, expect=404)["code"] == "process_model_version_not_found"
    assert api.post("/api/v1/process-models/9999/versions", as_user="designer", data=linear(),
                    headers=XML).status_code == 404


def test_the_body_must_be_xml(api):
    response = api.post("/api/v1/process-models?name=JSON流程", as_user="designer", json={"xml": "<a/>"})
    assert response.status_code == 400 and response.get_json()["code"] == "content_type_not_xml"
    empty = api.post("/api/v1/process-models?name=空流程", as_user="designer", data=b"", headers=XML)
    assert empty.status_code == 400 and codes(empty.get_json()["findings"]) == {"bpmn_empty"}


def test_validate_without_storing(api, ext):
    before = count(ext, ProcessModelRevision)
    response = api.post("/api/v1/process-models/validate", as_user="designer", data=fan_out(6), headers=XML)
    assert response.status_code == 200
    body = response.get_json()
    assert body["deployable"] is False and "fan_out_too_wide" in codes(body["findings"])
    assert api.post("/api/v1/process-models/validate", as_user="auditor", data=linear(), headers=XML).status_code == 200
    assert count(ext, ProcessModelRevision) == before


def test_diff_lists_added_removed_and_changed_elements(api):
    stored = upload(api, "差异流程", linear(pid="diff_probe"))
    renamed = linear(pid="diff_probe", task_name="初审")
    extended = renamed.replace(b'<bpmn:endEvent id="end"', '<bpmn:task id="note" name="记录" />\n<bpmn:endEvent id="end"'.encode())
    save(api, stored["id"], extended)
    body = api.get(f"/api/v1/process-models/{stored['id']}/diff?from=1&to=2", as_user="auditor").get_json()
    assert (body["from"], body["to"]) == (1, 2)
    assert [(e["element_id"], e["type"], e["name"]) for e in body["added"]] == [("note", "task", "记录")]
    assert body["removed"] == []
    [changed] = body["changed"]
    assert changed["element_id"] == "review" and any("审查 → 初审" in c for c in changed["changes"])
    back = api.get(f"/api/v1/process-models/{stored['id']}/diff?from=2&to=1", as_user="designer").get_json()
    assert [e["element_id"] for e in back["removed"]] == ["note"]
    bad = api.get(f"/api/v1/process-models/{stored['id']}/diff?from=x&to=1", as_user="designer")
    assert bad.status_code == 400


def test_upload_and_deploy_are_audited(api, ext):
    stored = upload(api, "审计流程", linear(pid="audit_probe"), comment="首版")
    deploy(api, stored["id"], 1)
    with ext.db.session(write=False) as session:
        events = {e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.actor == "designer"))}
    assert events["model_uploaded"].after["model_id"] == stored["id"]
    assert events["model_uploaded"].after["comment"] == "首版"
    assert events["model_deployed"].after["process_id"] == "audit_probe"
    assert events["model_deployed"].after["model_revision"] is not None


def test_replaying_an_upload_with_the_same_idempotency_key_stores_it_once(api, ext):
    headers = {**XML, "Idempotency-Key": "upload-1"}
    first = api.post("/api/v1/process-models?name=幂等流程", as_user="designer", data=linear(pid="idem"), headers=headers)
    again = api.post("/api/v1/process-models?name=幂等流程", as_user="designer", data=linear(pid="idem"), headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert again.headers.get("Idempotent-Replay") == "true"


def test_openapi_describes_the_process_model_routes(api):
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/process-models", "/api/v1/process-models/validate",
                 "/api/v1/process-models/{model_id}/versions", "/api/v1/process-models/{model_id}/versions/{version}/bpmn",
                 "/api/v1/process-models/{model_id}/versions/{version}/deploy", "/api/v1/process-models/{model_id}/diff"):
        assert path in paths, path
    upload_op = paths["/api/v1/process-models"]["post"]
    assert "application/xml" in upload_op["requestBody"]["content"]
    assert {"201", "400", "403", "409", "413"} <= set(upload_op["responses"])
    assert "409" in paths["/api/v1/process-models/{model_id}/versions/{version}/deploy"]["post"]["responses"]


def test_versions_and_models_name_their_authors_and_deployers_by_name(api, app):
    stored = upload(api, "联络流程", linear())
    deploy(api, stored["id"], stored["version"])
    [version] = api.get(f"/api/v1/process-models/{stored['id']}/versions", as_user="auditor").get_json()["versions"]
    assert version["author"] == "designer" and version["author_name"] == "赵设计"
    assert version["deployments"][0]["deployed_by_name"] == "赵设计"
    [model] = [m for m in api.get("/api/v1/process-models", as_user="auditor").get_json()["models"]
               if m["id"] == stored["id"]]
    assert model["created_by_name"] == "赵设计" and model["deployed"]["deployed_by_name"] == "赵设计"
    client = app.test_client()
    login(client, "designer")
    assert "赵设计 · " in text(client.get("/modeler/"))
