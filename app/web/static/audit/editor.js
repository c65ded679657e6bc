// The scenario editor: completion from the step catalogue, live checking (each problem on its
// line), saving to the library and running in a sandbox with the steps shown as they go.
import { API, el, renderResult, send, startRun, status } from "./workshop.js";

const app = document.getElementById("editor-app");
const text = document.getElementById("scenario-text");
const gutter = document.getElementById("gutter");
const menu = document.getElementById("completions");
const problemsBox = document.getElementById("problems");
const readOnly = app.dataset.readOnly === "true";
const state = { catalogue: null, problems: [], choices: [], active: 0, checkTimer: null, checked: "",
  saved: app.dataset.scenarioId ? text.value : null };
text.readOnly = readOnly;

const KINDS = { "假如": "given", "假设": "given", "假定": "given", "当": "when", "那么": "then" };
const CONJUNCTIONS = ["而且", "并且", "同时", "但是"];

// ------------------------------------------------------------------ gutter and problems

function drawGutter() {
  const lines = text.value.split("\n").length;
  const bad = new Map(state.problems.map((p) => [p.line, p.message]));
  gutter.replaceChildren();
  for (let n = 1; n <= lines; n += 1) {
    const line = el("span", bad.has(n) ? "gutter-line bad" : "gutter-line", String(n));
    if (bad.has(n)) line.title = bad.get(n);
    line.dataset.line = String(n);
    gutter.append(line, "\n");
  }
  gutter.scrollTop = text.scrollTop;
}

function goToLine(line) {
  const lines = text.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  text.focus();
  text.setSelectionRange(start, start + (lines[line - 1] || "").length);
}

function showProblems(answer) {
  state.problems = answer.problems;
  problemsBox.replaceChildren();
  answer.problems.forEach((p) => {
    const item = el("li", `problem ${p.severity}`);
    item.dataset.line = String(p.line);
    item.append(el("span", "badge failed", `第 ${p.line} 行`), " ", el("span", "problem-message", p.message));
    item.addEventListener("click", () => goToLine(p.line));
    problemsBox.append(item);
  });
  document.getElementById("check-summary").textContent = answer.ok
    ? `没有问题：${answer.scenarios.length} 个场景可以运行` : `${answer.problems.length} 处问题`;
  app.dataset.checked = answer.ok ? "ok" : "problems";
  drawGutter();
}

function draft() {
  const select = document.getElementById("draft-select");
  if (!select || !select.value) return {};
  const [model, version] = select.value.split(":").map(Number);
  return { model_id: model, version };
}

async function check() {
  const body = text.value;
  if (!body.trim()) return;
  const answer = await send("POST", `${API}/scenarios/check`, { text: body, ...draft() });
  if (text.value !== body) return; // typed on meanwhile: the next check follows
  state.checked = body;
  if (!answer.ok) {
    return showProblems({ ok: false, scenarios: [], problems: [{ line: 1, severity: "error", message: answer.data.message }] });
  }
  showProblems(answer.data);
}

function scheduleCheck() {
  window.clearTimeout(state.checkTimer);
  state.checkTimer = window.setTimeout(check, 400);
}

// ------------------------------------------------------------------ completion

function caretLine() {
  const upto = text.value.slice(0, text.selectionStart);
  const start = upto.lastIndexOf("\n") + 1;
  const endAt = text.value.indexOf("\n", start);
  const end = endAt === -1 ? text.value.length : endAt;
  return { start, end, before: text.value.slice(start, text.selectionStart), line: text.value.slice(start, end) };
}

function previousKind(start) {
  const lines = text.value.slice(0, start).split("\n").reverse();
  for (const line of lines) {
    const trimmed = line.trim();
    for (const [word, kind] of Object.entries(KINDS)) if (trimmed.startsWith(word)) return kind;
  }
  return null;
}

function subsequence(needle, haystack) {
  let i = 0;
  for (const ch of haystack) if (i < needle.length && ch === needle[i]) i += 1;
  return i === needle.length;
}

function stepChoices(where) {
  const trimmed = where.before.trimStart();
  let keyword = Object.keys(KINDS).find((k) => trimmed.startsWith(k)) || CONJUNCTIONS.find((k) => trimmed.startsWith(k));
  if (!keyword) return [];
  const kind = KINDS[keyword] || previousKind(where.start);
  const typed = trimmed.slice(keyword.length).trim();
  if (typed.includes("“") && !typed.endsWith("”") && (typed.split("“").length > typed.split("”").length)) return [];
  const steps = state.catalogue.steps.filter((s) => !kind || s.kind === kind);
  const exact = steps.filter((s) => s.sentence.includes(typed) || s.example.includes(typed));
  const loose = steps.filter((s) => !exact.includes(s) && subsequence(typed, s.sentence));
  return [...exact, ...loose].slice(0, 12).map((s) => ({
    label: `${s.keyword}${s.sentence}`, detail: `${s.doc}　例：${s.example}`,
    insert: () => {
      const indent = where.line.match(/^\s*/)[0];
      const body = s.example.slice(s.keyword.length);
      return `${indent}${keyword}${body}`;
    },
  }));
}

function valueChoices(where) {
  const open = where.before.lastIndexOf("“");
  if (open === -1 || where.before.lastIndexOf("”") > open) return [];
  const typed = where.before.slice(open + 1);
  const seen = new Set();
  const found = [];
  Object.entries(state.catalogue.values).forEach(([, values]) => values.forEach((v) => {
    if (!seen.has(v) && v.includes(typed)) { seen.add(v); found.push(v); }
  }));
  return found.slice(0, 12).map((v) => ({
    label: v, detail: "", insert: () => {
      const after = where.line.slice(where.before.length);
      const close = after.indexOf("”");
      return `${where.before.slice(0, open + 1)}${v}${close === -1 ? `”${after}` : after.slice(close)}`;
    },
  }));
}

function closeMenu() {
  menu.hidden = true;
  state.choices = [];
}

function renderMenu() {
  menu.replaceChildren();
  state.choices.forEach((choice, index) => {
    const item = el("li", index === state.active ? "completion active" : "completion");
    item.setAttribute("role", "option");
    item.append(el("div", "completion-label", choice.label));
    if (choice.detail) item.append(el("div", "completion-detail muted", choice.detail));
    item.addEventListener("mousedown", (e) => { e.preventDefault(); accept(index); });
    menu.append(item);
  });
  menu.hidden = state.choices.length === 0;
}

function complete() {
  if (!state.catalogue || readOnly) return;
  const where = caretLine();
  state.choices = valueChoices(where);
  if (!state.choices.length) state.choices = stepChoices(where);
  state.active = 0;
  renderMenu();
}

function accept(index) {
  const choice = state.choices[index];
  if (!choice) return;
  const where = caretLine();
  const replacement = choice.insert();
  text.value = text.value.slice(0, where.start) + replacement + text.value.slice(where.end);
  const caret = where.start + replacement.length;
  text.setSelectionRange(caret, caret);
  closeMenu();
  drawGutter();
  scheduleCheck();
}

text.addEventListener("keydown", (e) => {
  if (menu.hidden) return;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    const step = e.key === "ArrowDown" ? 1 : -1;
    state.active = (state.active + step + state.choices.length) % state.choices.length;
    renderMenu();
  } else if (e.key === "Enter" || e.key === "Tab") {
    e.preventDefault();
    accept(state.active);
  } else if (e.key === "Escape") {
    closeMenu();
  }
});
text.addEventListener("input", () => { drawGutter(); complete(); scheduleCheck(); });
text.addEventListener("click", closeMenu);
text.addEventListener("blur", () => window.setTimeout(closeMenu, 150));
text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });

// ------------------------------------------------------------------ save and run

function fields() {
  return {
    name: document.getElementById("scenario-name").value,
    folder: document.getElementById("scenario-folder").value,
    tags: document.getElementById("scenario-tags").value,
    text: text.value,
    comment: (document.getElementById("comment-input") || { value: "" }).value,
  };
}

async function save() {
  const id = app.dataset.scenarioId;
  const body = fields();
  const answer = id
    ? await send("POST", `${API}/scenarios/${id}/versions`, { ...body, base_version: Number(app.dataset.version) })
    : await send("POST", `${API}/scenarios`, body);
  if (!answer.ok) return status(answer.data.message, "error");
  if (!id) {
    window.location.href = `${app.dataset.library}/${answer.data.id}`;
    return;
  }
  app.dataset.version = String(answer.data.version);
  state.saved = body.text;
  document.getElementById("comment-input").value = "";
  status(`已保存为第 ${answer.data.version} 版`, "ok");
}

async function follow(runId) {
  const panel = document.getElementById("run-panel");
  const results = document.getElementById("run-results");
  panel.hidden = false;
  const link = document.getElementById("run-link");
  link.textContent = `#${runId}`;
  link.href = `${app.dataset.runs}/${runId}`;
  for (;;) {
    const answer = await send("GET", `${API}/scenario-runs/${runId}`);
    if (!answer.ok) return status(answer.data.message, "error");
    const run = answer.data;
    const badge = document.getElementById("run-state");
    badge.textContent = run.status_label;
    badge.className = `badge ${run.status}`;
    results.replaceChildren(...run.results.map(renderResult));
    if (run.message) results.prepend(el("p", "why", run.message));
    if (!["queued", "running"].includes(run.status)) {
      app.dataset.runStatus = run.status;
      status(run.status === "passed" ? "运行结束：全部通过" : `运行结束：${run.status_label}`, run.status === "passed" ? "ok" : "error");
      return;
    }
    await new Promise((resolve) => { window.setTimeout(resolve, 700); });
  }
}

async function run() {
  app.dataset.runStatus = "";
  await check();
  if (state.problems.length) return status("场景有问题，改正后才能运行", "error");
  status("正在沙箱中运行……");
  // the saved scenario itself when unchanged (its results go to the library), else the text as it is
  const saved = app.dataset.scenarioId && state.saved === text.value;
  const started = await startRun(saved ? { scenario_ids: [Number(app.dataset.scenarioId)], ...draft() }
    : { text: text.value, ...draft() });
  if (started) await follow(started.id);
}

if (!readOnly) {
  document.getElementById("save-button").addEventListener("click", save);
  document.getElementById("run-button").addEventListener("click", run);
}
const select = document.getElementById("draft-select");
if (select) select.addEventListener("change", check);

const catalogue = await send("GET", `${API}/scenarios/steps`);
if (catalogue.ok) state.catalogue = catalogue.data;
drawGutter();
await check();
app.dataset.ready = "true";
