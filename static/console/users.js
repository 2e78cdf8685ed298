/* Active users: the row selection that drives "Manage product licenses". */
(function () {
  "use strict";
  var lastTrigger = null;
  var lastTriggerId = "";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#users-table input[name='user']"));
  }

  function update() {
    var all = boxes();
    var checked = all.filter(function (box) { return box.checked; });
    var selectAll = document.getElementById("select-all");
    if (selectAll) {
      selectAll.checked = all.length > 0 && checked.length === all.length;
      selectAll.indeterminate = checked.length > 0 && checked.length < all.length;
    }
    all.forEach(function (box) {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("table-active", box.checked); }
    });
    var button = document.getElementById("manage-licenses");
    if (button) { button.disabled = checked.length === 0; }
    var count = document.getElementById("selection-count");
    if (count) {
      count.textContent = checked.length ? (count.getAttribute("data-template") || window.gettext("%s selected")).replace("%s", checked.length) : "";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      boxes().forEach(function (box) { box.checked = target.checked; });
      update();
    } else if (target.name === "user" && target.closest("#users-table")) {
      update();
    }
  });

  // Remember what opened the flyout, and give it focus back when the flyout closes.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target && event.detail.target.id === "flyout-body") {
      lastTrigger = event.detail.elt;
      lastTriggerId = lastTrigger.id || "";
    }
  });
  document.addEventListener("hidden.bs.offcanvas", function (event) {
    if (event.target.id !== "flyout") { return; }
    // The table may have been refreshed meanwhile: find the trigger again by its id.
    var again = lastTriggerId ? document.getElementById(lastTriggerId) : null;
    var target = again || (lastTrigger && document.body.contains(lastTrigger) ? lastTrigger : null);
    if (target) { target.focus(); }
  });
  // After the flyout's content is swapped (a tab, a Save), keep the keyboard focus inside
  // it: the button that had it may have been replaced, which would drop focus to <body>.
  document.addEventListener("htmx:afterSettle", function () {
    var flyout = document.getElementById("flyout");
    if (!flyout || !flyout.classList.contains("show") || flyout.contains(document.activeElement)) { return; }
    var panel = flyout.querySelector(".console-panel");
    var target = panel && (panel.querySelector("[data-focus-first]") || panel);
    if (target) { target.focus({ preventScroll: true }); }
  });
  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("DOMContentLoaded", update);
  update();
})();
