// Never lose typed work.
// 1. What is typed into a form that posts (an opinion, a notice, an applicant's details) is kept
//    in this tab's sessionStorage as it is typed. A post whose session has run out goes to the
//    login page and, after signing in, back to the form's page with ?draft=restore: the form is
//    filled in again from what was kept. A draft that was submitted and not sent back this way
//    is forgotten (the post went through), and closing the tab forgets everything.
// 2. A few minutes before the session idles out, a banner says so and offers 保持登录.
(() => {
  "use strict";
  const PREFIX = "oneseal:draft:";
  const WARN_BEFORE_S = 5 * 60;
  const SKIPPED_TYPES = new Set(["hidden", "password", "file", "submit", "button", "reset", "image"]);
  const restoring = new URLSearchParams(location.search).get("draft") === "restore";
  const here = (() => {
    const params = new URLSearchParams(location.search);
    params.delete("draft");
    const query = params.toString();
    return location.pathname + (query ? `?${query}` : "");
  })();

  const store = (() => {
    try { return window.sessionStorage; } catch { return null; }  // storage refused: no drafts
  })();

  function draftForms() {
    return [...document.querySelectorAll("form")].filter((form) => {
      const action = form.getAttribute("action") || "";
      return (form.method || "").toLowerCase() === "post" && !form.hasAttribute("data-no-draft")
        && !/\/(login|logout)$/.test(action);
    });
  }

  function keyOf(form, index) {
    // a form shown again at its post's address after a refusal keeps the same draft (data-draft-key)
    if (form.dataset.draftKey) return `${PREFIX}${form.dataset.draftKey}`;
    return `${PREFIX}${location.pathname}|${form.getAttribute("action") || ""}|${form.id || index}`;
  }

  function fields(form) {
    return [...form.elements].filter((el) => el.name && el.name !== "csrf_token" && !SKIPPED_TYPES.has(el.type));
  }

  function read(form) {
    const data = {};
    for (const el of fields(form)) {
      if (el.type === "checkbox" || el.type === "radio") data[`${el.name}=${el.value}`] = el.checked;
      else if (el.multiple) data[el.name] = [...el.selectedOptions].map((o) => o.value);
      else data[el.name] = el.value;
    }
    return data;
  }

  function fill(form, data) {
    let filled = 0;
    for (const el of fields(form)) {
      if (el.type === "checkbox" || el.type === "radio") {
        const key = `${el.name}=${el.value}`;
        if (key in data && el.checked !== data[key]) { el.checked = data[key]; filled += 1; }
      } else if (el.multiple && Array.isArray(data[el.name])) {
        for (const option of el.options) option.selected = data[el.name].includes(option.value);
        filled += 1;
      } else if (typeof data[el.name] === "string" && data[el.name] !== "" && el.value !== data[el.name]) {
        el.value = data[el.name];
        filled += 1;
      }
    }
    return filled;
  }

  function notice(form, text) {
    const note = document.createElement("div");
    note.className = "flash draft-restored";
    note.setAttribute("role", "status");
    note.textContent = text;
    form.prepend(note);
  }

  function keepDrafts() {
    if (!store) return;
    draftForms().forEach((form, index) => {
      const key = keyOf(form, index);
      const page = document.createElement("input");
      page.type = "hidden";
      page.name = "form_page";  // where to come back to if the session has run out
      page.value = here;
      form.append(page);
      const kept = store.getItem(key);
      if (kept) {
        let draft = null;
        try { draft = JSON.parse(kept); } catch { store.removeItem(key); }
        if (draft && draft.submitted && !restoring) store.removeItem(key);
        else if (draft && fill(form, draft.data || {})) notice(form, "已恢复您上次未提交的内容，请核对后提交。");
      }
      const save = (submitted) => {
        try { store.setItem(key, JSON.stringify({ data: read(form), submitted, at: Date.now() })); } catch { /* full */ }
      };
      form.addEventListener("input", () => save(false));
      form.addEventListener("change", () => save(false));
      form.addEventListener("submit", () => save(true));
    });
  }

  function warnBeforeIdle() {
    const idle = Number(document.body.dataset.idleSeconds || 0);
    if (!idle) return;
    const token = document.querySelector('meta[name="csrf-token"]')?.content || "";
    let banner = null;
    let timers = [];
    const clear = () => { timers.forEach(clearTimeout); timers = []; };
    const show = (text, withButton) => {
      if (!banner) {
        banner = document.createElement("div");
        banner.className = "alert session-warning";
        banner.setAttribute("role", "alert");
        document.querySelector("main")?.prepend(banner);
      }
      banner.textContent = text;
      if (withButton) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn small";
        button.textContent = "保持登录";
        button.addEventListener("click", keepAlive);
        banner.append(" ", button);
      }
    };
    const schedule = () => {
      clear();
      const warnIn = Math.max(0, idle - WARN_BEFORE_S) * 1000;
      timers.push(setTimeout(() => show(
        `您已较长时间未操作，登录将在 ${Math.round(Math.min(WARN_BEFORE_S, idle) / 60)} 分钟后过期。已填写的内容会保留在本页。`,
        true), warnIn));
      timers.push(setTimeout(() => show("登录已过期。提交时将先重新登录，已填写的内容会保留并自动恢复。", false),
        idle * 1000));
    };
    async function keepAlive() {
      try {
        const response = await fetch("/account/keep-alive", {
          method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": token },
        });
        if (response.status === 204) {
          banner?.remove();
          banner = null;
          schedule();
          return;
        }
      } catch { /* offline: say so below */ }
      show("登录已过期。提交时将先重新登录，已填写的内容会保留并自动恢复。", false);
    }
    schedule();
  }

  document.addEventListener("DOMContentLoaded", () => {
    keepDrafts();
    warnBeforeIdle();
  });
})();
