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
  // Esc closes the flyout wherever the focus is (Bootstrap closes it only while the focus
  // is inside), unless a menu or list inside it handles Esc first.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) { return; }
    var flyout = document.getElementById("flyout");
    if (!flyout || !flyout.classList.contains("show")) { return; }
    if (event.target.closest && event.target.closest(".dropdown-menu.show")) { return; }
    bootstrap.Offcanvas.getOrCreateInstance(flyout).hide();
  });
  // After a form in the flyout is refused, the focus goes to its first invalid field
  // (README, "Accessibility"), so the admin hears the error and can correct it at once.
  document.addEventListener("htmx:afterSettle", function (event) {
    var flyout = document.getElementById("flyout");
    if (!flyout || !flyout.contains(event.detail.elt)) { return; }
    var invalid = flyout.querySelector(
      "input[aria-invalid='true'], select[aria-invalid='true'], textarea[aria-invalid='true'], " +
      "input.is-invalid, select.is-invalid, textarea.is-invalid");
    if (invalid) { invalid.focus({ preventScroll: false }); }
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
