// A <select data-autosubmit> (the language menu) submits its form as soon as it changes;
// without JavaScript its form keeps a Change button. No inline handler: the pages'
// Content-Security-Policy allows only the console's own script files.
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) { select.form.requestSubmit(); }
});
