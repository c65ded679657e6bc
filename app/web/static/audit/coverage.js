// Draws each process diagram with the bpmn-js viewer and marks covered and uncovered
// elements. Without the viewer (not installed, or blocked) the tables below stay the record.
(function () {
  "use strict";
  function draw(holder) {
    var data = JSON.parse(holder.textContent);
    var container = holder.previousElementSibling;
    if (!data.xml || !container || typeof window.BpmnJS !== "function") {
      return;
    }
    container.hidden = false;
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(data.xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      data.covered.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "covered"); } });
      data.uncovered.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "uncovered"); } });
    }).catch(function () {
      container.hidden = true;
    });
  }
  window.addEventListener("load", function () {
    document.querySelectorAll("script.bpmn-coverage").forEach(draw);
  });
})();
