/* Billing > Webhooks: the endpoint's destructive commands (Roll secret, Delete) ask first.
   A form marked data-confirm="question" is sent only once the question is answered OK;
   without JavaScript it is sent at once. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
