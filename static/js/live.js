/* POLICY-MAKER: the shared live client (no framework, no build step).
 *
 * PM.connect({path, render, code}) opens the page's websocket and keeps the
 * viewer's view: a "snapshot" replaces it, an "event" with the next version
 * applies its patches, an older one is ignored and a gap asks for a "sync".
 * It reconnects by itself (exponential backoff with full jitter), pings every
 * 2 s, and shows the connection in the badge #conn (text, not only colour).
 * Actions carry an op_id and wait in a queue until the server answers them:
 * made offline they are sent when the connection is back, and a resend is
 * applied once (see docs/protocol.md, "Actions and op_id").
 *
 * PM.update(container, blocks) renders keyed blocks of HTML and replaces only
 * the blocks whose HTML changed, keeping focus, the caret and the text a
 * person is typing (drafts are kept in memory by their data-draft key).
 */
(function () {
  "use strict";

  // The catalog (/jsi18n/) defines window.gettext and friends; without it, English.
  var catalog = window.gettext ? { gettext: window.gettext, ngettext: window.ngettext } : null;
  var gettext = function (s) { return catalog ? catalog.gettext(s) : s; };
  var fmt = function (s, obj) {
    return window.interpolate ? window.interpolate(s, obj, true)
      : s.replace(/%\((\w+)\)s/g, function (_m, k) { return obj[k]; });
  };
  var ngettext = function (one, many, n) {
    return catalog ? catalog.ngettext(one, many, n) : (n === 1 ? one : many);
  };

  function esc(value) {
    return String(value == null ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* Text with blank lines as paragraphs and single line breaks kept. */
  function paras(text) {
    return String(text || "").trim().split(/\n\s*\n/).map(function (p) {
      return "<p>" + esc(p).replace(/\n/g, "<br>") + "</p>";
    }).join("");
  }

  // --- toast: one polite alert region per page ------------------------------------------

  var toastTimer = null;
  function toast(message, kind) {
    var box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      box.className = "toast";
      box.setAttribute("role", "alert");
      box.setAttribute("data-testid", "toast");
      document.body.appendChild(box);
    }
    box.className = "toast toast-" + (kind || "error") + " is-shown";
    box.innerHTML = '<span class="toast-text"></span>' +
      '<button type="button" class="toast-close" aria-label="' + esc(gettext("Close")) + '">×</button>';
    box.querySelector(".toast-text").textContent = message;
    box.querySelector(".toast-close").onclick = function () { box.className = "toast"; };
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.className = "toast"; }, 7000);
  }

  /* Take down a toast of this kind (the "offline" note once back online). */
  function untoast(kind) {
    var box = document.getElementById("toast");
    if (box && box.classList.contains("toast-" + kind)) box.className = "toast";
  }

  // --- time: the server's clock, corrected for this device's -------------------------------

  var serverMeta = document.querySelector('meta[name="server-time"]');
  var serverTime = parseFloat(serverMeta ? serverMeta.getAttribute("content") : "");
  // Seconds to add to this device's clock to get the server's (phones are often off).
  var skew = isNaN(serverTime) ? 0 : serverTime - Date.now() / 1000;

  function remaining(timer) {
    if (!timer) return 0;
    if (timer.ends_at == null) return Math.max(0, Math.round(timer.remaining));
    return Math.max(0, Math.ceil(timer.ends_at - (Date.now() / 1000 + skew)));
  }

  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  /* Every [data-timer] element shows the current view's timer, once a second. */
  var timerSource = null;
  function paintTimers() {
    if (!timerSource) return;
    var timer = timerSource();
    if (!timer) return;
    var left = remaining(timer);
    var nodes = document.querySelectorAll("[data-timer]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var text = clock(left);
      var state = timer.ends_at != null ? (left > 0 ? "running" : "up") : (left > 0 ? "paused" : "up");
      if (state === "paused" && timer.started === false) state = "idle";  // never started this round
      var label = state === "running" ? gettext("Time left") : state === "paused" ? gettext("Paused")
        : state === "idle" ? gettext("Not started") : gettext("Time is up");
      var valueEl = el.querySelector(".timer-value");
      var labelEl = el.querySelector(".timer-label");
      if (valueEl && valueEl.textContent !== text) valueEl.textContent = text;
      if (labelEl && labelEl.textContent !== label) labelEl.textContent = label;
      el.setAttribute("data-state", state);
    }
  }
  setInterval(paintTimers, 500);

  function timerHTML(extraClass) {
    return '<div class="timer ' + (extraClass || "") + '" data-timer data-testid="timer" role="timer">' +
      '<span class="timer-label"></span> <span class="timer-value"></span></div>';
  }

  // --- keyed blocks: re-render without losing what a person is doing -----------------------

  var drafts = {};  // data-draft key -> text typed and not yet sent
  var openState = {};  // details[data-keep] key -> open

  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el && el.getAttribute && el.hasAttribute("data-draft")) {
      drafts[el.getAttribute("data-draft")] = el.value;
    }
    if (el && el.id) updateCounters(document, el.id);
  });
  document.addEventListener("toggle", function (ev) {
    var el = ev.target;
    if (el && el.getAttribute && el.hasAttribute("data-keep")) {
      openState[el.getAttribute("data-keep")] = el.open;
    }
  }, true);

  /* <span data-count-for="ID" data-max="280"> shows "n / 280" for the field ID. */
  function updateCounters(root, onlyId) {
    var nodes = root.querySelectorAll(onlyId ? '[data-count-for="' + onlyId + '"]' : "[data-count-for]");
    for (var i = 0; i < nodes.length; i++) {
      var c = nodes[i];
      var field = document.getElementById(c.getAttribute("data-count-for"));
      if (!field) continue;
      var max = parseInt(c.getAttribute("data-max"), 10);
      var n = field.value.length;
      c.textContent = fmt(gettext("%(n)s of %(max)s characters"), { n: n, max: max });
      c.classList.toggle("is-over", n > max);
    }
  }

  function focusKey(el) {
    return el.id ? "#" + el.id : (el.getAttribute && el.getAttribute("data-focus")) || null;
  }

  function restore(root) {
    var fields = root.querySelectorAll("[data-draft]");
    for (var i = 0; i < fields.length; i++) {
      var key = fields[i].getAttribute("data-draft");
      if (Object.prototype.hasOwnProperty.call(drafts, key)) fields[i].value = drafts[key];
    }
    var details = root.querySelectorAll("details[data-keep]");
    for (var j = 0; j < details.length; j++) {
      var k = details[j].getAttribute("data-keep");
      if (Object.prototype.hasOwnProperty.call(openState, k)) details[j].open = openState[k];
    }
    updateCounters(root);
  }

  function replaceBlock(el, html) {
    var active = document.activeElement;
    var key = null, start = null, end = null;
    if (active && el.contains(active)) {
      key = focusKey(active);
      try { start = active.selectionStart; end = active.selectionEnd; } catch (e) { /* not text */ }
    }
    el.innerHTML = html;
    el._html = html;
    restore(el);
    if (key) {
      var again = key.charAt(0) === "#" ? document.getElementById(key.slice(1))
        : el.querySelector('[data-focus="' + key.replace(/"/g, '\\"') + '"]');
      if (again && !again.disabled) {
        again.focus({ preventScroll: true });
        if (start != null && again.setSelectionRange) {
          try { again.setSelectionRange(start, end); } catch (e) { /* not text */ }
        }
      }
    }
  }

  /* blocks: [[id, html], ...] in order. Unchanged blocks are not touched. */
  function update(container, blocks) {
    var existing = {};
    var children = Array.prototype.slice.call(container.children);
    for (var i = 0; i < children.length; i++) {
      var b = children[i].getAttribute("data-block");
      if (b) existing[b] = children[i]; else children[i].remove();  // e.g. "Loading …"
    }
    var prev = null;
    blocks.forEach(function (pair) {
      var id = pair[0], html = pair[1];
      var el = existing[id];
      if (el) {
        delete existing[id];
        if (el._html !== html) replaceBlock(el, html);
      } else {
        el = document.createElement("div");
        el.className = "block";
        el.setAttribute("data-block", id);
        el.innerHTML = html;
        el._html = html;
        restore(el);
      }
      var want = prev ? prev.nextSibling : container.firstChild;
      if (want !== el) container.insertBefore(el, want);
      prev = el;
    });
    Object.keys(existing).forEach(function (id) { existing[id].remove(); });
  }

  // --- the connection ------------------------------------------------------------------------

  // An app-level ping every 2 s: a connection that is gone without a close (a
  // phone off the Wi-Fi, a network that drops packets) shows in the badge
  // within a few seconds, and the pong's version shows a missed frame.
  var PING_EVERY = 2000;
  var QUIET_AFTER = 3500;  // no frame at all (not even a pong) for this long: "offline" in the badge
  var STALE_AFTER = 10000;  // ... for this long: leave the connection and open a new one
  var STABLE_AFTER = 10000;  // open this long: the next drop starts the backoff afresh
  var MAX_DELAY = 15000;
  var BASE_DELAY = 500;
  var SYNC_REF = "sync";
  var SYNC_RETRY = 2000;  // ms; a refused sync (rate limit) is asked again
  var GAP_GRACE = 1000;  // ms; a pong ahead of the view: the event may be on its way
  var RESEND_AFTER = 1000;  // ms; an action dropped unread (slow_down) goes again
  var ACTION_TIMEOUT = 30000;  // ms without an answer on a live connection: open a new one

  /* A client-made id for an action: the server applies each once, so an action
     resent after a reconnect is never applied twice. */
  function newOpId() {
    var bytes = new Uint8Array(9);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += ("0" + bytes[i].toString(16)).slice(-2);
    return "a" + out;
  }

  function connect(opts) {
    var client = { view: null, version: null, state: "connecting" };
    var ws = null, attempt = 0, pingTimer = null, stableTimer = null, retryTimer = null;
    var lastSeen = 0, syncing = false, syncTimer = null, stopped = false, gapTimer = null;
    // Actions not yet answered, in the order made. Each stays here until the
    // server answers it (ok or a refusal): made offline, it waits; sent on a
    // connection that was lost, it goes again with the same op_id.
    var queue = [];
    var badge = document.getElementById("conn");

    function setState(state) {
      var was = client.state;
      client.state = state;
      if (badge) {
        var text = { online: gettext("Connected"), connecting: gettext("Connecting …"),
                     reconnecting: gettext("Reconnecting …"), offline: gettext("Offline") }[state];
        badge.setAttribute("data-state", state);
        badge.querySelector(".conn-text").textContent = text;
      }
      if (state === "online" && was !== "online") { untoast("info"); flush(); }
      if (state !== "online" && was === "online" && queue.length) render();
    }

    function url() {
      var proto = location.protocol === "https:" ? "wss:" : "ws:";
      return proto + "//" + location.host + opts.path;
    }

    function render() {
      try { opts.render(client.view, client); } catch (e) {
        if (window.console) console.error(e);
      }
    }

    function applyPatch(view, patch) {
      for (var i = 0; i < patch.length; i++) {
        var path = patch[i][0], value = patch[i][1];
        if (path.length === 1) {
          view[path[0]] = value;
        } else if (value === null) {
          if (view[path[0]]) delete view[path[0]][path[1]];
        } else {
          if (!view[path[0]] || typeof view[path[0]] !== "object") view[path[0]] = {};
          view[path[0]][path[1]] = value;
        }
      }
    }

    /* Send what waits, in order, on the connection there is now. */
    function flush() {
      if (client.state !== "online" || !ws || ws.readyState !== 1) return;
      for (var i = 0; i < queue.length; i++) {
        var entry = queue[i];
        if (entry.sentOn === ws) continue;
        if (raw(entry.data)) { entry.sentOn = ws; entry.sentAt = Date.now(); }
      }
    }

    function answered(ref) {
      for (var i = 0; i < queue.length; i++) {
        if (queue[i].data.ref === ref) return queue.splice(i, 1)[0];
      }
      return null;
    }

    function onMessage(ev) {
      lastSeen = Date.now();
      if (client.state !== "online" && client.view != null && !syncing) setState("online");
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "snapshot") {
        client.view = msg.view;
        client.version = msg.v;
        syncing = false;
        clearTimeout(syncTimer);
        setState("online");
        render();
      } else if (msg.type === "event") {
        if (client.version == null || syncing || msg.v <= client.version) return;
        // A frame comes only for a change this viewer can see; "prev" is the
        // version of the last one sent to it before (docs/protocol.md).
        var prev = msg.prev != null ? msg.prev : msg.v - 1;
        if (prev <= client.version) {
          applyPatch(client.view, msg.patch || []);
          client.version = msg.v;
          render();
        } else {
          requestSync();  // a gap: at-most-once delivery lost one; ask for the whole view
        }
      } else if (msg.type === "joined") {
        // How many have joined: not versioned, the newest count a few times a second.
        if (client.view != null && !syncing) { client.view.joined = msg.n; render(); }
      } else if (msg.type === "pong") {
        // The version of the last frame sent to this viewer: behind it, this client
        // missed one (a lost broadcast). Give it a moment to arrive, then ask for the view.
        if (msg.v != null && client.version != null && msg.v > client.version && !syncing && !gapTimer) {
          var behind = msg.v;
          gapTimer = setTimeout(function () {
            gapTimer = null;
            if (client.version != null && client.version < behind && !syncing) requestSync();
          }, GAP_GRACE);
        }
      } else if (msg.type === "ok" || msg.type === "error") {
        if (msg.ref === SYNC_REF) return;  // refused (e.g. slowed down): the retry timer asks again
        var entry = msg.ref != null ? answered(msg.ref) : null;
        if (entry && msg.type === "error" && msg.code === "slow_down") {
          // Dropped unread: nothing happened yet, so it goes again by itself.
          entry.sentOn = null;
          queue.unshift(entry);
          setTimeout(flush, RESEND_AFTER);
        } else if (entry) {
          if (msg.type === "ok") entry.resolve(msg); else entry.reject(new Error(msg.reason));
        } else if (msg.type === "error") {
          toast(msg.reason);
        }
      }
    }

    /* Ask for a snapshot until one comes: the ask itself may be refused or lost. */
    function requestSync() {
      syncing = true;
      raw({ type: "sync", ref: SYNC_REF });
      clearTimeout(syncTimer);
      syncTimer = setTimeout(function () { if (syncing) requestSync(); }, SYNC_RETRY);
    }

    function raw(data) {
      if (ws && ws.readyState === 1) {
        try { ws.send(JSON.stringify(data)); return true; } catch (e) { return false; }
      }
      return false;
    }

    function clearTimers() {
      clearInterval(pingTimer); clearTimeout(stableTimer); clearTimeout(retryTimer); clearTimeout(syncTimer);
      clearTimeout(gapTimer);
      pingTimer = stableTimer = retryTimer = syncTimer = gapTimer = null;
      syncing = false;
    }

    function schedule() {
      if (stopped) return;
      clearTimeout(retryTimer);
      // Full jitter: hundreds of phones must not all come back in the same second.
      var delay = Math.random() * Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, attempt));
      attempt += 1;
      setState(navigator.onLine === false ? "offline" : "reconnecting");
      retryTimer = setTimeout(open, delay);
    }

    function drop() {  // a connection that went quiet: leave it and start again
      if (!ws) return;
      var old = ws;
      ws = null;
      old.onopen = old.onmessage = old.onclose = old.onerror = null;
      try { old.close(); } catch (e) { /* already gone */ }
      clearTimers();
      schedule();
    }

    function tick() {
      var quiet = Date.now() - lastSeen;
      if (quiet > STALE_AFTER) { drop(); return; }
      var oldest = queue.length && queue[0].sentOn === ws ? Date.now() - queue[0].sentAt : 0;
      if (oldest > ACTION_TIMEOUT) { drop(); return; }  // resent on the next connection
      if (quiet > QUIET_AFTER && client.state === "online") setState("offline");
      raw({ type: "ping" });
    }

    function open() {
      if (stopped) return;
      clearTimers();
      if (navigator.onLine === false) {  // the device has no network: wait for "online"
        setState("offline");
        retryTimer = setTimeout(open, MAX_DELAY);
        return;
      }
      if (client.state !== "reconnecting" && client.state !== "offline") setState("connecting");
      try { ws = new WebSocket(url()); } catch (e) { ws = null; schedule(); return; }
      var mine = ws;
      ws.onopen = function () {
        lastSeen = Date.now();
        stableTimer = setTimeout(function () { attempt = 0; }, STABLE_AFTER);
        pingTimer = setInterval(tick, PING_EVERY);
      };
      ws.onmessage = onMessage;
      ws.onclose = function (ev) {
        if (ws !== mine) return;
        ws = null;
        clearTimers();
        if (ev.code === 4401) {  // no seat (anymore) in this session: join again
          stopped = true;
          location.href = "/?code=" + encodeURIComponent(opts.code || "");
        } else if (ev.code === 4403) {  // not this session's host
          stopped = true;
          location.href = "/host/login/?next=" + encodeURIComponent(location.pathname);
        } else if (ev.code === 4404) {
          stopped = true;
          setState("offline");
        } else {
          schedule();
        }
      };
    }

    // The browser knows first when the device leaves the network.
    window.addEventListener("offline", function () { setState("offline"); drop(); });
    window.addEventListener("online", function () {
      if (!ws && !stopped) { attempt = 0; clearTimeout(retryTimer); schedule(); }
    });
    document.addEventListener("visibilitychange", function () {
      // A phone waking up: do not wait out a long backoff.
      if (document.visibilityState === "visible" && !ws && !stopped) {
        attempt = 0; clearTimeout(retryTimer); schedule();
      }
    });

    /* send(msg): an action. Resolves with the "ok" frame, rejects with the reason
       of a refusal (shown as a toast). It is never lost and never answered "try
       again": made offline it waits and goes when the connection is back, and
       one sent on a connection that was lost goes again with the same op_id. */
    client.send = function (msg) {
      var data = {};
      Object.keys(msg).forEach(function (k) { data[k] = msg[k]; });
      data.op_id = newOpId();
      data.ref = data.op_id;
      return new Promise(function (resolve, reject) {
        queue.push({
          data: data, sentOn: null, sentAt: 0, resolve: resolve,
          reject: function (err) { toast(err.message); reject(err); },
        });
        flush();
        if (client.state !== "online") {
          toast(gettext("offline – will be sent when you are back online"), "info");
          render();
        }
      });
    };
    /* act(msg): like send, but never rejects: resolves true (done) or false (refused, shown). */
    client.act = function (msg) {
      return client.send(msg).then(function () { return true; }, function () { return false; });
    };
    /* The actions waiting for a connection (while not online): the page marks them. */
    client.queued = function () {
      if (client.state === "online") return [];
      return queue.map(function (entry) { return entry.data; });
    };

    timerSource = function () { return client.view && client.view.session && client.view.session.timer; };
    setState("connecting");
    open();
    return client;
  }

  window.PM = {
    connect: connect, update: update, esc: esc, paras: paras, toast: toast, gettext: gettext, fmt: fmt, ngettext: ngettext,
    remaining: remaining, clock: clock, timerHTML: timerHTML, paintTimers: paintTimers,
    drafts: drafts, updateCounters: updateCounters,
    setTimerSource: function (fn) { timerSource = fn; },  // a page without PM.connect (the preview)
  };
})();
