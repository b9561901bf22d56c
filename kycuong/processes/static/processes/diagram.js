// Shows a process diagram read-only with bpmn-js (served from node_modules, no CDN).
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
  fetch(container.dataset.bpmnUrl, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () { viewer.get("canvas").zoom("fit-viewport"); container.dataset.loaded = "1"; })
    .catch(function (error) {
      container.textContent = container.getAttribute("aria-label") + ": " + error.message;
    });
})();
