/* Communications Credits console: small behaviours on top of Bootstrap and htmx. */
(function () {
  "use strict";
  // A link or button with hx-target="#flyout-body" opens the flyout panel before loading.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "flyout-body") {
      var flyout = document.getElementById("flyout");
      var title = event.detail.elt.getAttribute("data-flyout-title");
      if (title) { document.getElementById("flyout-title").textContent = title; }
      bootstrap.Offcanvas.getOrCreateInstance(flyout).show();
    }
  });
  // Buttons marked data-busy-text show progress and cannot be pressed twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    form.querySelectorAll("button[data-busy-text]").forEach(function (button) {
      button.disabled = true;
      button.innerHTML = '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>' +
        button.getAttribute("data-busy-text");
    });
  });
})();
