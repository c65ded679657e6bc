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
