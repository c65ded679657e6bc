// Claim from 部门待办 without leaving the list: the row says who holds it, the counts follow.
// Without JavaScript the same form posts and the page reloads.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function bump(tab, delta) {
    var badge = document.querySelector('[data-count="' + tab + '"]');
    if (badge) badge.textContent = String(Math.max(0, parseInt(badge.textContent, 10) + delta));
  }

  document.querySelectorAll('form[data-partial="claim"]').forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": token }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        var row = form.closest("tr");
        var note = document.createElement("span");
        note.className = "small " + (result.ok ? "supplied" : "missing");
        note.setAttribute("role", "status");
        note.textContent = result.ok ? "已签收，转入我的待办 " : (result.body.message || "签收失败") + " ";
        note.tabIndex = -1;
        form.replaceWith(note);
        note.focus();  // focus stays where the clerk was working
        if (result.ok) { bump("department", -1); bump("mine", 1); row.classList.add("claimed"); }
      }).catch(function () {
        button.disabled = false;
        form.submit();
      });
    });
  });

  // Row shortcuts: J / K move between rows (the row's 办理 or 签收并办理 takes the focus),
  // Enter then opens or claims it; typing in a field is never taken for a shortcut.
  var actions = Array.prototype.slice.call(document.querySelectorAll("table.inbox .row-action"));
  document.addEventListener("keydown", function (event) {
    if (!actions.length || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var key = event.key.toLowerCase();
    if (key !== "j" && key !== "k") return;
    var at = actions.indexOf(document.activeElement);
    var next = key === "j" ? Math.min(actions.length - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1);
    actions[next].focus();
    actions[next].closest("tr").scrollIntoView({ block: "nearest" });
    event.preventDefault();
  });
})();
