// Shows a process diagram read-only with bpmn-js (served from node_modules, no CDN).
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });

  // The diagram file, asked for again once if the server failed for a moment (5xx or no answer).
  function load(attemptsLeft) {
    return fetch(container.dataset.bpmnUrl, { credentials: "same-origin" }).then(
      function (response) {
        if (response.ok) { return response.text(); }
        if (response.status >= 500 && attemptsLeft > 0) { return retry(attemptsLeft); }
        throw new Error("HTTP " + response.status);
      },
      function (error) {
        if (attemptsLeft > 0) { return retry(attemptsLeft); }
        throw error;
      }
    );
  }

  function retry(attemptsLeft) {
    return new Promise(function (resolve) { setTimeout(resolve, 500); }).then(function () {
      return load(attemptsLeft - 1);
    });
  }

  load(1)
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () { viewer.get("canvas").zoom("fit-viewport"); container.dataset.loaded = "1"; })
    .catch(function (error) {
      // The reader's language from the page; the technical reason after it, for whoever reports it.
      container.textContent = container.dataset.loadError + " (" + error.message + ")";
      container.setAttribute("role", "alert");
    });
})();
