"""The full modeler for designers: the properties panel edits exactly the XML the engine reads
(checked live by the restricted evaluator), lint as you draw with our own rules, the palette
never covers the diagram, deployment asks for confirmation by the process's Chinese name and the
version list marks 当前生效, and a label-only edit shows no layout change in the diff."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.english import english_words
from tests.support.browser import ModelerServer, open_model
from tests.support.database import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the live server has its own SQLite database; run once")


def model_for(server: ModelerServer, process_id: str) -> int:
    models = server.api.get("/api/v1/process-models", as_user="designer").get_json()["models"]
    return next(m["id"] for m in models if m["process_id"] == process_id)


def versions(server: ModelerServer, model: int) -> list[dict]:
    return server.api.get(f"/api/v1/process-models/{model}/versions", as_user="designer").get_json()["versions"]


def saved_xml(server: ModelerServer, model: int, version: int) -> str:
    return server.api.get(f"/api/v1/process-models/{model}/versions/{version}/bpmn", as_user="designer").data.decode()


def select(page: Any, element_id: str) -> None:
    """Select an element as a click on the canvas would: the panel's field loses the focus first
    (which applies what was typed), then the element is selected."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("""(id) => {
        const modeler = window.onesealModeler;
        modeler.get("selection").select(modeler.get("elementRegistry").get(id));
    }""", element_id)


def field(page: Any, entry_id: str) -> Any:
    return page.locator(f"#properties-panel #bio-properties-panel-oneseal-{entry_id}")


def save(page: Any, comment: str) -> int:
    page.fill("#comment-input", comment)
    page.click("#save-button")
    page.wait_for_selector(f"#status:has-text('已保存为第')")
    return int(page.input_value("#version-select"))


def check_note(page: Any) -> Any:
    return page.locator("#properties-panel .oneseal-check")


def test_the_panel_writes_what_the_engine_reads(designer_page, modeler_server):
    page = designer_page
    model = model_for(modeler_server, "standard_promised")
    open_model(page, modeler_server, model)

    select(page, "review_application")
    page.wait_for_selector("#properties-panel :text('办理设置')")
    assert field(page, "decisions").input_value() == "approve:建议准予,reject:建议不予,return:退回补正,expert:提请专家评审"
    assert field(page, "opinion").input_value() == "required"
    field(page, "fields").fill("site_visit:bool;visit_date:date")
    field(page, "suspends").select_option("expert_review")
    field(page, "department").fill("Bad Name")
    page.wait_for_selector("#properties-panel :text('应为小写英文标识')")  # refused before it reaches the XML
    field(page, "department").fill("")

    select(page, "flow_to_review")  # a diverging gateway's flow: its condition, checked live
    condition = field(page, "condition")
    assert condition.input_value() == 'decision == "approve"'
    page.wait_for_selector("#properties-panel [data-check=ok]")
    condition.fill("decision ==")
    page.wait_for_selector("#properties-panel [data-check=error]")
    assert "语法错误" in check_note(page).inner_text()
    condition.fill('__import__("os")')
    page.wait_for_selector("#properties-panel [data-check=error]:has-text('__import__')")
    condition.fill('decision == "approve" and site_inspection == False')
    page.wait_for_selector("#properties-panel [data-check=ok]")

    select(page, "lane_review")
    assert field(page, "lane-role").input_value() == "审查股室"
    select(page, "inspect_site")
    assert field(page, "called").input_value() == "site_inspection"
    assert "现场核查" in field(page, "called").inner_text()
    select(page, "supplement_overdue")
    assert field(page, "timer-kind").input_value() == "timeDuration"
    assert field(page, "timer-value").input_value() == "P30D"
    field(page, "timer-value").fill("P15D")
    page.wait_for_selector("#properties-panel [data-check=ok]")
    select(page, "withdrawn_end")
    assert field(page, "result").input_value() == "withdrawn"

    version = save(page, "属性面板修改")
    saved = versions(modeler_server, model)[0]
    assert saved["version"] == version and saved["deployable"], saved["findings"]
    xml = saved_xml(modeler_server, model, version)
    task = xml[xml.index('<bpmn:userTask id="review_application"'):]
    task = task[:task.index("</bpmn:userTask>")]
    assert '<spiffworkflow:property name="fields" value="site_visit:bool;visit_date:date" />' in task
    assert '<spiffworkflow:property name="suspends_clock" value="expert_review" />' in task
    assert "department_from" not in task
    assert 'decision == "approve" and site_inspection == False</bpmn:conditionExpression>' in xml
    assert '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P15D"</bpmn:timeDuration>' in xml


def test_multi_instance_collections_survive_a_save_and_are_edited(designer_page, modeler_server):
    page = designer_page
    model = model_for(modeler_server, "parallel_approval")
    open_model(page, modeler_server, model)
    assert page.inner_text("#status") == "第 1 版已打开"  # the collections are no unresolved references
    select(page, "parallel_review")
    page.wait_for_selector("#properties-panel :text('多实例')")
    assert field(page, "multi").is_checked()
    assert field(page, "multi-input").input_value() == "review_departments"
    assert field(page, "multi-item").input_value() == "review_department"
    assert field(page, "multi-output").input_value() == "reviews"
    assert field(page, "multi-output-item").input_value() == "review_result"
    assert field(page, "department").input_value() == "review_department"
    page.wait_for_selector("#properties-panel [data-check=ok]")  # the completion condition passes
    field(page, "multi-output-item").fill("department_review")

    version = save(page, "改名每项结果")
    assert versions(modeler_server, model)[0]["deployable"]
    xml = saved_xml(modeler_server, model, version)
    # the collections are task-data variables: kept exactly, never dropped as unresolved references
    assert "<bpmn:loopDataInputRef>review_departments</bpmn:loopDataInputRef>" in xml
    assert "<bpmn:loopDataOutputRef>reviews</bpmn:loopDataOutputRef>" in xml
    assert '<bpmn:outputDataItem id="department_review"' in xml
    assert "parallel_settled(reviews, parallel_mode, parallel_ratio, len(review_departments))" in xml


UNLANED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs_lint" targetNamespace="http://oneseal.example/bpmn">
  <bpmn:process id="lint_probe" name="检查示例流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="审查"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="choice" name="是否通过"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>yes</bpmn:outgoing><bpmn:outgoing>no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:serviceTask id="notify" name="短信通知"><bpmn:incoming>yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="done" name="办结"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="choice" />
    <bpmn:sequenceFlow id="yes" name="通过" sourceRef="choice" targetRef="notify">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "approve"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" name="不通过" sourceRef="choice" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="notify" targetRef="done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="lint_probe">
    <bpmndi:BPMNShape id="s_start" bpmnElement="start"><dc:Bounds x="100" y="120" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_review" bpmnElement="review"><dc:Bounds x="190" y="98" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_choice" bpmnElement="choice" isMarkerVisible="true"><dc:Bounds x="345" y="113" width="50" height="50" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_notify" bpmnElement="notify"><dc:Bounds x="450" y="98" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_done" bpmnElement="done"><dc:Bounds x="612" y="120" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f1"><di:waypoint x="136" y="138" /><di:waypoint x="190" y="138" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e2" bpmnElement="f2"><di:waypoint x="290" y="138" /><di:waypoint x="345" y="138" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e3" bpmnElement="yes"><di:waypoint x="395" y="138" /><di:waypoint x="450" y="138" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e4" bpmnElement="no"><di:waypoint x="370" y="163" /><di:waypoint x="370" y="230" /><di:waypoint x="630" y="230" /><di:waypoint x="630" y="156" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e5" bpmnElement="f3"><di:waypoint x="550" y="138" /><di:waypoint x="612" y="138" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""

ISSUES = """() => {
    const issues = window.onesealModeler.get("linting")._issues;
    return Object.fromEntries(Object.entries(issues).map(([id, list]) => [id, list.map(i => i.message)]));
}"""


def test_lint_as_you_draw_with_our_rules_in_chinese(designer_page, modeler_server):
    page = designer_page
    response = modeler_server.api.post(f"/api/v1/process-models?name={quote('检查示例流程')}", as_user="designer",
                                       data=UNLANED.encode(), headers={"Content-Type": "application/xml"})
    assert response.status_code == 201, response.get_json()
    open_model(page, modeler_server, response.get_json()["id"])
    page.wait_for_selector(".bjsl-button-error")
    issues = page.evaluate(ISSUES)
    assert "不在任何泳道内" in " ".join(issues["review"])
    assert "缺少流转条件" in " ".join(issues["no"])
    assert "yes" not in issues  # it has its condition
    assert "引擎不支持服务任务" in " ".join(issues["notify"])
    assert page.locator('[data-container-id="review"] .bjsl-overlay').count() == 1
    assert re.search(r"\d+ 个错误，\d+ 个警告", page.inner_text(".bjsl-button"))
    page.hover('[data-container-id="review"] .bjsl-overlay')  # its messages, shown on hover
    overlay = page.inner_text('[data-container-id="review"] .bjsl-overlay')
    assert "不在任何泳道内" in overlay
    assert not re.findall(r"[A-Za-z]{3,}", overlay), overlay  # no rule codes, no English

    # drawing fixes it: the missing condition is typed in the panel and the issue goes away
    select(page, "no")
    field(page, "condition").fill('decision == "reject"')
    page.wait_for_function("() => !window.onesealModeler.get('linting')._issues['no']")
    # making the flow the default one needs no condition either
    field(page, "condition").fill("")
    page.wait_for_function("() => !!window.onesealModeler.get('linting')._issues['no']")
    field(page, "default-flow").check()
    page.wait_for_function("() => !window.onesealModeler.get('linting')._issues['no']")
    # a plain task added from the palette does nothing in the engine: the linter says so
    page.evaluate("""() => {
        const m = window.onesealModeler;
        const task = m.get("elementFactory").createShape({ type: "bpmn:Task" });
        m.get("modeling").createShape(task, { x: 500, y: 330 }, m.get("canvas").getRootElement());
    }""")
    page.wait_for_function("""() => Object.values(window.onesealModeler.get('linting')._issues).flat()
        .some(i => i.message.includes('普通任务') && i.category === 'warn')""")
    # a throw event without a definition is a milestone the engine passes through; a message one is not
    page.evaluate("""() => {
        const m = window.onesealModeler;
        const plain = m.get("elementFactory").createShape({ type: "bpmn:IntermediateThrowEvent" });
        m.get("modeling").createShape(plain, { x: 700, y: 330 }, m.get("canvas").getRootElement());
        const message = m.get("elementFactory").createShape({ type: "bpmn:IntermediateThrowEvent",
                                                              eventDefinitionType: "bpmn:MessageEventDefinition" });
        m.get("modeling").createShape(message, { x: 800, y: 330 }, m.get("canvas").getRootElement());
        window.lintProbe = { plain: plain.id, message: message.id };
    }""")
    page.wait_for_function("() => !!window.onesealModeler.get('linting')._issues[window.lintProbe.message]")
    issues = page.evaluate(ISSUES)
    probe = page.evaluate("window.lintProbe")
    assert "引擎只支持定时事件和终止结束事件" in " ".join(issues[probe["message"]])
    assert not any("不支持" in message for message in issues.get(probe["plain"], []))


PALETTE_OVERLAP = """() => {
    const palette = document.querySelector(".djs-palette").getBoundingClientRect();
    const hits = [];
    document.querySelectorAll(".djs-element").forEach((node) => {
        const id = node.dataset.elementId;
        const element = window.onesealModeler.get("elementRegistry").get(id);
        if (!element || !element.parent) return;  // the root
        const box = node.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) return;
        if (box.left < palette.right && box.right > palette.left && box.top < palette.bottom && box.bottom > palette.top)
            hits.push(id);
    });
    const canvas = document.querySelector("#canvas").getBoundingClientRect();
    return { hits, paletteRight: palette.right, canvasLeft: canvas.left, canvasWidth: canvas.width };
}"""


@pytest.mark.parametrize("width", [1366, 1024])
def test_the_palette_never_covers_the_diagram(designer_page, modeler_server, width):
    page = designer_page
    page.set_viewport_size({"width": width, "height": 768})
    for process_id in ("standard_promised", "construction_project", "parallel_approval"):
        open_model(page, modeler_server, model_for(modeler_server, process_id))
        found = page.evaluate(PALETTE_OVERLAP)
        assert found["hits"] == [], (process_id, width, found)
        assert found["canvasWidth"] > 500  # the canvas keeps room to draw beside the side panel
        assert page.is_visible("#properties-panel")


def test_deploy_asks_by_the_process_name_and_the_list_marks_the_version_in_force(designer_page, modeler_server):
    page = designer_page
    model = model_for(modeler_server, "immediate")
    open_model(page, modeler_server, model)
    assert "当前生效" in page.inner_text('#versions tr[data-version="1"]')
    page.evaluate("""() => {
        const m = window.onesealModeler;
        const task = m.get("elementRegistry").filter(e => e.type === "bpmn:UserTask")[0];
        m.get("modeling").updateLabel(task, task.businessObject.name + "（试行）");
    }""")
    version = save(page, "试行")

    page.click("#deploy-button")
    dialog = page.locator("#deploy-dialog")
    dialog.wait_for(state="visible")
    question = page.inner_text("#deploy-question")
    assert "即办件流程" in question and f"第 {version} 版" in question and "immediate" not in question
    page.click("#deploy-cancel")
    page.wait_for_selector("#status:has-text('已取消部署')")
    assert [v["version"] for v in versions(modeler_server, model) if v["active"]] == [1]

    page.click("#deploy-button")
    dialog.wait_for(state="visible")
    page.click("#deploy-confirm")
    page.wait_for_selector("#status:has-text('已部署')")
    assert "即办件流程" in page.inner_text("#status") and "immediate" not in page.inner_text("#status")
    page.wait_for_selector(f'#versions tr[data-version="{version}"]:has-text("当前生效")')
    assert page.locator("#versions tr:has-text('当前生效')").count() == 1
    assert [v["version"] for v in versions(modeler_server, model) if v["active"]] == [version]


def test_a_label_only_edit_shows_no_layout_change_in_the_diff(designer_page, modeler_server):
    page = designer_page
    model = model_for(modeler_server, "commitment_approval")
    open_model(page, modeler_server, model)
    page.evaluate("""() => {
        const m = window.onesealModeler;
        const registry = m.get("elementRegistry");
        m.get("modeling").updateLabel(registry.get("flow_to_approved_split"), "当场作出准予决定");
        m.get("modeling").updateLabel(registry.get("acceptance_gateway"), "受理并审查");
    }""")
    version = save(page, "只改文字")
    diff = modeler_server.api.get(f"/api/v1/process-models/{model}/diff?from=1&to={version}", as_user="designer").get_json()
    new = saved_xml(modeler_server, model, version)
    shape = new[new.index('bpmnElement="acceptance_gateway"') - 80:][:400]
    assert diff["moved"] == [] and diff["added"] == [] and diff["removed"] == [], shape
    assert {c["element_id"]: c["changes"] for c in diff["changed"]} == {
        "flow_to_approved_split": ["名称：当场准予 → 当场作出准予决定"],
        "acceptance_gateway": [f"名称：{diff_name(modeler_server, model)} → 受理并审查"]}
    page.select_option("#diff-select", "1")  # the same in the page: no layout line
    page.click("#diff-button")
    page.wait_for_selector("#diff h3")
    assert "位置" not in page.inner_text("#diff")


def diff_name(server: ModelerServer, model: int) -> str:
    xml = saved_xml(server, model, 1)
    return re.search(r'<bpmn:exclusiveGateway id="acceptance_gateway" name="([^"]*)"', xml).group(1)


def test_the_panel_and_the_linter_speak_chinese(designer_page, modeler_server):
    page = designer_page
    open_model(page, modeler_server, model_for(modeler_server, "standard_promised"))
    seen = {}
    for element_id in ("review_application", "flow_to_review", "review_gateway", "lane_review", "inspect_site",
                       "supplement_overdue", "withdrawn_end", "participant_standard_promised", "application_submitted"):
        select(page, element_id)
        page.wait_for_selector("#properties-panel .bio-properties-panel-group")
        seen[element_id] = sorted(_panel_words(page))
    assert all(not words for words in seen.values()), seen
    assert "系统" in page.inner_text("#versions")  # the shipped version's author, by name
    assert page.inner_text(".bjsl-button").strip() == "没有问题"  # the linter's summary


def _panel_words(page: Any, selector: str = "#properties-panel") -> set[str]:
    """English words a designer reads in ``selector``: what is typed in the fields is theirs, and
    values as the XML holds them are shown as code (examples, formats)."""
    text = page.evaluate("""(selector) => {
        const clone = document.querySelector(selector).cloneNode(true);
        clone.querySelectorAll("code, input, textarea, .bio-properties-panel-header-label").forEach((n) => n.remove());
        clone.querySelectorAll("select").forEach((select) => {
            const chosen = select.options[select.selectedIndex];
            select.replaceWith(chosen ? chosen.textContent : "");  // the options a list offers are checked apart
        });
        return clone.textContent;
    }""", selector)
    options = page.eval_on_selector_all(f"{selector} option", "nodes => nodes.map(n => n.textContent)")
    return {w for w in re.findall(r"(?<![A-Za-z0-9_.\-/])([A-Za-z][A-Za-z_]{2,})(?![A-Za-z0-9_\-])",
                                  text + " " + " ".join(options)) if w not in {"BPMN", "ID", "XML"}}


def test_the_shipped_diagrams_have_no_lint_errors(designer_page, modeler_server):
    """Our rules describe what the engine runs: every diagram it ships with passes them."""
    page = designer_page
    open_model(page, modeler_server, model_for(modeler_server, "immediate"))
    models = modeler_server.api.get("/api/v1/process-models", as_user="designer").get_json()["models"]
    shipped = {m["process_id"]: m["id"] for m in models if m["created_by"] == "system"}
    assert len(shipped) == len(list((ROOT / "processes").glob("*.bpmn")))
    errors = page.evaluate("""async (ids) => {
        const modeler = window.onesealModeler;
        const found = {};
        for (const [processId, id] of Object.entries(ids)) {
            const response = await fetch(`/modeler/api/process-models/${id}/versions/1/bpmn`);
            await modeler.importXML(await response.text());
            const results = await modeler.get("linting").lint();
            const errors = Object.values(results).flat().filter((issue) => issue.category === "error");
            if (errors.length) found[processId] = errors.map((issue) => `${issue.id}: ${issue.message}`);
        }
        return found;
    }""", shipped)
    assert errors == {}
