"""The modeler's pages and its session-authenticated calls (the browser's side of the API)."""
from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest

from app.config import ROOT
from app.web.modeler.pages import VENDOR
from tests.support.model_samples import codes, linear
from tests.support.pages import login

XML = {"Content-Type": "application/xml"}
TOKEN = "csrf-token-for-tests"


def signed_in(app: Any, username: str) -> Any:
    """A browser signed in through the login page, its session's CSRF token set to ``TOKEN``."""
    client = app.test_client()
    login(client, username)
    with client.session_transaction() as session:
        session["csrf"] = TOKEN
    return client


def test_designers_see_the_models_and_open_the_modeler(app):
    client = signed_in(app, "designer")
    html = client.get("/modeler/").get_data(as_text=True)
    assert "流程模型" in html and "承诺件标准流程" in html and "新建流程模型" in html
    model_id = client.get("/modeler/api/process-models").get_json()["models"][0]["id"]
    page = client.get(f"/modeler/{model_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for needle in ("oneseal-modeler/modeler.js", "zn.js", "保存为新版本", "部署此版本", "上传 .bpmn", "下载 XML",
                   "校验", f'data-csrf="{TOKEN}"'):
        assert needle in html, needle


def test_auditors_read_only_and_others_are_refused(app):
    auditor = signed_in(app, "auditor")
    html = auditor.get("/modeler/1").get_data(as_text=True)
    assert 'data-can-edit="false"' in html and "部署此版本" not in html
    assert "新建流程模型" not in auditor.get("/modeler/").get_data(as_text=True)
    reviewer = signed_in(app, "reviewer_market")
    assert reviewer.get("/modeler/").status_code == 403
    assert reviewer.get("/modeler/1").status_code == 403
    assert app.test_client().get("/modeler/").status_code == 302  # to the login page
    assert app.test_client().get("/modeler/api/process-models").status_code == 401
    assert signed_in(app, "designer").get("/modeler/999").status_code == 404


def test_state_changing_calls_need_the_session_csrf_token(app):
    client = signed_in(app, "designer")
    url = "/modeler/api/process-models?name=页面新建流程"
    missing = client.post(url, data=linear(pid="page_probe"), headers=XML)
    assert missing.status_code == 400 and missing.get_json()["code"] == "csrf_invalid"
    wrong = client.post(url, data=linear(pid="page_probe"), headers={**XML, "X-CSRF-Token": "forged"})
    assert wrong.status_code == 400
    created = client.post(url, data=linear(pid="page_probe"), headers={**XML, "X-CSRF-Token": TOKEN})
    assert created.status_code == 201
    model_id = created.get_json()["id"]
    deployed = client.post(f"/modeler/api/process-models/{model_id}/versions/1/deploy",
                           headers={"X-CSRF-Token": TOKEN})
    assert deployed.status_code == 200 and deployed.get_json()["process_id"] == "page_probe"
    auditor = signed_in(app, "auditor")
    refused = auditor.post(f"/modeler/api/process-models/{model_id}/versions", data=linear(pid="page_probe"),
                           headers={**XML, "X-CSRF-Token": TOKEN})
    assert refused.status_code == 403


def test_validation_and_download_from_the_page(app):
    client = signed_in(app, "designer")
    checked = client.post("/modeler/api/process-models/validate", data=linear(lane="外包公司"),
                          headers={**XML, "X-CSRF-Token": TOKEN})
    assert "task_lane_unknown" in codes(checked.get_json()["findings"], "error")
    download = client.get("/modeler/api/process-models/1/versions/1/bpmn?download=1")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("package, filename", [
    ("bpmn-js", "bpmn-modeler.production.min.js"),
    ("bpmn-js", "assets/bpmn-js.css"),
    ("bpmn-js", "assets/bpmn-font/css/bpmn-embedded.css"),
    ("bpmn-js-i18n", "zn.js"),
    ("oneseal-modeler", "modeler.js"),  # bundled by esbuild when npm ci runs
    ("properties-panel", "properties-panel.css"),
    ("bpmnlint", "bpmn-js-bpmnlint.css"),
])
def test_bpmn_js_and_its_chinese_translation_are_served_from_node_modules(app, package, filename):
    assert (VENDOR[package] / filename).exists(), "run `make install` (npm ci)"
    response = app.test_client().get(f"/modeler/vendor/{package}/{filename}")
    assert response.status_code == 200 and len(response.data) > 100
    response.close()


def test_vendor_files_cannot_be_escaped(app):
    client = app.test_client()
    assert client.get("/modeler/vendor/bpmn-js/../../../package.json").status_code == 404
    assert client.get("/modeler/vendor/bpmn-js/..%2F..%2Fpackage.json").status_code == 404
    assert client.get("/modeler/vendor/left-pad/index.js").status_code == 404


def test_the_modeler_page_carries_the_engine_vocabulary_in_chinese(app):
    client = signed_in(app, "designer")
    model_id = client.get("/modeler/api/process-models").get_json()["models"][0]["id"]
    html = client.get(f"/modeler/{model_id}").get_data(as_text=True)
    assert "/modeler/vendor/oneseal-modeler/modeler.js" in html and 'id="properties-panel"' in html
    raw = re.search(r'data-vocabulary="([^"]*)"', html).group(1)
    vocabulary = json.loads(unescape(raw))
    assert ["综合窗口", "综合窗口受理人员"] in vocabulary["lanes"]
    assert ["in_review", "审查中"] in vocabulary["stages"] and ["withdrawn", "视为撤回申请"] in vocabulary["results"]
    assert ["site_inspection", "现场核查"] in vocabulary["processes"]
    assert {"expert_review", "hearing"} <= {v for v, _ in vocabulary["suspensions"]}


def test_front_end_packages_are_pinned_exactly():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, version in {**package["dependencies"], **package.get("devDependencies", {})}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert {"bpmn-js-properties-panel", "bpmn-js-bpmnlint", "bpmnlint"} <= set(package["dependencies"])
    # the bundle is built at install, in production too (npm ci --omit=dev)
    assert "esbuild" in package["dependencies"] and "npm run --silent build:modeler" in package["scripts"]["postinstall"]


def test_the_moddle_file_describes_every_engine_element_the_shipped_diagrams_use():
    """bpmn-js drops an element of a described namespace that the description does not know."""
    descriptor = json.loads((ROOT / "app" / "web" / "modeler_src" / "spiffworkflow.json").read_text())
    assert descriptor["uri"] == "http://spiffworkflow.org/bpmn/schema/1.0/core"  # what the engine parses
    described = {t["name"][0].lower() + t["name"][1:] for t in descriptor["types"]}
    used = {tag for path in (ROOT / "processes").glob("*.bpmn")
            for tag in re.findall(r"<spiffworkflow:([A-Za-z]+)", path.read_text())}
    assert used and used <= described, used - described
