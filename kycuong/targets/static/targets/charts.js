// Line charts of the targets pages. Each <canvas data-chart="..." data-source="id"> reads its figures from the
// json_script element with that id: labels, actual (cumulative %), and path (%) or goal (a value).
(function () {
  "use strict";
  const charts = [];
  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.source);
    if (!source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const datasets = [
      { label: canvas.dataset.actualLabel || "Thực hiện", data: data.actual, borderColor: "#b02a37", backgroundColor: "#b02a37", spanGaps: false, tension: 0.2 },
    ];
    if (data.path) {
      datasets.push({ label: canvas.dataset.pathLabel || "Lộ trình", data: data.path, borderColor: "#6c757d", borderDash: [6, 4], pointRadius: 0 });
    }
    if (data.goal !== undefined && data.goal !== null) {
      datasets.push({ label: canvas.dataset.goalLabel || "Mục tiêu", data: data.labels.map(() => data.goal), borderColor: "#198754", borderDash: [2, 3], pointRadius: 0 });
    }
    charts.push(new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } },
    }));
  }
  function init() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  window.kycuongCharts = charts;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
