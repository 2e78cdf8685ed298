/* Billing pages: conditional payment fields, the auto-recharge switch, the balance chart,
   and payment forms that never hang on "Processing payment…". */
(function () {
  "use strict";

  // Fields marked data-show-when="a b" show only while the checked payment choice is a or b.
  function syncPaymentFields(form) {
    var checked = form.querySelector("input[name='payment']:checked");
    var value = checked ? checked.value.split(":")[0] : "";
    if (value === "card") { value = "saved_card"; }
    form.querySelectorAll("[data-show-when]").forEach(function (group) {
      var wanted = group.getAttribute("data-show-when").split(" ");
      group.hidden = wanted.indexOf(value) === -1;
    });
  }

  // The recharge amounts matter only while Auto-recharge is on.
  function syncRecharge(form) {
    var toggle = form.querySelector("input[name='auto_recharge'][type='checkbox']");
    var fields = form.querySelector("#recharge-fields");
    if (toggle && fields) { fields.hidden = !toggle.checked; }
  }

  // The set-up proposes a monthly recharge limit of N recharges ("data-proposed-limit"),
  // following "Recharge with" until the admin types a limit of their own (or clears it).
  function proposedLimit(limit, form) {
    var source = form.querySelector("[name='" + limit.getAttribute("data-proposed-from") + "']");
    // Thousands separators go, as the server reads them (README, "Typing amounts").
    var amount = source ? Number(source.value.trim().replace(/[\s\u00a0\u202f,]/g, "")) : NaN;
    if (!isFinite(amount) || amount <= 0) { return ""; }
    var times = Number(limit.getAttribute("data-proposed-limit"));
    return String(Math.round(amount * times * 100) / 100);
  }

  function syncProposedLimit(form, changed) {
    var limit = form.querySelector("[data-proposed-limit]");
    if (!limit) { return; }
    if (changed === limit) { limit.setAttribute("data-own-limit", ""); return; }
    if (limit.hasAttribute("data-own-limit")) { return; }
    if (!changed && limit.value && limit.value !== proposedLimit(limit, form)) {
      limit.setAttribute("data-own-limit", "");  // shown again with the admin's own value
      return;
    }
    if (!changed || changed.name === limit.getAttribute("data-proposed-from")) {
      limit.value = proposedLimit(limit, form);
    }
  }

  function lang() { return document.documentElement.lang || "en"; }

  function drawCharts(root) {
    if (!window.Chart) { return; }
    Object.values(window.Chart.instances || {}).forEach(function (chart) {
      if (!document.body.contains(chart.canvas)) { chart.destroy(); }
    });
    root.querySelectorAll("canvas[data-balance-chart]").forEach(function (canvas) {
      if (window.Chart.getChart(canvas)) { return; }
      var source = document.getElementById(canvas.getAttribute("data-balance-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var money = new Intl.NumberFormat(lang(), { style: "currency", currency: data.currency, maximumFractionDigits: 0 });
      var day = new Intl.DateTimeFormat(lang(), { month: "short", day: "numeric", timeZone: "UTC" });
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [{
            data: data.values.map(Number),
            borderColor: "#0f6cbd",
            backgroundColor: "rgba(15, 108, 189, 0.08)",
            borderWidth: 2,
            fill: true,
            stepped: true,
            // Only today's balance gets a dot, so a new account's first day shows too.
            pointRadius: data.values.map(function (_, i) { return i === data.values.length - 1 ? 3 : 0; }),
            pointHitRadius: 6
          }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                title: function (items) { return day.format(new Date(data.labels[items[0].dataIndex] + "T00:00:00Z")); },
                label: function (item) { return data.display[item.dataIndex]; }
              }
            }
          },
          scales: {
            x: {
              grid: { display: false },
              ticks: {
                maxTicksLimit: 7, maxRotation: 0,
                callback: function (value) { return day.format(new Date(data.labels[value] + "T00:00:00Z")); }
              }
            },
            y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } }
          }
        }
      });
    });
  }

  function setUp(root) {
    var forms = root.tagName === "FORM" ? [root] : Array.prototype.slice.call(root.querySelectorAll("form"));
    forms.forEach(function (form) {
      syncPaymentFields(form); syncRecharge(form); syncProposedLimit(form, null);
    });
    drawCharts(root);
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form) { return; }
    if (event.target.name === "payment") { syncPaymentFields(form); }
    if (event.target.name === "auto_recharge") { syncRecharge(form); }
  });

  document.addEventListener("input", function (event) {
    if (event.target.form) { syncProposedLimit(event.target.form, event.target); }
  });

  var INVALID_FIELD = "input[aria-invalid='true'], select[aria-invalid='true'], " +
    "textarea[aria-invalid='true'], input.is-invalid, select.is-invalid, textarea.is-invalid";

  // After a dialog in the flyout answers (a notice, an error), move the keyboard focus to
  // what it says, so screen readers announce it and the focus isn't lost with the form.
  document.addEventListener("htmx:afterSettle", function (event) {
    var flyout = document.getElementById("flyout");
    if (!flyout || !flyout.contains(event.detail.elt)) { return; }
    // A refused form: its first invalid field, so the admin can correct it at once.
    var first = flyout.querySelector(INVALID_FIELD) ||
      flyout.querySelector("[data-focus-first], .alert-danger");
    if (first) {
      if (!first.hasAttribute("tabindex")) { first.setAttribute("tabindex", "-1"); }
      first.focus({ preventScroll: false });
    }
  });

  // A payment form (data-payment-form) whose request gets no usable answer (a server
  // error, no connection, the minute of hx-request's timeout) says so on the form and
  // turns its busy button back into "Try again": the form still holds its one-time
  // token, so trying again is the same order and never a second charge. The answer to
  // that retry shows the order's state (paid, failed, or still pending).
  function paymentInterrupted(event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-payment-form]") : null;
    if (!form) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    form.querySelectorAll("button[data-busy-text]").forEach(function (button) {
      button.disabled = false;
      button.textContent = form.getAttribute("data-retry-label") || button.textContent;
    });
    window.consoleAlert(form, "payment-interrupted", "warning",
      form.getAttribute("data-interrupted") + (status ? " (HTTP " + status + ")" : ""));
  }

  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, paymentInterrupted);
  });

  if (window.htmx) {
    window.htmx.onLoad(function (element) { setUp(element); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { setUp(document.body); });
  }
})();
