// Shared by the modeler's pages: calls to /modeler/api and the rendering of findings.
// Text from diagrams (names, messages) is always set with textContent, never as HTML.

export const SEVERITY_LABELS = { error: "错误", warning: "警告", info: "提示" };

export async function send(method, url, { body, type, csrf } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (type) headers["Content-Type"] = type;
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch (err) {
    return { ok: false, status: 0, data: { message: "无法连接服务器，请稍后重试" } };
  }
  const isJson = (response.headers.get("Content-Type") || "").includes("json");
  const data = isJson ? await response.json() : null;
  return { ok: response.ok, status: response.status, data: data || { message: `请求失败（${response.status}）` } };
}

// The text of a BPMN file in the encoding it declares (bpmn-js reads strings, not bytes).
export function decodeXml(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  const head = new TextDecoder("latin1").decode(bytes.slice(0, 200));
  const declared = head.match(/^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/);
  try {
    return new TextDecoder(declared ? declared[1] : "utf-8").decode(bytes);
  } catch (err) {
    return new TextDecoder("utf-8").decode(bytes);
  }
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function findingItem(finding) {
  const item = el("li", `finding finding-${finding.severity}`);
  item.append(el("span", `badge finding-${finding.severity}`, SEVERITY_LABELS[finding.severity] || finding.severity));
  if (finding.element_id) {
    const where = finding.element_name ? `${finding.element_name}（${finding.element_id}）` : finding.element_id;
    item.append(" ", el("span", "finding-element", where));
  }
  item.append(el("div", "finding-message", finding.message));
  if (finding.line) item.append(el("div", "finding-line muted", `第 ${finding.line} 行`));
  item.title = finding.code;  // the machine code for support, never in front of the designer
  item.dataset.elementId = finding.element_id || "";
  return item;
}

export function localTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}
