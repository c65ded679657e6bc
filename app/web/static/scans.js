// Scanned materials beside the form: a scan opens in the panel (a PDF in the browser's own
// viewer, an image with zoom); without scripts the link opens it in a new tab.
(function () {
  "use strict";
  var viewer = document.getElementById("scan-viewer");
  if (!viewer) return;
  var frame = viewer.querySelector(".scan-frame");
  var title = document.getElementById("scan-title");
  var scale = 1;

  function zoom(step) {
    var image = frame.querySelector("img");
    if (!image) return;
    scale = Math.min(4, Math.max(0.25, scale + step * 0.25));
    image.style.width = (scale * 100) + "%";
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-scan]");
    if (link) {
      event.preventDefault();
      frame.textContent = "";
      scale = 1;
      var shown;
      if (link.dataset.type === "application/pdf") {
        shown = document.createElement("iframe");
        shown.title = link.textContent;
      } else {
        shown = document.createElement("img");
        shown.alt = link.textContent;
        shown.style.width = "100%";
      }
      shown.src = link.href;
      frame.append(shown);
      title.textContent = link.textContent;
      viewer.hidden = false;
      viewer.scrollIntoView({ block: "nearest" });
      return;
    }
    var button = event.target.closest("#scan-viewer button");
    if (!button) return;
    if (button.hasAttribute("data-close")) { viewer.hidden = true; frame.textContent = ""; }
    else zoom(Number(button.dataset.zoom));
  });
})();
