// The one-time notice of a return for supplement shows only when 退回补正 is chosen; a ticked
// material asks for its reason. The server checks the same and answers next to the field.
(function () {
  "use strict";
  var form = document.getElementById("complete-form");
  var notice = document.querySelector("[data-notice]");
  if (!form || !notice) return;
  function sync() {
    var chosen = form.querySelector('input[name="decision"]:checked');
    notice.hidden = !(chosen && chosen.hasAttribute("data-return"));
    notice.querySelectorAll(".notice-row").forEach(function (row) {
      var box = row.querySelector('input[type="checkbox"]');
      row.querySelector('input[type="text"]').disabled = !box.checked;
    });
  }
  form.addEventListener("change", sync);
  sync();
})();

// 常用意见: a click puts the opinion into the box (at the cursor); 存为常用意见 keeps what is in
// the box for this step; × forgets one of one's own.
(function () {
  "use strict";
  var box = document.getElementById("common-opinions");
  var opinion = document.getElementById("opinion");
  if (!box || !opinion) return;
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function insert(text) {
    var start = opinion.selectionStart, end = opinion.selectionEnd;
    if (typeof start !== "number" || document.activeElement !== opinion) start = end = opinion.value.length;
    opinion.value = opinion.value.slice(0, start) + text + opinion.value.slice(end);
    opinion.focus();
    opinion.selectionStart = opinion.selectionEnd = start + text.length;
    opinion.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Accept": "application/json", "X-CSRF-Token": token } })
      .then(function (response) { return response.json().then(function (json) { return { ok: response.ok, body: json }; }); });
  }

  function say(text, bad) {
    var note = box.querySelector(".opinion-note") || document.createElement("span");
    note.className = "opinion-note small " + (bad ? "missing" : "supplied");
    note.setAttribute("role", "status");
    note.textContent = text;
    box.append(note);
  }

  box.addEventListener("click", function (event) {
    var chip = event.target.closest(".opinion-chip");
    if (chip) { insert(chip.dataset.text); return; }
    var remove = event.target.closest(".chip-remove");
    if (remove) {
      post(remove.dataset.remove, {}).then(function (result) {
        if (result.ok) remove.closest(".chip-wrap").remove();
        say(result.body.message || "", !result.ok);
      });
      return;
    }
    if (event.target.id === "keep-opinion") {
      post(event.target.dataset.url, { step: box.dataset.step, text: opinion.value }).then(function (result) {
        say(result.body.message || "", !result.ok);
        if (!result.ok || box.querySelector('.opinion-chip[data-text="' + CSS.escape(result.body.opinion.text) + '"]')) return;
        var wrap = document.createElement("span");
        wrap.className = "chip-wrap";
        var chip = document.createElement("button");
        chip.type = "button";
        chip.className = "chip opinion-chip";
        chip.dataset.text = result.body.opinion.text;
        chip.textContent = result.body.opinion.text.length > 24 ? result.body.opinion.text.slice(0, 23) + "…" : result.body.opinion.text;
        wrap.append(chip);
        box.insertBefore(wrap, event.target);
      });
    }
  });
})();
