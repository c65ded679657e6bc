// The modeler of one process model: bpmn-js in Chinese, with validation findings shown on the
// elements they concern, versions, deployment and differences between versions.
import { decodeXml, el, findingItem, localTime, send, SEVERITY_LABELS } from "./common.js";
import { EXTRA_LABELS, typeLabel } from "./labels.js";

const app = document.getElementById("modeler-app");
const api = `${app.dataset.api}/${app.dataset.modelId}`;
const csrf = app.dataset.csrf;
const canEdit = app.dataset.canEdit === "true";
const $ = (id) => document.getElementById(id);

function translator(table) {
  return (template, replacements = {}) =>
    (table[template] || typeLabel(template) || template).replace(/{([^}]+)}/g, (all, key) =>
      replacements[key] !== undefined ? replacements[key] : all);
}

// The panel asks the server about each condition as the designer types it.
async function checkExpression(expression) {
  const answer = await send("POST", `${app.dataset.api}/expressions/check`,
    { body: JSON.stringify({ expression }), type: "application/json", csrf });
  return answer.ok ? answer.data : { valid: false, message: answer.data.message };
}

const zh = (await import(app.dataset.i18n)).default;
const modeler = window.OneSealModeler.createModeler({
  container: "#canvas",
  panel: "#properties-panel",
  translate: { translate: ["value", translator({ ...zh, ...EXTRA_LABELS })] },
  oneseal: { vocabulary: JSON.parse(app.dataset.vocabulary), checkExpression },
});
window.onesealModeler = modeler; // for the browser tests and the console

const state = { version: Number(app.dataset.version) || null, versions: [], dirty: false, marked: [] };

function status(message, kind = "info") {
  const box = $("status");
  box.className = `status status-${kind}`;
  box.textContent = message;
}

function setDirty(dirty) {
  state.dirty = dirty;
  $("dirty-flag").hidden = !dirty;
}

// ------------------------------------------------------------------ findings on the canvas

function shapeFor(elementId) {
  const registry = modeler.get("elementRegistry");
  const direct = registry.get(elementId);
  if (direct && direct.parent) return direct;
  // a process is drawn as its pool (participant)
  return registry.filter((e) => e.businessObject && e.businessObject.processRef
    && e.businessObject.processRef.id === elementId)[0] || null;
}

function clearMarks() {
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  modeler.get("overlays").remove({ type: "oneseal" });
  state.marked.filter(([id]) => registry.get(id)).forEach(([id, marker]) => canvas.removeMarker(id, marker));
  state.marked = [];
}

function mark(shape, marker) {
  modeler.get("canvas").addMarker(shape.id, marker);
  state.marked.push([shape.id, marker]);
}

function focus(elementId) {
  const shape = elementId && shapeFor(elementId);
  if (!shape) return;
  modeler.get("selection").select(shape);
  modeler.get("canvas").scrollToElement(shape);
}

function showFindings(findings) {
  clearMarks();
  const list = $("findings");
  list.replaceChildren();
  const counts = { error: 0, warning: 0, info: 0 };
  const byShape = new Map();
  findings.forEach((finding) => {
    counts[finding.severity] += 1;
    const item = findingItem(finding);
    item.addEventListener("click", () => focus(finding.element_id));
    list.append(item);
    const shape = finding.element_id && shapeFor(finding.element_id);
    if (shape) byShape.set(shape, [...(byShape.get(shape) || []), finding]);
  });
  byShape.forEach((items, shape) => {
    const worst = ["error", "warning", "info"].find((s) => items.some((f) => f.severity === s));
    mark(shape, `finding-${worst}`);
    const badge = el("div", `finding-overlay finding-${worst}`, `${SEVERITY_LABELS[worst]} ${items.length}`);
    badge.title = items.map((f) => f.message).join("\n");
    modeler.get("overlays").add(shape.id, "oneseal", { position: { top: -14, right: 14 }, html: badge });
  });
  $("findings-summary").textContent = findings.length
    ? `错误 ${counts.error} · 警告 ${counts.warning} · 提示 ${counts.info}` : "没有发现问题";
}

function showRefusal(answer) {
  status(answer.data.message, "error");
  if (answer.data.findings) showFindings(answer.data.findings);
}

// ------------------------------------------------------------------ versions

function renderVersions() {
  const select = $("version-select");
  const other = $("diff-select");
  const body = $("versions");
  select.replaceChildren();
  other.replaceChildren();
  body.replaceChildren();
  state.versions.forEach((v) => {
    const label = `第 ${v.version} 版`;
    select.append(new Option(label, v.version, false, v.version === state.version));
    other.append(new Option(label, v.version));
    const row = el("tr");
    row.dataset.version = v.version;
    if (v.version === state.version) row.className = "current";
    const deployed = v.deployments.map((d) => `已部署为流程第 ${d.process_version} 版`).join("，");
    const cell = el("td", "", deployed || (v.deployable ? "可部署" : "有错误"));
    if (v.active) {
      row.classList.add("active");
      cell.prepend(el("span", "badge active", "当前生效"), " ");
    }
    row.append(el("td", "", label), el("td", "muted", localTime(v.created_at)), el("td", "", v.author_name || v.author),
      el("td", "", v.comment), cell);
    body.append(row);
  });
  const previous = state.versions.find((v) => v.version < state.version);
  if (previous) other.value = previous.version;
  $("download-link").href = state.version ? `${api}/versions/${state.version}/bpmn?download=1` : "#";
}

async function loadVersions() {
  const answer = await send("GET", `${api}/versions`);
  if (!answer.ok) return status(answer.data.message, "error");
  state.versions = answer.data.versions;
  renderVersions();
}

async function openVersion(version) {
  const response = await fetch(`${api}/versions/${version}/bpmn`, { credentials: "same-origin" });
  if (!response.ok) return status(`无法读取第 ${version} 版（${response.status}）`, "error");
  try {
    const { warnings } = await modeler.importXML(decodeXml(await response.arrayBuffer()));
    if (!state.opened) window.OneSealModeler.fitClearOfPalette(modeler); // later versions keep the view
    state.opened = true;
    state.version = version;
    setDirty(false);
    history.replaceState(null, "", `?version=${version}`);
    status(warnings.length ? `第 ${version} 版已打开（${warnings.length} 处图形警告）` : `第 ${version} 版已打开`);
    app.dataset.imported = String(version);
  } catch (err) {
    status(`第 ${version} 版无法显示：${err.message}`, "error");
    app.dataset.importError = err.message;
  }
  renderVersions();
  const current = state.versions.find((v) => v.version === version);
  showFindings(current ? current.findings : []);
}

// ------------------------------------------------------------------ actions

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

async function validate() {
  const answer = await send("POST", `${app.dataset.api}/validate`,
    { body: await currentXml(), type: "application/xml", csrf });
  if (!answer.ok) return showRefusal(answer);
  showFindings(answer.data.findings);
  status(answer.data.deployable ? "校验通过，可以部署" : "校验发现错误，修正后才能部署",
    answer.data.deployable ? "ok" : "error");
  // a saved, deployable version is also checked against the auditors' scenarios for its process
  if (canEdit && answer.data.deployable && !state.dirty && state.version) {
    const gate = await gateCheck(state.version);
    if (gate.ok) showGate(gate.data);
  }
}

async function storeVersion(body, comment) {
  const url = `${api}/versions?comment=${encodeURIComponent(comment)}`;
  const answer = await send("POST", url, { body, type: "application/xml", csrf });
  if (!answer.ok) return showRefusal(answer);
  state.version = answer.data.version;
  await loadVersions();
  await openVersion(answer.data.version);
  status(`已保存为第 ${answer.data.version} 版` + (answer.data.deployable ? "" : "（有错误，暂不能部署）"),
    answer.data.deployable ? "ok" : "warning");
}

async function save() {
  const comment = $("comment-input").value.trim();
  await storeVersion(await currentXml(), comment);
  $("comment-input").value = "";
}

async function upload(file) {
  // the file is stored exactly as it is, then opened
  await storeVersion(await file.arrayBuffer(), `上传文件 ${file.name}`.slice(0, 500));
}

// The auditors' scenarios for this process run against the version before it goes live: the
// result is shown here; deploying over a failing scenario needs a reason (kept in the audit trail).
async function gateCheck(version) {
  const url = `${api}/versions/${version}/scenario-check`;
  let answer = await send("GET", url);
  if (!answer.ok) return answer;
  if (answer.data.state === "unchecked") {
    status("正在用审计场景检查此版本……");
    answer = await send("POST", url, { body: "{}", type: "application/json", csrf });
    if (!answer.ok) return answer;
  }
  while (answer.ok && answer.data.state === "running") {
    showGate(answer.data);
    await new Promise((resolve) => { window.setTimeout(resolve, 800); });
    answer = await send("GET", url);
  }
  return answer;
}

function showGate(gate) {
  const panel = $("gate-panel");
  panel.hidden = gate.state === "none";
  const labels = { unchecked: "未检查", running: "检查中", passed: "全部通过", failed: "有场景未通过" };
  $("gate-state").textContent = labels[gate.state] || gate.state;
  $("gate-state").className = `badge ${gate.state}`;
  const list = $("gate-results");
  list.replaceChildren();
  const results = gate.run && gate.run.results ? gate.run.results : [];
  results.forEach((r) => {
    const item = el("li", `finding gate-${r.status}`);
    item.dataset.status = r.status;
    const link = el("a", "", `${r.feature} / ${r.name}`);
    link.href = `${app.dataset.runs}/${gate.run.id}`;
    item.append(el("span", `badge ${r.status}`, { passed: "通过", failed: "失败", error: "出错" }[r.status] || r.status), " ", link);
    const failed = r.steps.find((s) => s.status === "failed");
    if (failed) item.append(el("div", "finding-message", `${failed.keyword}${failed.text}：${failed.actual || ""}`));
    list.append(item);
  });
  $("gate-summary").textContent = gate.run
    ? `针对“${processName()}”流程的场景 ${results.length} 个，运行 #${gate.run.id}` : "";
  $("gate-override").hidden = gate.state !== "failed";
}

async function deployNow(overrideReason) {
  const comment = $("comment-input").value.trim();
  const body = overrideReason ? { comment, override_reason: overrideReason } : { comment };
  const answer = await send("POST", `${api}/versions/${state.version}/deploy`,
    { body: JSON.stringify(body), type: "application/json", csrf });
  if (!answer.ok) return showRefusal(answer);
  showFindings(answer.data.findings);
  const name = processName();
  status(answer.data.created
    ? `已部署：“${name}”流程第 ${answer.data.process_version} 版，新办件将按此版本办理`
    : `此版本已是“${name}”当前生效的流程第 ${answer.data.process_version} 版`, "ok");
  $("gate-override").hidden = true;
  await loadVersions();
}

// The process's name in Chinese (from the diagram of the open version), never its id.
function processName() {
  const current = state.versions.find((v) => v.version === state.version);
  return (current && current.process_name) || $("model-name").textContent;
}

// Deploying changes how new cases run: the designer confirms, reading the process's name.
function confirmDeploy() {
  const current = state.versions.find((v) => v.version === state.version);
  if (!current || !current.deployable) return Promise.resolve(true); // the server refuses it and says why
  const name = processName();
  $("deploy-question").textContent = `确定将“${name}”的第 ${state.version} 版部署为生效版本吗？`;
  const dialog = $("deploy-dialog");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

async function deploy() {
  if (state.dirty) return status("有未保存的修改：请先保存为新版本，再部署", "warning");
  if (!(await confirmDeploy())) return status("已取消部署");
  const gate = await gateCheck(state.version);
  if (!gate.ok) return showRefusal(gate);
  showGate(gate.data);
  if (gate.data.state === "failed") {
    return status(`有 ${gate.data.failing.length} 个审计场景未通过：修正流程，或填写理由后“仍要部署”`, "error");
  }
  await deployNow(null);
}

async function deployOverFailing() {
  const reason = $("gate-reason").value.trim();
  if (!reason) return status("请填写越过未通过的场景部署的理由", "warning");
  await deployNow(reason);
}

async function showDiff() {
  if (state.dirty) return status("有未保存的修改：请先保存，再与其他版本对比", "warning");
  const from = Number($("diff-select").value);
  const answer = await send("GET", `${api}/diff?from=${from}&to=${state.version}`);
  if (!answer.ok) return status(answer.data.message, "error");
  await openVersion(state.version);
  const box = $("diff");
  box.replaceChildren();
  const groups = [["added", "新增", "diff-added"], ["changed", "修改", "diff-changed"], ["removed", "删除", "diff-removed"]];
  groups.forEach(([key, label, marker]) => {
    const items = answer.data[key];
    box.append(el("h3", "", `${label}（${items.length}）`));
    const list = el("ul", "diff-list");
    items.forEach((item) => {
      const line = el("li", marker, `${item.name || item.type}（${item.element_id}）`);
      if (item.changes) item.changes.forEach((c) => line.append(el("div", "muted", c)));
      line.addEventListener("click", () => focus(item.element_id));
      list.append(line);
      const shape = key !== "removed" && shapeFor(item.element_id);
      if (shape) mark(shape, marker);
    });
    box.append(list);
  });
  if (answer.data.moved.length) box.append(el("p", "muted", `另有 ${answer.data.moved.length} 个元素的位置或连线走向有变化`));
  status(`第 ${from} 版 → 第 ${state.version} 版的差异已标在图上`);
}

// ------------------------------------------------------------------ wiring

modeler.on("commandStack.changed", () => setDirty(true));
$("version-select").addEventListener("change", (e) => {
  if (state.dirty && !window.confirm("有未保存的修改，切换版本将丢弃这些修改。继续？")) {
    e.target.value = state.version;
    return;
  }
  openVersion(Number(e.target.value));
});
$("validate-button").addEventListener("click", validate);
$("diff-button").addEventListener("click", showDiff);
if (canEdit) {
  $("save-button").addEventListener("click", save);
  $("deploy-button").addEventListener("click", deploy);
  $("gate-deploy").addEventListener("click", deployOverFailing);
  $("upload-input").addEventListener("change", (e) => {
    if (e.target.files[0]) upload(e.target.files[0]);
    e.target.value = "";
  });
}
window.addEventListener("beforeunload", (e) => {
  if (state.dirty) e.preventDefault();
});

await loadVersions();
if (state.version) await openVersion(state.version);
app.dataset.ready = "true";
