// The case's process diagram (bpmn-js NavigatedViewer): completed steps green, current ones blue.
// A step inside a called process (现场核查, a bundle item's steps) marks the call activity that
// leads to it, with the number of steps open inside; clicking the call (or its button below the
// diagram) opens the called process's own diagram, and the path above leads back.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) return;
  var placeholder = box.querySelector(".placeholder");
  var pathBar = document.getElementById("diagram-path");
  var callBar = document.getElementById("diagram-calls");
  var trail = [];  // [{process, name}] from the case's own process to the one shown
  var viewer = null;
  var calls = {};

  function fail(message) {
    box.dataset.state = "failed";
    if (placeholder) placeholder.textContent = message;
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn quiet small";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function drawPath() {
    if (!pathBar) return;
    pathBar.hidden = trail.length < 2;
    pathBar.textContent = "";
    trail.forEach(function (step, index) {
      if (index) pathBar.appendChild(document.createTextNode(" › "));
      if (index === trail.length - 1) {
        var here = document.createElement("strong");
        here.textContent = step.name;
        pathBar.appendChild(here);
      } else {
        var back = document.createElement("a");
        back.href = "#diagram";
        back.textContent = step.name;
        back.addEventListener("click", function (event) {
          event.preventDefault();
          trail = trail.slice(0, index + 1);
          show(step.process);
        });
        pathBar.appendChild(back);
      }
    });
  }

  function drawCalls(source) {
    calls = {};
    if (!callBar) return;
    callBar.textContent = "";
    source.calls.forEach(function (call) {
      calls[call.element_id] = call;
      var note = call.state === "active" ? "（含当前环节）" : call.state === "done" ? "（已办理）" : "";
      var label = call.call_name && call.call_name !== call.name ? call.call_name + "（" + call.name + "）" : call.name;
      callBar.appendChild(button("查看子流程：" + label + note, function () { open(call); }));
    });
  }

  function open(call) {
    trail.push({ process: call.process_id, name: call.call_name || call.name });
    show(call.process_id);
  }

  function mark(source) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    function add(ids, marker) {
      ids.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, marker); });
    }
    add(source.completed, "step-done");
    add(source.active, "step-active");
    add(Object.keys(calls), "step-call");
    Object.keys(source.counts).forEach(function (id) {
      var n = source.counts[id];
      if (!registry.get(id) || (n < 2 && !calls[id])) return;
      var badge = document.createElement("span");
      badge.className = "step-count";
      badge.title = "进行中的环节 " + n + " 个";
      badge.textContent = String(n);
      overlays.add(id, { position: { top: -10, right: 10 }, html: badge });
    });
    return source.completed.length + source.active.length;
  }

  function show(process) {
    var url = box.dataset.source + (process && trail.length > 1 ? "?process=" + encodeURIComponent(process) : "");
    box.dataset.state = "loading";
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (source) {
        if (!trail.length) trail.push({ process: source.process_id, name: source.name || "主流程" });
        return viewer.importXML(source.xml).then(function () {
          drawCalls(source);
          var marked = mark(source);
          viewer.get("canvas").zoom("fit-viewport", "auto");
          if (placeholder) placeholder.remove();
          drawPath();
          box.dataset.process = source.process_id;
          box.dataset.marked = String(marked);
          box.dataset.state = "ready";
        });
      })
      .catch(function () { fail("流程图暂时无法显示"); });
  }

  if (typeof window.BpmnJS !== "function") {
    fail("流程图组件未安装（运行 make install），流程信息见下方办理过程。");
    return;
  }
  viewer = new window.BpmnJS({ container: box });
  viewer.get("eventBus").on("element.click", function (event) {
    var call = calls[event.element.id];
    if (call) open(call);
  });
  show(null);
})();
