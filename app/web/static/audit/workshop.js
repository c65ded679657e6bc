// Shared by the workshop's pages: calls to /audit/workshop/api with the session's CSRF token.
// Text from scenarios and results is always set with textContent, never as HTML.

export const csrf = document.querySelector('meta[name="csrf-token"]').content;

export async function send(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") { headers["X-CSRF-Token"] = csrf; headers["Content-Type"] = "application/json"; }
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin" });
  } catch (err) {
    return { ok: false, status: 0, data: { message: "无法连接服务器，请稍后重试" } };
  }
  const isJson = (response.headers.get("Content-Type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  return { ok: response.ok, status: response.status, data: data || { message: `请求失败（${response.status}）` } };
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function status(message, kind) {
  const box = document.getElementById("workshop-status");
  if (!box) return;
  box.textContent = message;
  box.className = kind ? `workshop-status ${kind}` : "workshop-status";
}

export const STEP_LABELS = { passed: "通过", failed: "失败", not_run: "未执行", running: "运行中", undefined: "未定义" };
export const SCENARIO_LABELS = { passed: "通过", failed: "失败", error: "出错", not_run: "未运行", running: "运行中" };
export const API = "/audit/workshop/api";

export async function startRun(body) {
  const answer = await send("POST", `${API}/scenario-runs`, body);
  if (!answer.ok) {
    status(answer.data.message || "运行未能开始", "error");
    return null;
  }
  return answer.data;
}

// One scenario's result: each step with its status; for a failure, what was expected and what happened.
export function renderResult(result) {
  const box = el("div", `scenario-result ${result.status}`);
  box.dataset.resultId = result.id;
  const head = el("h3", "", `场景：${result.name}`);
  head.append(" ", el("span", `badge ${result.status}`, SCENARIO_LABELS[result.status] || result.status));
  box.append(head);
  if (result.example && Object.keys(result.example).length) {
    box.append(el("p", "muted", "例子：" + Object.entries(result.example).map(([k, v]) => `${k} = ${v}`).join("；")));
  }
  if (result.message) box.append(el("pre", "why", result.message));
  const list = el("ol", "run-steps");
  result.steps.forEach((step) => {
    const item = el("li", `run-step ${step.status}`);
    item.append(el("span", "kw", step.keyword), el("span", "", step.text), " ",
      el("span", `badge ${step.status}`, STEP_LABELS[step.status] || step.status));
    if (step.expected || step.actual) {
      const why = el("dl", "why");
      why.append(el("dt", "", "预期"), el("dd", "", step.expected || ""), el("dt", "", "实际"), el("dd", "", step.actual || ""));
      item.append(why);
    }
    list.append(item);
  });
  box.append(list);
  return box;
}
