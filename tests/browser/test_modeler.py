"""The modeler in a real browser: Chinese bpmn-js, add a task and save a version, findings on elements,
and every MIWG reference model rendering without an import error."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.support.browser import ModelerServer, open_model
from tests.support.database import ON_POSTGRES
from tests.support.model_samples import MIWG, shipped

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the live server has its own SQLite database; run once")


def model_id(server: ModelerServer, name: str) -> int:
    models = server.api.get("/api/v1/process-models", as_user="designer").get_json()["models"]
    return next(m["id"] for m in models if m["name"] == name)


def upload(server: ModelerServer, name: str, content: bytes) -> dict:
    response = server.api.post(f"/api/v1/process-models?name={quote(name)}", as_user="designer", data=content,
                               headers={"Content-Type": "application/xml"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def screen_point(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where the diagram coordinate (x, y) is on the screen."""
    return page.evaluate("""([x, y]) => {
        const canvas = window.onesealModeler.get("canvas");
        const box = canvas.getContainer().getBoundingClientRect();
        const view = canvas.viewbox();
        return [box.left + (x - view.x) * view.scale, box.top + (y - view.y) * view.scale];
    }""", [x, y])


def test_designer_adds_a_task_saves_and_sees_the_new_version(designer_page, modeler_server):
    page = designer_page
    assert "即办件流程" in page.inner_text("table.models")
    page.click("text=即办件流程")
    page.wait_for_selector("#modeler-app[data-ready=true]")
    assert page.get_attribute("#modeler-app", "data-imported") == "1"
    # the palette speaks Chinese (bpmn-js-i18n)
    assert page.get_attribute(".djs-palette .entry.bpmn-icon-task", "aria-label") == "创建任务"

    before = page.evaluate("window.onesealModeler.get('elementRegistry').filter(e => e.type === 'bpmn:Task').length")
    page.click(".djs-palette .entry.bpmn-icon-task")
    x, y = screen_point(page, 460, 240)  # an empty spot of the 综合窗口 lane, between two tasks
    page.mouse.move(x - 5, y - 5)
    page.mouse.click(x, y)
    page.keyboard.type("归档")
    page.mouse.click(*screen_point(page, 700, 60))  # outside the pool: ends the label editing
    after = page.evaluate("window.onesealModeler.get('elementRegistry').filter(e => e.type === 'bpmn:Task')"
                          ".map(e => e.businessObject.name)")
    assert len(after) == before + 1 and "归档" in after
    assert page.is_visible("#dirty-flag")

    page.fill("#comment-input", "增加归档环节")
    page.click("#save-button")
    page.wait_for_selector("#status:has-text('已保存为第 2 版')")
    assert page.input_value("#version-select") == "2"
    rows = page.locator("#versions tr")
    assert rows.count() == 2 and "增加归档环节" in rows.first.inner_text()
    assert not page.is_visible("#dirty-flag")

    model = model_id(modeler_server, "即办件流程")
    versions = modeler_server.api.get(f"/api/v1/process-models/{model}/versions", as_user="designer").get_json()
    assert [v["version"] for v in versions["versions"]] == [2, 1]
    saved = modeler_server.api.get(f"/api/v1/process-models/{model}/versions/2/bpmn", as_user="designer")
    assert "归档".encode() in saved.data and saved.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_findings_are_shown_next_to_their_elements_and_deploy_is_refused(designer_page, modeler_server):
    page = designer_page
    # the shipped diagram as another process whose review lane maps to no role
    content = shipped().replace(b"standard_promised", b"lane_probe").replace("审查股室".encode(), "外包股室".encode())
    stored = upload(modeler_server, "泳道有误的流程", content)
    open_model(page, modeler_server, stored["id"])
    page.wait_for_selector('[data-container-id="review_application"] .finding-overlay.finding-error')
    assert "finding-error" in page.get_attribute('.djs-element[data-element-id="review_application"]', "class")
    item = page.locator("#findings li", has_text="review_application")
    assert "外包股室" in item.inner_text() and "错误" in item.inner_text()
    item.click()
    assert page.evaluate("window.onesealModeler.get('selection').get().map(e => e.id)") == ["review_application"]

    page.click("#validate-button")
    page.wait_for_selector("#status:has-text('校验发现错误')")
    page.click("#deploy-button")
    page.wait_for_selector("#status:has-text('不能部署')")
    assert page.locator("#findings li[title=task_lane_unknown]").count() >= 1  # the code for support, not shown


def test_every_miwg_reference_model_renders_in_the_modeler(designer_page, modeler_server):
    page = designer_page
    ids = {path.name: upload(modeler_server, f"MIWG {path.stem}", path.read_bytes())["id"]
           for path in sorted(MIWG.glob("*.bpmn"))}
    open_model(page, modeler_server, ids["A.1.0.bpmn"])
    results = page.evaluate("""async (ids) => {
        const modeler = window.onesealModeler;
        const found = {};
        for (const [name, id] of Object.entries(ids)) {
            const response = await fetch(`/modeler/api/process-models/${id}/versions/1/bpmn`);
            const bytes = new Uint8Array(await response.arrayBuffer());
            const head = new TextDecoder("latin1").decode(bytes.slice(0, 200));
            const declared = head.match(/encoding\\s*=\\s*["']([A-Za-z0-9._-]+)["']/);
            try {
                const { warnings } = await modeler.importXML(new TextDecoder(declared ? declared[1] : "utf-8").decode(bytes));
                const shapes = modeler.get("elementRegistry").filter(e => e.type !== "label").length;
                found[name] = { ok: true, warnings: warnings.length, shapes };
            } catch (err) {
                found[name] = { ok: false, error: String(err) };
            }
        }
        return found;
    }""", ids)
    assert len(results) == 21
    failed = {name: r for name, r in results.items() if not r["ok"] or r["shapes"] < 2}
    assert failed == {}
