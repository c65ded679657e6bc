import { API, send, startRun, status } from "./workshop.js";

const library = document.getElementById("library");

async function run(body) {
  status("正在提交运行……");
  const started = await startRun(body);
  if (started) window.location.href = `${library.dataset.runs}/${started.id}`;
}

document.querySelectorAll(".run-one").forEach((button) => {
  button.addEventListener("click", () => run({ scenario_ids: [Number(button.dataset.id)] }));
});
const all = document.getElementById("run-all");
if (all) all.addEventListener("click", () => run({ all: true }));
const byTag = document.getElementById("run-tag");
if (byTag) byTag.addEventListener("click", () => run({ tag: byTag.dataset.tag }));
const baseline = document.getElementById("import-baseline");
if (baseline) {
  baseline.addEventListener("click", async () => {
    const answer = await send("POST", `${API}/scenarios/baseline`, {});
    if (!answer.ok) return status(answer.data.message, "error");
    status(`已导入或更新 ${answer.data.imported} 个基线场景`, "ok");
    window.setTimeout(() => window.location.reload(), 600);
  });
}
