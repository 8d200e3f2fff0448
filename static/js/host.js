/* POLICY-MAKER: the host's dashboard (/host/<code>/), live from /ws/host/<code>/.
 *
 * render(view) draws the host view (game/visibility.py host_view): the lobby
 * (code, QR, forming committees), the round controls, one card per committee
 * and one row per player. Every button sends one host message (game/protocol.py).
 */
(function () {
  "use strict";
  var PM = window.PM, esc = PM.esc, gettext = PM.gettext, fmt = PM.fmt, ngettext = PM.ngettext;
  var root = document.getElementById("dash");
  var code = root.getAttribute("data-code");
  var view = null, client = null;
  var moving = {};  // player id -> the committee the host chose, until the view shows it
  var renaming = null;  // the player whose name the rename dialog is for
  var advanceFrom = null;  // the round shown when "next round" was pressed (sent as from_round)

  /* The neutral name that hides an offensive one: "Player 7", by the order of joining. */
  function neutralName(pid) {
    return fmt(gettext("Player %(n)s"), { n: playerIds().indexOf(pid) + 1 });
  }

  var SOURCES = {
    below: gettext("from below"), above: gettext("from above"), inside: gettext("from inside"), outside: gettext("from outside"),
  };

  // Played by one role, not voted on (cases.schema.PLAYED_TYPES): no votes to wait for.
  function isPlayed(d) { return d.type === "catalyst" || d.type === "invite" || d.type === "frame"; }
  function attr(s) { return esc(s); }
  /* The views are patched in place, so what is derived from one is made again each render
     (renderNo), and only once in it: 400 committees and 2,000 players are sorted once. */
  var renderNo = 0, memo = {};
  function once(key, fn) {
    var m = memo[key];
    if (m && m[0] === renderNo && m[1] === view) return m[2];
    var value = fn();
    memo[key] = [renderNo, view, value];
    return value;
  }
  function committeeIds() {
    return once("cids", function () { return Object.keys(view.committees || {}).sort(function (a, b) { return (+a) - (+b); }); });
  }
  function playerIds() {
    return once("pids", function () { return Object.keys(view.players || {}).sort(function (a, b) { return (+a) - (+b); }); });
  }
  function activeCount() {
    return playerIds().filter(function (p) { return !view.players[p].removed; }).length;
  }
  function statusText(s) {
    return s === "lobby" ? gettext("Lobby") : s === "running" ? gettext("Running") : gettext("Ended");
  }
  function roleText(m) { return m.role_name === "member" ? gettext("member") : (m.role_name || ""); }

  // --- summary ---------------------------------------------------------------------------------

  function summaryHTML() {
    var s = view.session, info = s.round_info;
    // One numbering everywhere (game.visibility.round_number): the briefing is not counted.
    var round = s.status === "lobby" ? gettext("Not started") :
      s.briefing ? gettext("Before the first round") + ": " + info.title :
      fmt(gettext("Round %(n)s of %(total)s: %(title)s"), { n: s.round_number, total: s.round_total, title: info.title });
    return '<h1 class="dash-title">' + esc(s.title) + ' <span class="status status-' + esc(s.status) + '" data-testid="session-status">' + esc(statusText(s.status)) + "</span></h1>" +
      '<p class="dash-round" data-testid="dash-round">' + esc(round) +
      (s.status === "running" && info.lead_name ? " · " + esc(gettext("lead:")) + " " + esc(info.lead_name) : "") + "</p>" +
      '<p class="dash-facts">' + esc(fmt(ngettext("%(n)s player", "%(n)s players", activeCount()), { n: activeCount() })) + " · " +
      esc(fmt(ngettext("%(n)s committee", "%(n)s committees", committeeIds().length), { n: committeeIds().length })) + "</p>";
  }

  // --- lobby -------------------------------------------------------------------------------------

  function lobbyBlocks() {
    var s = view.session;
    if (s.status !== "lobby") return [];
    var names = playerIds().filter(function (p) { return !view.players[p].removed; })
      .map(function (p) { return view.players[p].name; });
    var qr = '<div class="join-box"><div class="join-code-wrap"><p class="join-label">' + esc(gettext("Join at")) + '</p><p class="join-url" data-testid="join-url">' +
      esc(root.getAttribute("data-join-url")) + '</p><p class="join-label">' + esc(gettext("with the code")) + '</p><p class="join-code" data-testid="join-code">' + esc(code) + "</p></div>" +
      '<img class="qr" src="' + attr(root.getAttribute("data-qr")) + '" alt="' + attr(fmt(gettext("QR code for joining session %(code)s"), { code: code })) + '" width="220" height="220" data-testid="qr"></div>';
    var arriving = '<div class="arrivals"><h2 class="h3">' + esc(fmt(ngettext("%(n)s has joined", "%(n)s have joined", names.length), { n: names.length })) + "</h2>" +
      '<ul class="name-cloud" data-testid="lobby-names" aria-live="polite">' + names.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("") + "</ul></div>";
    var size = s.options.size;
    var formed = committeeIds().length > 0;
    var form = '<div class="lobby-actions panel"><h2 class="h3">' + esc(gettext("Committees")) + "</h2>" +
      '<p class="form-inline"><label for="form-size">' + esc(gettext("Committee size")) + '</label> <input type="number" id="form-size" class="input input-short" min="3" max="8" value="' + size + '" data-testid="form-size"> ' +
      '<button type="button" class="button" data-act="form" data-testid="form-committees"' + (names.length ? "" : " disabled") + ">" + esc(formed ? gettext("Form the committees again") : gettext("Form committees")) + "</button></p>" +
      '<p class="hint">' + esc(gettext("Forms balanced committees of about this size from everyone in the lobby. You can move players by hand below.")) + "</p>" +
      '<p><button type="button" class="button button-primary button-big" data-act="start" data-testid="start-game"' + (formed ? "" : " disabled") + ">▶ " + esc(gettext("Start the game")) + "</button></p>" +
      (formed ? "" : '<p class="hint">' + esc(gettext("Form the committees first.")) + "</p>") + "</div>";
    return [["join", '<section class="panel lobby-box">' + qr + arriving + "</section>"], ["actions", form]];
  }

  // --- the gate: lock the lobby, let the waiting in (issue 10) ------------------------------------

  function gateBlocks() {
    var lobby = view.lobby || { locked: false, waiting: [] };
    if (view.session.status === "ended") return [];
    var head = '<p class="gate-line"><span data-testid="lobby-state">' + esc(lobby.locked
      ? gettext("The lobby is locked: newcomers wait until you let them in.")
      : gettext("The lobby is open: anyone with the code can join.")) + "</span> " +
      '<button type="button" class="button button-small" data-act="lobby" data-locked="' + (lobby.locked ? "false" : "true") + '" data-testid="' + (lobby.locked ? "open-lobby" : "lock-lobby") + '">' +
      esc(lobby.locked ? gettext("Open the lobby") : gettext("Lock the lobby")) + "</button></p>";
    var waiting = lobby.waiting.length ? '<h2 class="h3">' + esc(fmt(ngettext("%(n)s waiting to be let in", "%(n)s waiting to be let in", lobby.waiting.length), { n: lobby.waiting.length })) + "</h2>" +
      '<ul class="waiting-list" data-testid="waiting">' + lobby.waiting.map(function (w) {
        return '<li><span class="waiting-name">' + esc(w.name) + "</span> " +
          '<button type="button" class="button button-small button-primary" data-act="admit" data-player="' + attr(w.id) + '" data-testid="admit-' + attr(w.id) + '">' + esc(gettext("Let in")) + "</button> " +
          '<button type="button" class="button button-small" data-act="turn_away" data-player="' + attr(w.id) + '" data-testid="turn-away-' + attr(w.id) + '">' + esc(gettext("Turn away")) + "</button></li>";
      }).join("") + "</ul>" : "";
    return [["gate", '<section class="panel gate" data-testid="gate">' + head + waiting + "</section>"]];
  }

  // --- controls ---------------------------------------------------------------------------------

  function controlsBlocks() {
    var s = view.session;
    if (s.status !== "running") return { main: [], more: [] };
    var timer = s.timer, running = timer.ends_at != null;
    var last = s.round >= s.rounds.length - 1;
    var nextTitle = last ? "" : s.rounds[s.round + 1].title;
    var timerBox = '<div class="panel control-group"><h2 class="h3">' + esc(gettext("Timer")) + "</h2>" + PM.timerHTML("timer-big") +
      '<p class="button-row">' +
      (running ? '<button type="button" class="button" data-act="timer" data-op="pause" data-testid="timer-pause">❚❚ ' + esc(gettext("Pause")) + "</button>"
        : '<button type="button" class="button button-primary" data-act="timer" data-op="start" data-testid="timer-start"' + (PM.remaining(timer) > 0 ? "" : " disabled") + ">▶ " + esc(gettext("Start the timer")) + "</button>") +
      ' <button type="button" class="button" data-act="timer" data-op="add" data-testid="timer-add">+1 ' + esc(gettext("minute")) + "</button></p></div>";
    var roundBox = '<div class="panel control-group"><h2 class="h3">' + esc(gettext("Round")) + "</h2>" +
      '<p class="button-row"><button type="button" class="button" data-act="lock_all" data-testid="lock-all">' + esc(gettext("Lock all open decisions")) + "</button></p>" +
      '<p class="hint">' + esc(gettext("Locks every open decision of this round at the committee's plurality.")) + "</p>" +
      '<p class="button-row"><button type="button" class="button" data-act="back" data-testid="round-back"' + (s.round === 0 ? " disabled" : "") + ">◀ " + esc(gettext("Step back")) + "</button> " +
      (last  // the last round leads to the end, not to a grey button: the end's box opens
        ? '<button type="button" class="button button-primary" data-act="end-open" data-testid="round-end">' + esc(gettext("This is the last round: end the game")) + " ▶</button></p></div>"
        : '<button type="button" class="button button-primary" data-act="advance" data-testid="round-advance">' +
          esc(fmt(gettext("Next round: %(title)s"), { title: nextTitle })) + " ▶</button></p></div>");
    var cards = view.case.cards || [];
    var decks = {};
    cards.forEach(function (c) { (decks[c.deck] = decks[c.deck] || []).push(c); });
    var deckNames = { events: gettext("Pressure events"), dilemmas: gettext("Dilemmas") };
    var options = Object.keys(decks).map(function (deck) {
      return '<optgroup label="' + attr(deckNames[deck] || deck) + '">' + decks[deck].map(function (c) {
        return '<option value="' + attr(c.id) + '">' + esc(c.title + (c.source ? " (" + (SOURCES[c.source] || c.source) + ")" : "")) + "</option>";
      }).join("") + "</optgroup>";
    }).join("");
    var targets = '<option value="">' + esc(gettext("All committees")) + "</option>" + committeeIds().map(function (cid) {
      return '<option value="' + attr(cid) + '">' + esc(fmt(gettext("Committee %(name)s"), { name: view.committees[cid].name })) + "</option>";
    }).join("");
    var canInject = !!s.round_info.lead;
    var injectBox = '<div class="panel control-group"><h2 class="h3">' + esc(gettext("Inject an event card")) + "</h2>" +
      '<p class="field"><label for="inject-card">' + esc(gettext("Card")) + '</label><select id="inject-card" class="input" data-testid="inject-card">' + options + "</select></p>" +
      '<p class="field"><label for="inject-target">' + esc(gettext("To")) + '</label><select id="inject-target" class="input" data-testid="inject-target">' + targets + "</select></p>" +
      '<p class="button-row"><button type="button" class="button" data-act="inject" data-testid="inject"' + (canInject && cards.length ? "" : " disabled") + ">" + esc(gettext("Send the card in")) + "</button></p>" +
      (canInject ? "" : '<p class="hint">' + esc(gettext("Cards can be injected in rounds where a committee decides.")) + "</p>") + "</div>";
    var messageBox = '<div class="panel control-group"><h2 class="h3">' + esc(gettext("Message to everyone")) + "</h2>" +
      (s.message ? '<p class="current-message" data-testid="current-message">' + esc(gettext("Showing now:")) + " <q>" + esc(s.message) + "</q> " +
        '<span class="hint">' + esc(s.message_keep ? gettext("(kept in the next rounds)") : gettext("(cleared when you advance)")) + "</span></p>" : "") +
      '<label for="host-message" class="sr-only">' + esc(gettext("Message")) + '</label><textarea id="host-message" class="textarea" rows="2" maxlength="500" data-draft="host-message" data-testid="message-text"></textarea>' +
      '<p class="counter" data-count-for="host-message" data-max="500"></p>' +
      '<p><label class="check" for="message-keep"><input type="checkbox" id="message-keep" data-testid="message-keep"><span>' + esc(gettext("Keep it when I advance to the next round")) + "</span></label></p>" +
      '<p class="button-row"><button type="button" class="button button-primary" data-act="message" data-testid="send-message">' + esc(gettext("Send to everyone")) + "</button>" +
      (s.message ? ' <button type="button" class="button" data-act="clear-message" data-testid="clear-message">' + esc(gettext("Clear the message")) + "</button>" : "") + "</p></div>";
    return { main: [["timer", timerBox], ["round", roundBox]], more: [["inject", injectBox], ["message", messageBox]] };
  }

  // --- progress: every committee in one table, beside the advance button ----------------------

  /* The round's questions in the case's order: one per task (drawn cards share their task). */
  function questionIds() {
    var seen = {}, out = [];
    committeeIds().forEach(function (cid) {
      (view.committees[cid].decisions || []).forEach(function (d) {
        var q = d.task || "inject";
        if (!seen[q]) { seen[q] = { id: q, prompt: d.task ? d.prompt : gettext("Injected card") }; out.push(seen[q]); }
      });
    });
    return out;
  }

  /* Open decisions the committees must still lock this round (optional tools do not count). */
  function openDecisions() {
    var count = 0, committees = 0;
    committeeIds().forEach(function (cid) {
      var open = (view.committees[cid].decisions || []).filter(function (d) { return d.locked == null && d.required !== false; }).length;
      count += open;
      if (open) committees += 1;
    });
    return { count: count, committees: committees };
  }

  function progressHTML() {
    var s = view.session;
    if (s.status !== "running" || !committeeIds().length) return "";
    var qs = questionIds();
    var head = '<tr><th scope="col">' + esc(gettext("Committee")) + '</th><th scope="col">' + esc(gettext("Online")) + "</th>" +
      qs.map(function (q, i) { return '<th scope="col"><abbr title="' + attr(q.prompt) + '">' + esc(fmt(gettext("Q%(n)s"), { n: i + 1 })) + "</abbr></th>"; }).join("") +
      '<th scope="col">' + esc(gettext("Not voted yet")) + "</th></tr>";
    var rows = current.ids.map(function (cid) {
      var c = view.committees[cid];
      var ds = c.decisions || [];
      var online = c.members.filter(function (m) { return m.online; }).length;
      var missing = {};
      var cells = qs.map(function (q) {
        var mine = ds.filter(function (d) { return (d.task || "inject") === q.id; });
        if (!mine.length) return '<td class="na">–</td>';
        if (mine.every(function (d) { return d.locked != null; })) {
          return '<td class="is-locked">✓ ' + esc(gettext("locked")) + (mine.some(function (d) { return d.politician_card; }) ? ' <span class="politician-card">⚠</span>' : "") + "</td>";
        }
        if (mine.every(isPlayed)) return '<td class="na">' + esc(gettext("optional")) + "</td>";
        var least = null;
        mine.forEach(function (d) {
          if (d.locked != null || isPlayed(d)) return;
          var n = (d.voted || []).length;
          least = least == null ? n : Math.min(least, n);
          c.members.forEach(function (m) { if ((d.voted || []).indexOf(m.id) < 0) missing[m.id] = m.name; });
        });
        var all = least === c.members.length;
        return '<td class="' + (all ? "is-all" : "is-open") + '">' + esc(fmt(gettext("%(n)s/%(total)s voted"), { n: least, total: c.members.length })) + "</td>";
      }).join("");
      var names = Object.keys(missing).map(function (k) { return missing[k]; });
      return '<tr class="' + (c.done && ds.length ? "is-done" : "") + '" data-testid="progress-' + attr(cid) + '"><th scope="row">' +
        esc(fmt(gettext("Committee %(name)s"), { name: c.name })) + (c.done && ds.length ? ' <span class="badge badge-done">✓ ' + esc(gettext("Done")) + "</span>" : "") + "</th>" +
        "<td>" + online + "/" + c.members.length + "</td>" + cells +
        '<td class="missing-names">' + (names.length ? esc(names.join(", ")) : "—") + "</td></tr>";
    }).join("");
    var open = openDecisions();
    var summary = open.count
      ? fmt(ngettext("%(n)s decision is not locked in %(committees)s.", "%(n)s decisions are not locked in %(committees)s.", open.count),
        { n: open.count, committees: fmt(ngettext("%(k)s committee", "%(k)s committees", open.committees), { k: open.committees }) })
      : (qs.length ? gettext("Every decision of this round is locked.") : gettext("This round has no decisions."));
    return '<div class="panel progress" data-testid="progress"><h2 class="h3">' + esc(gettext("Progress this round")) + "</h2>" +
      '<p class="progress-summary" data-testid="progress-summary">' + esc(summary) + "</p>" +
      (current.counts ? countsHTML(current.counts) : "") +
      (qs.length ? '<ol class="progress-questions">' + qs.map(function (q, i) { return "<li><strong>" + esc(fmt(gettext("Q%(n)s"), { n: i + 1 })) + "</strong> " + esc(q.prompt) + "</li>"; }).join("") + "</ol>" : "") +
      '<table class="progress-table"><thead>' + head + "</thead><tbody>" + rows + "</tbody></table>" +
      (current.counts ? pagerHTML(current, "progress") : "") + "</div>";
  }

  // --- many committees: a summary, a filter and pages (issue 7) --------------------------------

  /* Up to PAGE committees the dashboard shows every one, as a workshop always had it; past
     that (a conference of 400) it shows a summary, a filter, a search and one page at a time,
     so that the page never holds 400 cards and an event re-draws a page, not the session. */
  var PAGE = 12;
  var PLAYER_PAGE = 50;  // the players' list likewise: a room of 40 sees every row
  var pick = { state: "all", q: "", page: 0 };  // what the host asked to see
  var playerPick = { q: "", page: 0 };
  function stateLabel(st) {
    return {
      all: gettext("All committees"), attention: gettext("Need me"), stuck: gettext("Not started yet"),
      offline: gettext("Someone offline"), working: gettext("Voting"), voted: gettext("Everyone has voted"),
      done: gettext("Finished"),
    }[st];
  }

  /* Where a committee is in this round: "idle" (nothing to decide), "done" (everything
     locked), "voted" (everyone has voted, the lead has not locked), "stuck" (no vote on any
     open decision yet) or "working"; "offline" when a member's phone is not connected. */
  function committeeState(c) {
    var open = (c.decisions || []).filter(function (d) { return d.locked == null && !isPlayed(d); });
    var ds = c.decisions || [];
    var out = { offline: c.members.some(function (m) { return !m.online; }), step: "idle" };
    if (view.session.status !== "running" || !ds.length) return out;
    if (c.done) { out.step = "done"; return out; }
    var votes = 0, all = true;
    open.forEach(function (d) {
      var voted = d.voted || [];
      votes += voted.length;
      c.members.forEach(function (m) { if (voted.indexOf(m.id) < 0) all = false; });
    });
    out.step = !open.length ? "working" : all ? "voted" : votes ? "working" : "stuck";
    return out;
  }
  function isLarge() { return committeeIds().length > PAGE; }
  function matches(cid, st) {
    var c = view.committees[cid];
    var want = pick.state;
    if (want === "attention" && !(st.offline || st.step === "stuck")) return false;
    if (want === "offline" && !st.offline) return false;
    if (want !== "all" && want !== "attention" && want !== "offline" && st.step !== want) return false;
    var q = pick.q;
    if (!q) return true;
    if (/^\d+$/.test(q)) return String(c.name) === q || cid === q;  // a number: that committee
    return String(c.name).toLowerCase().indexOf(q) >= 0 ||
      c.members.some(function (m) { return m.name.toLowerCase().indexOf(q) >= 0; });
  }
  /* The committees to draw: every one in a workshop; else the chosen page of the filter. */
  function shown() {
    var ids = committeeIds();
    var counts = { all: ids.length, attention: 0, stuck: 0, offline: 0, working: 0, voted: 0, done: 0 };
    if (!isLarge()) return { ids: ids, total: ids.length, counts: null, pages: 1 };
    var hits = [];
    ids.forEach(function (cid) {
      var st = committeeState(view.committees[cid]);
      if (st.step in counts) counts[st.step] += 1;
      if (st.offline) counts.offline += 1;
      if (st.offline || st.step === "stuck") counts.attention += 1;
      if (matches(cid, st)) hits.push(cid);
    });
    var pages = Math.max(1, Math.ceil(hits.length / PAGE));
    if (pick.page >= pages) pick.page = pages - 1;
    return { ids: hits.slice(pick.page * PAGE, pick.page * PAGE + PAGE), total: hits.length, counts: counts, pages: pages, first: pick.page * PAGE };
  }

  /* "80 done · 80 everyone has voted · …": each a button that shows those committees. */
  function countsHTML(counts) {
    var running = view.session.status === "running";
    var kinds = running ? ["attention", "stuck", "offline", "working", "voted", "done"] : ["offline"];
    return '<p class="cc-counts" role="group" aria-label="' + attr(gettext("Committees by state")) + '" data-testid="committee-counts">' +
      '<button type="button" class="chip" data-act="pick-state" data-state="all" aria-pressed="' + (pick.state === "all") + '" data-testid="count-all">' +
      esc(fmt(ngettext("%(n)s committee", "%(n)s committees", counts.all), { n: counts.all })) + "</button>" +
      kinds.map(function (k) {
        return '<button type="button" class="chip chip-' + k + '" data-act="pick-state" data-state="' + k + '" aria-pressed="' + (pick.state === k) + '" data-testid="count-' + k + '">' +
          '<b class="chip-n">' + counts[k] + "</b> " + esc(stateLabel(k)) + "</button>";
      }).join("") + "</p>";
  }

  function pagerHTML(sel, where) {
    if (sel.pages <= 1 && !sel.total) {
      return '<p class="pager" data-testid="pager-' + where + '"><span class="pager-text">' + esc(gettext("No committee matches.")) + "</span></p>";
    }
    var range = fmt(gettext("Committees %(from)s–%(to)s of %(total)s"), { from: sel.first + 1, to: sel.first + sel.ids.length, total: sel.total });
    return '<p class="pager" data-testid="pager-' + where + '">' +
      '<button type="button" class="button button-small" data-act="page" data-to="' + (pick.page - 1) + '"' + (pick.page > 0 ? "" : " disabled") + ' data-testid="page-prev-' + where + '">‹ ' + esc(gettext("Previous")) + "</button>" +
      ' <span class="pager-text" data-testid="page-text-' + where + '">' + esc(range) + " · " + esc(fmt(gettext("page %(n)s of %(total)s"), { n: pick.page + 1, total: sel.pages })) + "</span> " +
      '<button type="button" class="button button-small" data-act="page" data-to="' + (pick.page + 1) + '"' + (pick.page < sel.pages - 1 ? "" : " disabled") + ' data-testid="page-next-' + where + '">' + esc(gettext("Next")) + " ›</button></p>";
  }

  // --- committees -------------------------------------------------------------------------------

  function metersHTML(meters) {
    if (!meters) return "";
    return '<ul class="meter-list meter-list-small">' + meters.map(function (m) {
      return '<li class="meter"><span class="meter-label">' + esc(m.label) + '</span><span class="meter-value">' + m.value +
        '</span><span class="bar" aria-hidden="true"><span style="width:' + m.value + '%"></span></span></li>';
    }).join("") + "</ul>";
  }

  function labelOf(c, d, id) {
    if (d.type === "ideas") {
      var idea = (c.ideas || []).filter(function (i) { return i.id === id; })[0];
      return idea ? idea.text : id;
    }
    var o = (d.options || []).filter(function (x) { return x.id === id; })[0];
    return o ? o.label : id;
  }
  function valueText(c, d, v) {
    if (v == null) return "";
    if (Array.isArray(v)) return v.map(function (id) { return labelOf(c, d, id); }).join(", ");
    return labelOf(c, d, v);
  }

  function committeeHTML(cid) {
    var c = view.committees[cid];
    var s = view.session;
    var decisions = c.decisions || [];
    var locked = decisions.filter(function (d) { return d.locked != null; }).length;
    var head = '<header class="cc-head"><h3>' + esc(fmt(gettext("Committee %(name)s"), { name: c.name })) + "</h3>" +
      (s.status === "running" && decisions.length ? '<span class="badge ' + (c.done ? "badge-done" : "badge-work") + '" data-testid="committee-done">' +
        esc(c.done ? "✓ " + gettext("Done") : gettext("Working")) + "</span>" : "") + "</header>";
    var progress = s.status === "running" && decisions.length ?
      '<p class="cc-progress">' + esc(fmt(gettext("Locked %(n)s of %(total)s decisions"), { n: locked, total: decisions.length })) + "</p>" : "";
    // Members as rows, this round's decisions as numbered columns: who has voted where.
    var cols = decisions.map(function (d, i) {
      return '<th scope="col"><abbr title="' + attr(d.prompt) + '">' + (i + 1) + "</abbr></th>";
    }).join("");
    var rows = c.members.map(function (m) {
      var cells = decisions.map(function (d) {
        if (isPlayed(d)) return '<td class="na" title="' + attr(gettext("played by one role")) + '">·</td>';
        var has = (d.voted || []).indexOf(m.id) >= 0;
        return '<td class="' + (has ? "yes" : "no") + '">' + (has ? '✓<span class="sr-only"> ' + esc(gettext("voted")) + "</span>"
          : '–<span class="sr-only"> ' + esc(gettext("not voted")) + "</span>") + "</td>";
      }).join("");
      return '<tr><th scope="row"><span class="who">' + esc(m.name) + '</span> <span class="tag">' + esc(roleText(m)) + "</span>" +
        ' <span class="online ' + (m.online ? "is-on" : "is-off") + '">' + esc(m.online ? gettext("online") : gettext("offline")) + "</span></th>" + cells + "</tr>";
    }).join("");
    var table = '<table class="vote-grid"><thead><tr><th scope="col">' + esc(gettext("Member")) + "</th>" + cols + "</tr></thead><tbody>" + rows + "</tbody></table>";
    var legend = decisions.length ? '<ol class="decision-legend">' + decisions.map(function (d) {
      var state = d.locked != null
        ? esc(gettext("locked:")) + " " + esc(valueText(c, d, d.locked)) + (d.politician_card ? ' <strong class="politician-card">⚠ ' + esc(gettext("politician card")) + "</strong>" : "")
        : esc(fmt(gettext("open · %(n)s voted"), { n: (d.voted || []).length }));
      return "<li><span class=\"dec-prompt\">" + esc(d.prompt) + '</span> <span class="dec-state">' + state + "</span></li>";
    }).join("") + "</ol>" : "";
    var facts = '<p class="cc-facts">' + esc(fmt(gettext("Politician cards played: %(n)s"), { n: c.politician_cards || 0 })) +
      (c.ideas && c.ideas.length ? " · " + esc(fmt(gettext("Ideas: %(n)s"), { n: c.ideas.length })) : "") + "</p>";
    var outcome = c.outcome ? '<div class="cc-outcome"><strong>' + esc(c.outcome.title) + "</strong><br><span class=\"cc-headline\">" + esc(c.outcome.headline) + "</span></div>" : "";
    return '<article class="panel committee-card' + (c.done && decisions.length ? " is-done" : "") + '" data-testid="committee-' + attr(cid) + '">' + head + progress +
      (c.members.length ? table : '<p class="hint">' + esc(gettext("No members.")) + "</p>") + legend + facts + outcome + metersHTML(c.meters) + movesHTML(c.stakeholder_map) + "</article>";
  }

  /* The stakeholders' stance from the start to now (game.visibility.stakeholder_map), folded away. */
  function movesHTML(map) {
    if (!map || !map.rows || !map.numbers || view.session.status === "lobby") return "";
    var items = map.rows.map(function (r) {
      var first = r.stance[0], last = r.stance[r.stance.length - 1];
      return "<li" + (r.seated === false ? ' class="is-out"' : "") + ">" + esc(r.name) + " <b>" + first + " → " + last + "</b></li>";
    }).join("");
    return '<details class="cc-moves" data-testid="stakeholder-moves"><summary>' + esc(gettext("Stakeholders: stance from the start to now")) +
      '</summary><ul class="plain-list">' + items + "</ul></details>";
  }

  // --- players ------------------------------------------------------------------------------------

  /* The committees as <option>s: made once per render, not once per player's row. */
  function committeeOptions() {
    return once("options", function () {
      return committeeIds().map(function (cid) {
        return '<option value="' + attr(cid) + '">' + esc(fmt(gettext("Committee %(name)s"), { name: view.committees[cid].name })) + "</option>";
      }).join("");
    });
  }

  /* The players to draw: everyone up to PLAYER_PAGE; else a page of those the search finds
     (a name, or a committee's number). */
  function shownPlayers() {
    var ids = playerIds();
    if (ids.length <= PLAYER_PAGE) return { ids: ids, total: ids.length, pages: 1, large: false };
    var q = playerPick.q;
    var hits = !q ? ids : ids.filter(function (pid) {
      var p = view.players[pid];
      if (/^\d+$/.test(q)) return p.committee != null && view.committees[p.committee] && String(view.committees[p.committee].name) === q;
      return p.name.toLowerCase().indexOf(q) >= 0;
    });
    var pages = Math.max(1, Math.ceil(hits.length / PLAYER_PAGE));
    if (playerPick.page >= pages) playerPick.page = pages - 1;
    var first = playerPick.page * PLAYER_PAGE;
    return { ids: hits.slice(first, first + PLAYER_PAGE), total: hits.length, pages: pages, first: first, large: true };
  }

  function playerPagerHTML(sel) {
    if (!sel.total) return '<p class="pager"><span class="pager-text" data-testid="player-page-text">' + esc(gettext("No player matches.")) + "</span></p>";
    return '<p class="pager" data-testid="player-pager">' +
      '<button type="button" class="button button-small" data-act="player-page" data-to="' + (playerPick.page - 1) + '"' + (playerPick.page > 0 ? "" : " disabled") + ' data-testid="player-page-prev">‹ ' + esc(gettext("Previous")) + "</button>" +
      ' <span class="pager-text" data-testid="player-page-text">' + esc(fmt(gettext("Players %(from)s–%(to)s of %(total)s"), { from: sel.first + 1, to: sel.first + sel.ids.length, total: sel.total })) + "</span> " +
      '<button type="button" class="button button-small" data-act="player-page" data-to="' + (playerPick.page + 1) + '"' + (playerPick.page < sel.pages - 1 ? "" : " disabled") + ' data-testid="player-page-next">' + esc(gettext("Next")) + " ›</button></p>";
  }

  function playerHTML(pid) {
    var p = view.players[pid];
    var seat = moving[pid] ? moving[pid].to : p.committee;
    var lobby = view.session.status === "lobby";
    var ended = view.session.status === "ended";
    var all = committeeOptions();
    var mark = seat != null ? '<option value="' + attr(seat) + '">' : null;
    var options = (seat == null ? '<option value="" selected>' + esc(gettext("no committee")) + "</option>" : "") +
      (mark && all.indexOf(mark) >= 0 ? all.replace(mark, '<option value="' + attr(seat) + '" selected>') : all) +
      (lobby ? '<option value="new"' + (seat === "new" ? " selected" : "") + ">" + esc(gettext("New committee")) + "</option>" : "");
    var role = "";
    if (p.committee && view.committees[p.committee]) {
      var m = view.committees[p.committee].members.filter(function (x) { return x.id === pid; })[0];
      if (m) role = roleText(m);
    }
    return '<div class="player-row' + (p.removed ? " is-removed" : "") + '" data-testid="player-' + attr(pid) + '">' +
      '<span class="who">' + esc(p.name) + "</span>" +
      '<span class="online ' + (p.online ? "is-on" : "is-off") + '">' + esc(p.online ? gettext("online") : gettext("offline")) + "</span>" +
      '<span class="tag">' + esc(p.removed ? gettext("removed") : role) + "</span>" +
      '<span class="player-move"><label class="sr-only" for="move-' + attr(pid) + '">' + esc(fmt(gettext("Committee of %(name)s"), { name: p.name })) + "</label>" +
      '<select id="move-' + attr(pid) + '" class="input input-select" data-act="move" data-player="' + attr(pid) + '" data-testid="move-' + attr(pid) + '"' +
      (p.removed || ended || (!committeeIds().length && !lobby) ? " disabled" : "") + ">" + options + "</select></span>" +
      (p.removed
        ? '<button type="button" class="button button-small" data-act="readmit" data-player="' + attr(pid) + '" data-testid="readmit-' + attr(pid) + '">' + esc(gettext("Let back in")) + "</button>"
        : '<button type="button" class="button button-small" data-act="remove" data-player="' + attr(pid) + '" data-testid="remove-' + attr(pid) + '"' + (ended ? " disabled" : "") + ">" + esc(gettext("Remove")) + "</button>") +
      ' <button type="button" class="button button-small" data-act="rename-open" data-player="' + attr(pid) + '" data-testid="rename-' + attr(pid) + '">' + esc(gettext("Rename")) + '<span class="sr-only"> ' + esc(p.name) + "</span></button>" +
      (p.removed ? "" : ' <button type="button" class="button button-small" data-act="preview" data-player="' + attr(pid) + '" data-testid="preview-' + attr(pid) + '">' + esc(gettext("See the phone")) + '<span class="sr-only"> ' + esc(fmt(gettext("of %(name)s"), { name: p.name })) + "</span></button>") +
      seatButtonsHTML(pid) + "</div>";
  }

  // --- seats that come back (game/seats.py): requests, seat codes, duplicates ---------------------

  var seatNote = null;  // {name, code}: a seat code the host asked for, until closed
  var merging = null;  // the duplicate whose merge the host is about to confirm

  /* "Bo (2)" made by rejoining, and the seat it duplicates ("Bo"), if both are in the game. */
  function original(pid) {
    var p = view.players[pid];
    var m = /^(.*) \(\d+\)$/.exec(p.name);
    if (!m || p.removed) return null;
    var base = m[1].toLowerCase();
    return playerIds().filter(function (q) {
      return q !== pid && !view.players[q].removed && view.players[q].name.toLowerCase() === base;
    })[0] || null;
  }

  function seatButtonsHTML(pid) {
    var p = view.players[pid];
    if (p.removed || view.session.status === "ended") return "";
    var out = '<button type="button" class="button button-small" data-act="seat-code" data-player="' + attr(pid) + '" data-testid="seat-code-' + attr(pid) + '">' +
      esc(gettext("New device")) + "</button>";
    var into = original(pid);
    if (into) {
      var label = fmt(gettext("Merge into %(name)s"), { name: view.players[into].name });
      out += merging === pid
        ? '<button type="button" class="button button-small button-danger" data-act="merge" data-player="' + attr(pid) + '" data-into="' + attr(into) + '" data-testid="merge-confirm-' + attr(pid) + '">' + esc(gettext("Yes, merge")) + "</button>" +
          '<button type="button" class="button button-small" data-act="merge-cancel" data-player="' + attr(pid) + '">' + esc(gettext("Cancel")) + "</button>"
        : '<button type="button" class="button button-small" data-act="merge-ask" data-player="' + attr(pid) + '" data-testid="merge-' + attr(pid) + '">' + esc(label) + "</button>";
    }
    return out;
  }

  function claimsBlocks() {
    var blocks = (view.claims || []).map(function (c) {
      return ["claim" + c.id, '<div class="panel claim" role="group" aria-label="' + attr(gettext("Request for a seat")) + '" data-testid="claim-' + attr(c.player) + '"><p>' +
        esc(fmt(gettext("%(name)s asks for their seat on a new device. Is that person in the room?"), { name: c.name })) + '</p><p class="button-row">' +
        '<button type="button" class="button button-primary" data-act="claim" data-answer="confirm" data-claim="' + attr(c.id) + '" data-testid="claim-confirm-' + attr(c.player) + '">' +
        esc(fmt(gettext("Yes: give %(name)s the seat"), { name: c.name })) + "</button>" +
        '<button type="button" class="button" data-act="claim" data-answer="decline" data-claim="' + attr(c.id) + '" data-testid="claim-decline-' + attr(c.player) + '">' + esc(gettext("Decline")) + "</button></p></div>"];
    });
    if (seatNote) {
      blocks.push(["note", '<div class="panel claim" role="status" data-testid="seat-code-note"><p>' +
        esc(fmt(gettext("Seat code of %(name)s:"), { name: seatNote.name })) + ' <strong class="seat-code-big" data-testid="seat-code-value">' + esc(seatNote.code) + "</strong></p><p>" +
        esc(fmt(gettext("On the new device, %(name)s types the code from the big screen, their name and this seat code."), { name: seatNote.name })) + '</p>' +
        '<p><button type="button" class="button" data-act="seat-note-close">' + esc(gettext("Close")) + "</button></p></div>"]);
    }
    return blocks;
  }

  function post(url, data) {
    var csrf = document.querySelector('input[name="csrfmiddlewaretoken"]');
    var body = new URLSearchParams(data || {});
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrf ? csrf.value : "" },
    }).then(function (r) {
      return r.json().then(function (json) {
        if (!r.ok) throw new Error(json.reason || gettext("Something went wrong; please try again."));
        return json;
      });
    }).catch(function (err) { PM.toast(err.message); return null; });
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("button[data-act]") : null;
    if (!el || el.disabled || !view) return;
    var act = el.getAttribute("data-act"), pid = el.getAttribute("data-player");
    var base = "/host/" + encodeURIComponent(code) + "/";
    if (act === "claim") {
      el.disabled = true;
      var answer = el.getAttribute("data-answer");
      post(base + "claims/" + encodeURIComponent(el.getAttribute("data-claim")) + "/" + answer + "/").then(function (ok) {
        if (ok) PM.toast(answer === "confirm" ? gettext("The seat is on the new device.") : gettext("The request is declined."), "ok");
        el.disabled = false;
      });
    } else if (act === "seat-code") {
      post(base + "seats/" + encodeURIComponent(pid) + "/code/").then(function (data) {
        if (data) { seatNote = { name: data.name, code: data.seat_code }; render(view); }
      });
    } else if (act === "seat-note-close") {
      seatNote = null;
      render(view);
    } else if (act === "merge-ask" || act === "merge-cancel") {
      merging = act === "merge-ask" ? pid : null;
      render(view);
    } else if (act === "merge") {
      merging = null;
      post(base + "seats/" + encodeURIComponent(pid) + "/merge/", { into: el.getAttribute("data-into") }).then(function (ok) {
        if (ok) PM.toast(gettext("The seats are merged."), "ok");
        render(view);
      });
    }
  });

  // --- render -------------------------------------------------------------------------------------

  /* The player whose "move" list the host is opening or has open: that row is not
     redrawn, or the list would close under the host's pointer when someone joins or a
     phone reconnects. It catches up once a committee is chosen or the list loses focus. */
  var opened = null;
  function heldRow() {
    var el = document.activeElement;
    if (!opened || !el || el.getAttribute("data-act") !== "move" || el.getAttribute("data-player") !== opened) return null;
    return opened;
  }
  function onMoveSelect(ev) {
    var el = ev.target;
    if (el && el.getAttribute && el.getAttribute("data-act") === "move") opened = el.getAttribute("data-player");
  }
  document.addEventListener("pointerdown", onMoveSelect, true);
  document.addEventListener("keydown", function (ev) { if (ev.key !== "Tab") onMoveSelect(ev); }, true);
  document.addEventListener("focusout", function (ev) {
    var el = ev.target;
    if (el && el.getAttribute && el.getAttribute("data-act") === "move") {
      opened = null;
      if (view) setTimeout(function () { render(view); }, 0);
    }
  });

  /* A move the host chose stays chosen in its row until the view shows the player moved. */
  function settleMoves() {
    Object.keys(moving).forEach(function (pid) {
      var p = view.players[pid];
      if (!p || p.committee !== moving[pid].from) delete moving[pid];
    });
  }

  var current = null;  // the committees this render draws (shown())
  function render(v) {
    var t0 = window.performance ? performance.now() : 0;
    view = v;
    renderNo += 1;
    settleMoves();
    current = shown();
    PM.update(document.getElementById("summary"), [["s", summaryHTML()]]);
    var claims = document.getElementById("claims");
    if (claims) PM.update(claims, claimsBlocks());
    var gate = document.getElementById("gate-panel");
    if (gate) PM.update(gate, gateBlocks());
    PM.update(document.getElementById("lobby-panel"), lobbyBlocks());
    var controls = controlsBlocks();
    PM.update(document.getElementById("controls"), controls.main);
    PM.update(document.getElementById("controls-more"), controls.more);
    PM.update(document.getElementById("progress"), [["p", progressHTML()]]);
    document.body.classList.toggle("is-running", view.session.status === "running");
    var grid = current.ids.map(function (cid) { return ["c" + cid, committeeHTML(cid)]; });
    if (!grid.length) {
      grid = [["none", '<p class="hint">' + esc(committeeIds().length ? gettext("No committee matches.") : gettext("No committees yet: form them in the lobby.")) + "</p>"]];
    }
    PM.update(document.getElementById("committee-grid"), grid);
    var large = !!current.counts;
    var tools = document.getElementById("committee-tools");
    if (tools) tools.hidden = !large;
    var filterSelect = document.getElementById("committee-filter");
    if (filterSelect && filterSelect.value !== pick.state) filterSelect.value = pick.state;
    PM.update(document.getElementById("committee-pager"), large ? [["counts", countsHTML(current.counts)], ["pager", pagerHTML(current, "grid")]] : []);
    var list = document.getElementById("players-list");
    var held = heldRow();
    var people = shownPlayers();
    var playerTools = document.getElementById("player-tools");
    if (playerTools) playerTools.hidden = !people.large;
    PM.update(document.getElementById("player-pager"), people.large ? [["pager", playerPagerHTML(people)]] : []);
    var players = people.ids.map(function (pid) {
      var row = held === pid ? list.querySelector('[data-block="p' + CSS.escape(pid) + '"]') : null;
      return ["p" + pid, row && row._html != null ? row._html : playerHTML(pid)];
    });
    if (!players.length) players = [["none", '<p class="hint">' + esc(people.large ? gettext("No player matches.") : gettext("Nobody has joined yet.")) + "</p>"]];
    PM.update(list, players);
    document.getElementById("player-count").textContent = "(" + activeCount() + ")";
    var endBox = document.querySelector('[data-testid="end-box"]');
    if (endBox) endBox.hidden = view.session.status === "ended";
    PM.paintTimers();
    if (t0) root.setAttribute("data-render-ms", (performance.now() - t0).toFixed(1));  // measured by the browser tests
  }

  // --- the filter, the search and the pages -----------------------------------------------------

  function rerender() { if (view) render(view); }
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("button[data-act]") : null;
    if (!el || el.disabled || !view) return;
    var act = el.getAttribute("data-act");
    if (act === "pick-state") {
      pick.state = el.getAttribute("data-state");
      pick.page = 0;
      rerender();
    } else if (act === "page") {
      pick.page = Math.max(0, parseInt(el.getAttribute("data-to"), 10) || 0);
      rerender();
    } else if (act === "player-page") {
      playerPick.page = Math.max(0, parseInt(el.getAttribute("data-to"), 10) || 0);
      rerender();
    }
  });
  // Typing waits a moment before it re-draws (2,000 names); Enter applies it at once.
  var searchTimer = null, pending = null;
  function searchNow() { clearTimeout(searchTimer); if (pending) { pending(); pending = null; } rerender(); }
  function searchLater(fn) { pending = fn; clearTimeout(searchTimer); searchTimer = setTimeout(searchNow, 120); }
  var committeeSearch = document.getElementById("committee-search");
  if (committeeSearch) {
    committeeSearch.addEventListener("input", function () {
      searchLater(function () { pick.q = committeeSearch.value.trim().toLowerCase().replace(/^(udvalg|committee)\s+/, ""); pick.page = 0; });
    });
  }
  var committeeFilter = document.getElementById("committee-filter");
  if (committeeFilter) {
    committeeFilter.addEventListener("change", function () { pick.state = committeeFilter.value; pick.page = 0; rerender(); });
  }
  var playerSearch = document.getElementById("player-search");
  if (playerSearch) {
    playerSearch.addEventListener("input", function () {
      searchLater(function () { playerPick.q = playerSearch.value.trim().toLowerCase(); playerPick.page = 0; });
    });
  }
  ["committee-tools", "player-tools"].forEach(function (id) {
    var form = document.getElementById(id);
    if (form) form.addEventListener("submit", function (ev) { ev.preventDefault(); searchNow(); });
  });

  // --- actions --------------------------------------------------------------------------------------

  function run(button, msg) {
    if (button) button.disabled = true;
    return client.act(msg).then(function (ok) {
      if (button && document.contains(button)) button.disabled = false;
      return ok;
    });
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("button[data-act]") : null;
    if (!el || el.disabled || !view || !client) return;
    var act = el.getAttribute("data-act");
    if (act === "form") {
      var size = parseInt(document.getElementById("form-size").value, 10);
      run(el, { type: "form", size: size });
    } else if (act === "advance") {
      var open = openDecisions();
      // The round on the screen: a double click or a second window is then refused as stale.
      advanceFrom = view.session.round;
      if (!open.count) { run(el, { type: "advance", from_round: advanceFrom }); return; }
      // Never a surprise: say how many decisions are still open before leaving them behind.
      document.getElementById("advance-dialog-text").textContent =
        fmt(ngettext("%(n)s decision is not locked in %(committees)s.", "%(n)s decisions are not locked in %(committees)s.", open.count),
          { n: open.count, committees: fmt(ngettext("%(k)s committee", "%(k)s committees", open.committees), { k: open.committees }) }) +
        " " + gettext("Advance anyway?");
      document.getElementById("advance-dialog").showModal();
    } else if (act === "advance-confirm") {
      document.getElementById("advance-dialog").close();
      run(document.querySelector('[data-act="advance"]'), { type: "advance", from_round: advanceFrom });
    } else if (act === "dialog-cancel") {
      var dialog = el.closest("dialog");
      if (dialog) dialog.close();
    } else if (act === "rename-open") {
      renaming = el.getAttribute("data-player");
      var field0 = document.getElementById("rename-name");
      field0.value = view.players[renaming] ? view.players[renaming].name : "";
      document.getElementById("rename-dialog").showModal();
      field0.select();
    } else if (act === "rename-save" || act === "rename-hide") {
      if (!renaming) return;
      var name = act === "rename-hide" ? neutralName(renaming) : document.getElementById("rename-name").value.trim();
      if (!name) { PM.toast(gettext("Type the new name.")); return; }
      run(el, { type: "rename", player: renaming, name: name, hide: act === "rename-hide" }).then(function (ok) {
        if (ok) { document.getElementById("rename-dialog").close(); PM.toast(gettext("The name is changed on every screen."), "ok"); renaming = null; }
      });
    } else if (act === "preview") {
      var url = "/host/" + encodeURIComponent(code) + "/preview/" + encodeURIComponent(el.getAttribute("data-player")) + "/";
      var p0 = view.players[el.getAttribute("data-player")];
      document.getElementById("preview-dialog-title").textContent = fmt(gettext("What %(name)s's phone shows (read-only)"), { name: p0 ? p0.name : "" });
      document.getElementById("preview-frame").src = url;
      document.getElementById("preview-open").href = url;
      document.getElementById("preview-dialog").showModal();
    } else if (act === "end-open") {
      var endBox = document.querySelector('[data-testid="end-box"]');
      if (endBox) {
        for (var box = endBox; box; box = box.parentElement && box.parentElement.closest("details")) box.open = true;
        endBox.scrollIntoView({ block: "center" });
        endBox.querySelector('[data-act="end"]').focus({ preventScroll: true });
      }
    } else if (act === "back") {
      run(el, { type: "back", from_round: view.session.round });
    } else if (act === "start" || act === "lock_all") {
      run(el, { type: act });
    } else if (act === "end") {
      run(el, { type: "end" }).then(function (ok) {
        if (ok) { var box = el.closest("details"); if (box) box.open = false; PM.toast(gettext("The session has ended."), "ok"); }
      });
    } else if (act === "timer") {
      var op = el.getAttribute("data-op");
      var msg = { type: "timer", op: op };
      if (op === "add") msg.seconds = 60;
      run(el, msg);
    } else if (act === "inject") {
      var card = document.getElementById("inject-card").value;
      var target = document.getElementById("inject-target").value;
      var inject = { type: "inject", card: card };
      if (target) inject.committee = target;
      run(el, inject).then(function (ok) { if (ok) PM.toast(gettext("The card is sent in."), "ok"); });
    } else if (act === "message" || act === "clear-message") {
      var field = document.getElementById("host-message");
      var text = act === "message" ? field.value.trim() : "";
      if (act === "message" && !text) { PM.toast(gettext("Write the message first.")); field.focus(); return; }
      var keepBox = document.getElementById("message-keep");
      run(el, { type: "message", text: text, keep: act === "message" && !!(keepBox && keepBox.checked) }).then(function (ok) {
        if (ok && act === "message") { delete PM.drafts["host-message"]; var f = document.getElementById("host-message"); if (f) f.value = ""; PM.updateCounters(document); }
      });
    } else if (act === "remove" || act === "readmit" || act === "admit" || act === "turn_away") {
      run(el, { type: act, player: el.getAttribute("data-player") });
    } else if (act === "lobby") {
      run(el, { type: "lobby", locked: el.getAttribute("data-locked") === "true" });
    }
  });

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el.getAttribute || el.getAttribute("data-act") !== "move" || !client || !view) return;
    if (!el.value) return;
    var pid = el.getAttribute("data-player");
    var p = view && view.players[pid];
    opened = null;  // chosen: the row may be redrawn (the select keeps the focus, not disabled)
    moving[pid] = { to: el.value, from: p ? p.committee : null };
    render(view);
    client.act({ type: "move", player: pid, committee: el.value }).then(function (ok) {
      if (!ok) delete moving[pid];  // refused: back where they sit
      else setTimeout(function () { if (moving[pid] && view) { delete moving[pid]; render(view); } }, 5000);
      if (view) render(view);
    });
  });

  // A closed preview stops polling; Enter in the rename field saves.
  document.getElementById("preview-dialog").addEventListener("close", function () {
    document.getElementById("preview-frame").src = "about:blank";
  });
  document.getElementById("rename-name").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); document.querySelector('[data-act="rename-save"]').click(); }
  });

  client = PM.connect({ path: "/ws/host/" + encodeURIComponent(code) + "/", code: code, render: render });
})();
