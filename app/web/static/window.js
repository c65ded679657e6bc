// The desk's search narrows the list of items and bundles as the clerk types (by code, name,
// and for a bundle the names of its items). Without JavaScript the 查找 button does the same.
(function () {
  "use strict";
  // 全部收齐: one tick for every material of the checklist (shown only where scripts run)
  var all = document.getElementById("all-received");
  if (all) {
    var boxes = document.querySelectorAll('#desk-materials input[name="materials"]');
    var sync = function () {
      all.checked = boxes.length > 0 && Array.prototype.every.call(boxes, function (b) { return b.checked; });
    };
    all.closest("label").hidden = false;
    all.addEventListener("change", function () {
      var wanted = all.checked;
      boxes.forEach(function (box) { box.checked = wanted; });
      all.checked = wanted;
      all.dispatchEvent(new Event("input", { bubbles: true }));  // the form's draft keeps it
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
    sync();
  }
  var search = document.getElementById("item-search");
  var select = document.getElementById("item_code");
  var count = document.getElementById("search-count");
  if (!search || !select) return;
  function filter() {
    var needle = search.value.trim().toLowerCase();
    var shown = 0;
    select.querySelectorAll("optgroup").forEach(function (group) {
      var visible = 0;
      group.querySelectorAll("option").forEach(function (option) {
        var match = !needle || option.dataset.search.indexOf(needle) !== -1;
        option.hidden = !match;
        if (match) visible += 1;
      });
      group.hidden = visible === 0;
      shown += visible;
    });
    if (count) count.textContent = needle ? "找到 " + shown + " 项，请在下拉列表中选择" : "";
  }
  search.addEventListener("input", filter);
  search.form.addEventListener("submit", function () {
    // one match is chosen at once; a choice the search hides is dropped
    var matches = Array.prototype.filter.call(select.options, function (o) { return o.value && !o.hidden; });
    var typed = search.value.trim().toLowerCase();
    // an item whose code or name is exactly what was typed wins over bundles that hold it
    var exact = matches.filter(function (o) { return o.dataset.exact && o.dataset.exact.split("|").indexOf(typed) !== -1; });
    exact.sort(function (a, b) { return (a.dataset.bundle ? 1 : 0) - (b.dataset.bundle ? 1 : 0); });
    if (typed && exact.length) select.value = exact[0].value;
    else if (typed && matches.length === 1) select.value = matches[0].value;
    else if (select.selectedOptions.length && select.selectedOptions[0].hidden) select.value = "";
  });
  if (search.value) filter();
})();
