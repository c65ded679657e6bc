// The list of models: create a model from an uploaded .bpmn file (sent byte for byte) or a blank process.
import { el, findingItem, send } from "./common.js";

const box = document.getElementById("new-model");
const form = document.getElementById("new-model-form");
const result = document.getElementById("new-model-result");

function blankDiagram(name) {
  const id = "process_" + Math.random().toString(16).slice(2, 8);
  const title = name.replace(/[<>&"']/g, "");
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="definitions_${id}" targetNamespace="http://oneseal.example/bpmn">
  <bpmn:process id="${id}" name="${title}" isExecutable="true">
    <bpmn:startEvent id="${id}_start" name="申请提交" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_${id}">
    <bpmndi:BPMNPlane id="plane_${id}" bpmnElement="${id}">
      <bpmndi:BPMNShape id="shape_${id}_start" bpmnElement="${id}_start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.replaceChildren();
  const name = document.getElementById("model-name").value.trim();
  const file = document.getElementById("model-file").files[0];
  const body = file ? await file.arrayBuffer() : blankDiagram(name);
  const url = `${box.dataset.api}?name=${encodeURIComponent(name)}`;
  const answer = await send("POST", url, { body, type: "application/xml", csrf: box.dataset.csrf });
  if (answer.ok) {
    window.location.href = box.dataset.editBase + answer.data.id;
    return;
  }
  result.append(el("p", "error", answer.data.message));
  const list = el("ul", "findings");
  (answer.data.findings || []).forEach((f) => list.append(findingItem(f)));
  result.append(list);
});
