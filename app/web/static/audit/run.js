// A run as it goes: each scenario's steps passing or failing, refreshed until the run ends;
// the path a scenario's cases took, marked on the diagram.
import { el, renderResult, send } from "./workshop.js";

const app = document.getElementById("run-app");
const diagrams = JSON.parse(document.getElementById("run-diagrams").textContent);
const select = document.getElementById("diagram-select");
const canvas = document.getElementById("path-canvas");
let viewer = null;
let shown = { result: null, index: 0 };

async function draw() {
  const diagram = diagrams[shown.index];
  if (!diagram || !diagram.xml || typeof window.BpmnJS !== "function") return;
  if (!viewer) viewer = new window.BpmnJS({ container: canvas });
  await viewer.importXML(diagram.xml);
  const view = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  view.zoom("fit-viewport");
  const path = shown.result ? shown.result.path[diagram.process_id] : null;
  if (!path) return;
  [...path.flows, ...path.tasks].forEach((id) => { if (registry.get(id)) view.addMarker(id, "covered"); });
  canvas.dataset.marked = String(path.flows.length + path.tasks.length);
}

function showPath(result) {
  shown.result = result;
  const touched = Object.keys(result.path);
  const first = diagrams.findIndex((d) => touched.includes(d.process_id) && result.path[d.process_id].content_hash === d.content_hash);
  if (first >= 0) { shown.index = first; select.value = String(first); }
  document.getElementById("path-title").textContent = `场景“${result.name}”`;
  draw();
}

function render(run) {
  const box = document.getElementById("run-results");
  box.replaceChildren();
  run.results.forEach((result) => {
    const node = renderResult(result);
    if (Object.keys(result.path).length) {
      const button = el("button", "btn small secondary", "查看路径");
      button.type = "button";
      button.addEventListener("click", () => showPath(result));
      node.querySelector("h3").append(" ", button);
    }
    box.append(node);
  });
  const state = document.getElementById("run-state");
  state.textContent = run.status_label;
  state.className = `badge ${run.status}`;
  const p = run.progress;
  document.getElementById("run-progress").textContent =
    `场景 ${p.scenarios_done}/${p.scenarios}，步骤 ${p.steps_done}/${p.steps}`;
  app.dataset.status = run.status;
}

select.addEventListener("change", () => { shown.index = Number(select.value); draw(); });

let run = JSON.parse(document.getElementById("run-data").textContent);
render(run);
draw();
while (["queued", "running"].includes(run.status)) {
  await new Promise((resolve) => { window.setTimeout(resolve, 800); });
  const answer = await send("GET", app.dataset.api);
  if (!answer.ok) break;
  run = answer.data;
  render(run);
}
if (diagrams.length === 0 && run.results.some((r) => Object.keys(r.path).length)) window.location.reload();
