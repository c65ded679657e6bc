// The case's process diagram (bpmn-js NavigatedViewer): completed steps green, current ones blue.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) return;
  var placeholder = box.querySelector(".placeholder");

  function fail(message) {
    box.dataset.state = "failed";
    if (placeholder) placeholder.textContent = message;
  }

  if (typeof window.BpmnJS !== "function") {
    fail("流程图组件未安装（运行 make install），流程信息见下方办理过程。");
    return;
  }
  fetch(box.dataset.source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (source) {
      var viewer = new window.BpmnJS({ container: box });
      return viewer.importXML(source.xml).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        function mark(ids, marker) {
          ids.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, marker); });
        }
        mark(source.completed, "step-done");
        mark(source.active, "step-active");
        canvas.zoom("fit-viewport", "auto");
        if (placeholder) placeholder.remove();
        box.dataset.state = "ready";
        box.dataset.marked = String(source.completed.length + source.active.length);
      });
    })
    .catch(function () { fail("流程图暂时无法显示"); });
})();
