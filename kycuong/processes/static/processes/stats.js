// The monthly share of cases handled early or on time, as a line chart.
(function () {
  "use strict";
  var canvas = document.getElementById("rate-chart");
  if (!canvas || !window.Chart || !canvas.dataset.labels) { return; }
  var values = canvas.dataset.values.split("|").map(function (v) { return v === "" ? null : parseFloat(v); });
  new window.Chart(canvas, {
    type: "line",
    data: { labels: canvas.dataset.labels.split("|"), datasets: [{ label: canvas.getAttribute("aria-label"), data: values }] },
    options: { scales: { y: { min: 0, max: 100 } } }
  });
})();
