"""Hostile uploads: refused before anything is stored, or stored inert and never deployed."""
from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from sqlalchemy import func, select

from app.persistence.models import ProcessModel, ProcessModelRevision, ProcessVersion
from app.services.actor import SYSTEM
from app.services.processes.deployed import deploy as deploy_process
from app.workflow.definitions import DefinitionError
from tests.support.model_samples import (
    codes,
    linear,
    shipped,
    with_condition,
    with_script,
)

XML = {"Content-Type": "application/xml"}
BILLION_LAUGHS = b'''<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" name="&lol4;"/></bpmn:definitions>'''
EXTERNAL_ENTITY = b'''<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" name="&secret;"/></bpmn:definitions>'''
DEEP = b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">' + b"<a>" * 10_000 + b"</a>" * 10_000 \
    + b"</bpmn:definitions>"
MANY = b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">' + b"<a/>" * 60_000 \
    + b"</bpmn:definitions>"
REACHING = ["__import__('os').system('id')", "open('/etc/passwd').read()",
            "().__class__.__base__.__subclasses__()", "[c for c in ().__class__.__base__.__subclasses__()]"]


def stored_rows(ext: Any) -> tuple[int, int, int]:
    with ext.db.session(write=False) as session:
        return tuple(session.scalar(select(func.count()).select_from(t))  # type: ignore[return-value]
                     for t in (ProcessModel, ProcessModelRevision, ProcessVersion))


def post(api: Any, content: bytes, name: str = "恶意流程") -> Any:
    return api.post(f"/api/v1/process-models?name={name}", as_user="designer", data=content, headers=XML)


@pytest.mark.parametrize("content, code", [
    (EXTERNAL_ENTITY, "xml_doctype_forbidden"),
    (BILLION_LAUGHS, "xml_doctype_forbidden"),
    (DEEP, "xml_too_deep"),
    (MANY, "xml_too_many_elements"),
    (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><unclosed>", "xml_malformed"),
    (b"\x00\x01\x02 not xml at all", "xml_malformed"),
], ids=["external-entity", "billion-laughs", "10000-levels", "60000-elements", "malformed", "binary"])
def test_unsafe_documents_are_refused_with_a_finding_and_nothing_is_stored(api, ext, content, code):
    before = stored_rows(ext)
    response = post(api, content)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["code"] == code and codes(body["findings"]) == {code}
    assert "root:" not in response.get_data(as_text=True)  # nothing was read from the entity
    assert stored_rows(ext) == before
    assert api.post("/api/v1/process-models/validate", as_user="designer", data=content,
                    headers=XML).status_code == 400


def test_forty_megabytes_are_refused_before_they_are_read(api, ext):
    before = stored_rows(ext)
    huge = b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">' + b" " * (40 * 1024 * 1024) \
        + b"</bpmn:definitions>"
    tracemalloc.start()
    try:
        response = post(api, huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert response.get_json()["code"] == "xml_too_large" and codes(response.get_json()["findings"]) == {"xml_too_large"}
    assert peak < 8 * 1024 * 1024, f"the request allocated {peak // 1024} KB"
    assert stored_rows(ext) == before


@pytest.mark.parametrize("expression", REACHING)
def test_conditions_reaching_for_the_interpreter_are_refused_at_upload_and_deploy(api, ext, expression):
    stored = post(api, with_condition(expression), name="恶意条件").get_json()
    assert stored["deployable"] is False
    [finding] = [f for f in stored["findings"] if f["element_id"] == "yes"]
    assert finding["severity"] == "error" and finding["code"].startswith("expression_")
    before = stored_rows(ext)[2]
    response = api.post(f"/api/v1/process-models/{stored['id']}/versions/1/deploy", as_user="designer")
    assert response.status_code == 409
    assert any(f["element_id"] == "yes" for f in response.get_json()["findings"])
    assert stored_rows(ext)[2] == before
    assert not any(d.process_id == "probe" for d in ext.runtime.by_version.values())


@pytest.mark.parametrize("script", [f"result = {e}" for e in REACHING] + ["import os", "exec('1')"])
def test_scripts_reaching_for_the_interpreter_are_refused_at_upload_and_deploy(api, script):
    stored = post(api, with_script(script), name="恶意脚本").get_json()
    errors = [f for f in stored["findings"] if f["severity"] == "error"]
    assert [f["element_id"] for f in errors] == ["compute"]
    assert api.post(f"/api/v1/process-models/{stored['id']}/versions/1/deploy", as_user="designer").status_code == 409


def test_the_deploy_service_refuses_them_too(ext):
    """Deployment re-checks what it stores, whoever calls it."""
    with ext.db.unit_of_work() as session:
        for content in (with_condition(REACHING[0]), with_script(f"x = {REACHING[1]}")):
            with pytest.raises(DefinitionError) as err:
                deploy_process(session, ext.runtime, SYSTEM, filename="hostile.bpmn", content=content,
                               process_id="probe")
            assert err.value.code.startswith("expression_")
        bad_lane = shipped("immediate").replace("综合窗口".encode(), "外包窗口".encode())
        with pytest.raises(DefinitionError) as err:
            deploy_process(session, ext.runtime, SYSTEM, filename="lane.bpmn", content=bad_lane,
                           process_id="immediate")
        assert err.value.code == "task_lane_unknown"
        deploy_process(session, ext.runtime, SYSTEM, filename="probe.bpmn", content=linear(), process_id="probe")
