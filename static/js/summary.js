// The take-home summary: a print button (the phone's own "print / save as PDF"
// works without it; the button is hidden until this script shows it).
(function () {
  "use strict";
  var button = document.querySelector('[data-act="print"]');
  if (!button || typeof window.print !== "function") return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
