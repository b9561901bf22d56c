// The dashboard's charts: each <canvas data-module="..."> draws the series of that module's card from the
// json_script element "dashboard-charts" (label, unit, labels, values). Redrawn after an htmx swap.
(function () {
  "use strict";
  const drawn = new Map();
  function draw() {
    const source = document.getElementById("dashboard-charts");
    if (!source || typeof Chart === "undefined") return;
    const charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-module]").forEach(function (canvas) {
      const data = charts[canvas.dataset.module];
      if (!data) return;
      if (drawn.has(canvas)) drawn.get(canvas).destroy();
      const line = data.unit === "%" && data.labels.length > 4;
      drawn.set(canvas, new Chart(canvas, {
        type: line ? "line" : "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: data.label, data: data.values, borderColor: "#0b5394", backgroundColor: line ? "#0b5394" : "#6f9fd8", tension: 0.2 }],
        },
        options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
      }));
    });
  }
  window.kycuongDashboard = drawn;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
