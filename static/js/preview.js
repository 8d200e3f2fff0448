/* POLICY-MAKER: the host's read-only preview of a phone (/host/<code>/preview/<pid>/).
 *
 * Loaded between live.js and player.js: it replaces PM.connect, so player.js draws
 * the player's own view (game/visibility.py player_view, from the page and then
 * polled every few seconds) exactly as the phone does, while nothing can be sent:
 * every action is refused here, before it could reach the server. No websocket is
 * opened, so the preview never shows the seat as online.
 */
(function () {
  "use strict";
  var PM = window.PM, gettext = PM.gettext;
  var data = JSON.parse(document.getElementById("preview-data").textContent);
  var url = document.getElementById("preview-script").getAttribute("data-url");
  var POLL = 3000;

  PM.connect = function (opts) {
    var client = { view: data.view, version: data.v, state: "online", preview: true };
    function draw() {
      try { opts.render(client.view, client); } catch (e) { if (window.console) console.error(e); }
    }
    client.send = function () {
      var err = new Error(gettext("This is a preview: nothing is sent."));
      PM.toast(err.message);
      return Promise.reject(err);
    };
    client.act = function () {
      PM.toast(gettext("This is a preview: nothing is sent."));
      return Promise.resolve(false);
    };
    client.queued = function () { return []; };  // nothing waits to be sent: nothing is sent

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fresh) {
          if (fresh && fresh.v !== client.version) {
            client.view = fresh.view;
            client.version = fresh.v;
            draw();
          }
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { setTimeout(poll, POLL); });
    }
    PM.setTimerSource(function () { return client.view && client.view.session && client.view.session.timer; });
    setTimeout(draw, 0);  // after player.js has set itself up
    setTimeout(poll, POLL);
    return client;
  };
})();
