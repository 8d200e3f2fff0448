/* POLICY-MAKER: a new device waits for the host to give it its seat back
 * (/join/wait/<code>/). Asks the server every 2 s; moves on by itself once the
 * host has confirmed, and says so when the request was declined. */
(function () {
  "use strict";
  var box = document.getElementById("wait");
  if (!box) return;
  var gettext = window.gettext || function (s) { return s; };
  var status = box.querySelector('[data-testid="wait-status"]');
  var url = box.getAttribute("data-status-url");
  var EVERY = 2000;

  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { state: "error" }; })
      .then(function (data) {
        if (data.state === "confirmed") {
          status.textContent = gettext("The host said yes. Opening the game …");
          location.href = data.url;
        } else if (data.state === "gone") {
          status.innerHTML = "";
          var p = document.createElement("span");
          p.textContent = gettext("The host did not give you this seat. Talk to the host, or join again.") + " ";
          var a = document.createElement("a");
          a.href = box.getAttribute("data-join-url");
          a.className = "button button-primary";
          a.textContent = gettext("Back to the join page");
          status.appendChild(p);
          status.appendChild(a);
        } else {
          setTimeout(check, EVERY);
        }
      }, function () { setTimeout(check, EVERY * 2); });  // offline for a moment: keep asking
  }
  setTimeout(check, EVERY);
})();
