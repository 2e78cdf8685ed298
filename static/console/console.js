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
      if (!button.hasAttribute("data-idle-html")) { button.setAttribute("data-idle-html", button.innerHTML); }
      button.disabled = true;
      button.innerHTML = '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>' +
        button.getAttribute("data-busy-text");
    });
  });
  // An alert (one per id) first in `place`, saying `text`, with the keyboard focus so that
  // screen readers announce it; also for billing.js's payment forms.
  window.consoleAlert = function (place, id, variant, text) {
    var alert = document.getElementById(id);
    if (!alert) {
      alert = document.createElement("div");
      alert.id = id;
      alert.setAttribute("role", "alert");
      alert.setAttribute("tabindex", "-1");
    }
    alert.className = "alert alert-" + variant;
    alert.textContent = text;
    if (place.firstChild !== alert) { place.insertBefore(alert, place.firstChild); }
    alert.focus({ preventScroll: false });
    return alert;
  };
  // A request that gets no usable answer (a server error, no connection, a timeout) is
  // said where the admin is looking: in the flyout when it came from there, else at the
  // top of the page; busy buttons turn back so the admin can try again (README,
  // "Accessibility"). Payment forms say it on the form itself (billing.js).
  function requestFailed(event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest || elt.closest("form[data-payment-form]")) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var form = elt.closest("form") || elt;
    form.querySelectorAll("button[data-idle-html]").forEach(function (button) {
      button.innerHTML = button.getAttribute("data-idle-html");
      button.disabled = false;
    });
    // (Not by its "show" class: Bootstrap sets it only once the slide-in has ended.)
    var flyout = document.getElementById("flyout");
    var inFlyout = flyout && flyout.contains(elt);
    var place = inFlyout ? document.getElementById("flyout-body") : document.getElementById("messages");
    if (!place) { return; }
    var message;
    if (status === 403) {
      message = window.gettext("Your role does not allow this action.");
    } else if (status === 404) {
      message = window.gettext("This item no longer exists. Reload the page to see what is there now.");
    } else if (status >= 400) {
      message = window.interpolate(window.gettext("The console could not finish this request (HTTP %s). Try again; if it keeps failing, reload the page."), [status]);
    } else {
      message = window.gettext("The console did not answer. Check your connection and try again.");
    }
    window.consoleAlert(place, "request-failed", "danger", message);
  }
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, requestFailed);
  });
  // Once a later request is answered, the warning is out of date: take it away.
  document.addEventListener("htmx:afterSwap", function () {
    var alert = document.getElementById("request-failed");
    if (alert) { alert.remove(); }
  });
})();
