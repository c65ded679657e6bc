"""OMG BPMN MIWG reference models: each uploads, downloads without loss and gets findings, never a 500.

The models (tests/conformance/bpmn-miwg, CC BY 3.0, see LICENSE.txt there) are descriptive
diagrams from other tools: most processes are not executable, some use Camunda or FEEL
expressions, data stores and service tasks our engine does not run. All of that must come back
as findings naming the elements.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from click.testing import CliRunner
from lxml import etree

from app.cli import main
from app.workflow.checking.safe_xml import parse_untrusted
from tests.support.model_samples import MIWG

MODELS = sorted(MIWG.glob("*.bpmn"))
SEVERITIES = {"error", "warning", "info"}


def canonical(content: bytes) -> bytes:
    # Canonical XML 2.0: C14N 1.0 refuses C.8.0's relative namespace URI (xmlns:xml_6="@boc-eu.com/…")
    return etree.tostring(parse_untrusted(content).getroottree(), method="c14n2")


def test_the_reference_models_are_all_here():
    assert len(MODELS) == 21 and (MIWG / "LICENSE.txt").exists()


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_reference_model_uploads_downloads_unchanged_and_reports_findings(api, path):
    content = path.read_bytes()
    response = api.post(f"/api/v1/process-models?name={quote('MIWG ' + path.stem)}", as_user="designer",
                        data=content, headers={"Content-Type": "application/xml"})
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert stored["findings"], "a reference model from another tool always has something to say"
    for finding in stored["findings"]:
        assert finding["severity"] in SEVERITIES and finding["code"] and finding["message"]
    assert stored["deployable"] is False  # none of them is made for this bureau's engine

    download = api.get(f"/api/v1/process-models/{stored['id']}/versions/1/bpmn", as_user="designer")
    assert download.status_code == 200
    assert download.data == content
    assert canonical(download.data) == canonical(content)

    deploy = api.post(f"/api/v1/process-models/{stored['id']}/versions/1/deploy", as_user="designer")
    assert deploy.status_code == 409 and deploy.get_json()["findings"]


def test_non_executable_parts_are_findings_on_their_elements(api):
    response = api.post("/api/v1/process-models?name=MIWG-C.1.0", as_user="designer",
                        data=(MIWG / "C.1.0.bpmn").read_bytes(), headers={"Content-Type": "application/xml"})
    findings = response.get_json()["findings"]
    descriptive = [f for f in findings if f["code"] == "process_descriptive"]
    assert [f["element_name"] for f in descriptive] == ["Team-Assistant"]
    expressions = {f["element_id"] for f in findings if f["code"].startswith("expression_")}
    assert {"invoiceApproved", "invoiceNotApproved"} <= expressions  # ${...} is not our expression language


def test_the_command_line_validates_every_reference_model_without_crashing():
    result = CliRunner().invoke(main, ["validate", *map(str, MODELS)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for path in MODELS:
        assert f"{path}: " in result.output
    assert "model_not_executable" in result.output
