// Edits a process diagram with the bpmn-js modeler, with a small panel for our attributes of a user task
// (performer role and unit, time limit), and posts the XML back to be checked and saved as a new version.
(function () {
  "use strict";
  var container = document.getElementById("modeler");
  if (!container || !window.BpmnJS) { return; }
  var modeler = new window.BpmnJS({ container: container, keyboard: { bindTo: document } });
  var panel = document.getElementById("step-properties");
  var selected = null;
  fetch(container.dataset.bpmnUrl, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () { modeler.get("canvas").zoom("fit-viewport"); container.dataset.loaded = "1"; })
    .catch(function (error) { container.textContent = error.message; });
  if (!panel) { return; }
  var inputs = panel.querySelectorAll("input[data-attr]");
  modeler.on("selection.changed", function (event) {
    var element = event.newSelection.length === 1 ? event.newSelection[0] : null;
    selected = element && element.type === "bpmn:UserTask" ? element : null;
    panel.hidden = !selected;
    inputs.forEach(function (input) {
      input.value = selected ? (selected.businessObject.get(input.dataset.attr) || "") : "";
    });
  });
  inputs.forEach(function (input) {
    input.addEventListener("change", function () {
      if (!selected) { return; }
      var properties = {};
      properties[input.dataset.attr] = input.value.trim() || undefined;
      modeler.get("modeling").updateProperties(selected, properties);
    });
  });
  document.getElementById("save-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    modeler.saveXML({ format: true }).then(function (result) {
      document.getElementById("xml").value = result.xml;
      form.submit();
    });
  });
})();
