/* Reports > PSTN usage: the charts (drawn from json_script data, again after each htmx
   swap) and the custom range fields, shown only while "Custom range" is chosen. */
(function () {
  "use strict";

  var COLORS = {
    MCOPSTNPP: "#0f6cbd", MCOPSTN1: "#8764b8", MCOPSTN2: "#038387", MCOMEETADD: "#ca5010", free: "#a19f9d"
  };

  function lang() { return document.documentElement.lang || "en"; }
  // The strings drawn in the charts come from the JavaScript catalog (/jsi18n/, base.html).
  function minutes(value) { return window.interpolate(window.gettext("%s min"), [value]); }

  function syncRange(root) {
    var select = (root.querySelector ? root : document).querySelector("[data-usage-range]") ||
      document.querySelector("[data-usage-range]");
    if (!select) { return; }
    document.querySelectorAll("[data-custom-range]").forEach(function (field) {
      field.hidden = select.value !== "custom" && !field.querySelector(".is-invalid");
    });
  }

  function dayLabel(iso) {
    return new Intl.DateTimeFormat(lang(), { month: "short", day: "numeric", timeZone: "UTC" })
      .format(new Date(iso + "T00:00:00Z"));
  }

  function dailyChart(canvas, data, metric) {
    var money = metric === "amount" ? new Intl.NumberFormat(lang(), { style: "currency", currency: data.currency || "USD" }) : null;
    var series = data[metric] || [];
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels.map(dayLabel),
        datasets: series.map(function (s) {
          return { label: s.label, data: s.values.map(Number), backgroundColor: COLORS[s.key] || "#605e5c", stack: "paid" };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (item) {
            var value = money ? money.format(item.raw) : minutes(item.raw);
            return item.dataset.label + ": " + value;
          } } }
        },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
          y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return money ? money.format(v) : v; } } }
        }
      }
    });
  }

  function destinationsChart(canvas, data) {
    var money = new Intl.NumberFormat(lang(), { style: "currency", currency: data.currency });
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: canvas.getAttribute("data-amount-label") || window.gettext("Amount"), data: data.amount.map(Number), backgroundColor: COLORS.MCOPSTNPP, xAxisID: "x" },
          { label: canvas.getAttribute("data-minutes-label") || window.gettext("Minutes"), data: data.minutes, backgroundColor: "#c7e0f4", xAxisID: "x2" }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ": " + (item.datasetIndex === 0 ? money.format(item.raw) : minutes(item.raw));
          } } } },
        scales: {
          x: { position: "bottom", beginAtZero: true, ticks: { callback: function (v) { return money.format(v); } } },
          x2: { position: "top", beginAtZero: true, grid: { display: false } },
          y: { grid: { display: false } }
        }
      }
    });
  }

  function drawCharts() {
    if (!window.Chart) { return; }
    Object.values(window.Chart.instances || {}).forEach(function (chart) {
      if (!document.body.contains(chart.canvas)) { chart.destroy(); }
    });
    document.querySelectorAll("canvas[data-usage-chart]").forEach(function (canvas) {
      if (window.Chart.getChart(canvas)) { return; }
      var source = document.getElementById(canvas.getAttribute("data-source"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      if (!data) { return; }
      var kind = canvas.getAttribute("data-usage-chart");
      if (kind === "destinations") { destinationsChart(canvas, data); } else { dailyChart(canvas, data, kind); }
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-usage-range")) { syncRange(document); }
  });

  function setUp(root) { syncRange(root); drawCharts(); }

  if (window.htmx) {
    window.htmx.onLoad(function (element) { setUp(element); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { setUp(document.body); });
  }
})();
