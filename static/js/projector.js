/* POLICY-MAKER: the big screen (/host/<code>/projector/), live from /ws/projector/<code>/.
 *
 * Read-only, for the back of the room at 1920×1080: the lobby (address, code,
 * QR, who has joined), then the round and timer with each committee's
 * progress, the idea wall in an idea round, and the outcomes at the end.
 */
(function () {
  "use strict";
  var PM = window.PM, esc = PM.esc, gettext = PM.gettext, fmt = PM.fmt, ngettext = PM.ngettext;
  var screen = document.getElementById("screen");
  var code = screen.getAttribute("data-code");
  var view = null;

  function committeeIds() {
    return Object.keys(view.committees || {}).sort(function (a, b) { return (+a) - (+b); });
  }

  function messageHTML() {
    if (!view.session.message) return "";
    return '<div class="banner banner-message pj-message" role="status" data-testid="host-message"><p>' + esc(view.session.message) + "</p></div>";
  }

  function lobbyHTML() {
    var lobby = view.lobby || { count: 0, names: [] };
    return '<section class="pj-lobby"><div class="pj-join">' +
      '<h1 class="pj-kicker">' + esc(gettext("Join on your phone")) + "</h1>" +
      '<p class="pj-site" data-testid="join-site">' + esc(screen.getAttribute("data-join-site")) + "</p>" +
      '<p class="pj-kicker">' + esc(gettext("and type the code")) + "</p>" +
      '<p class="pj-code" data-testid="join-code">' + esc(code) + "</p>" +
      '<p class="pj-small">' + esc(gettext("or scan the QR code")) + "</p></div>" +
      '<img class="pj-qr" src="' + esc(screen.getAttribute("data-qr")) + '" alt="' + esc(fmt(gettext("QR code for joining session %(code)s"), { code: code })) + '" data-testid="qr">' +
      "</section>" +
      '<section class="pj-arrivals"><p class="pj-count" data-testid="player-count">' +
      esc(fmt(ngettext("%(n)s player has joined", "%(n)s players have joined", lobby.count), { n: lobby.count })) + "</p>" +
      '<ul class="name-cloud pj-names">' + lobby.names.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("") + "</ul></section>";
  }

  function headHTML() {
    var s = view.session;
    var kicker = s.status === "ended" ? gettext("The game has ended")
      : s.briefing ? gettext("Before the first round")  // one numbering: game.visibility.round_number
      : fmt(gettext("Round %(n)s of %(total)s"), { n: s.round_number, total: s.round_total });
    return '<header class="pj-head"><div><p class="pj-kicker">' + esc(kicker) + "</p>" +
      '<h1 class="pj-title" data-testid="round-title">' + esc(s.status === "ended" ? s.title : s.round_info.title) + "</h1>" +
      (s.status === "running" && s.round_info.lead_name ? '<p class="pj-lead">' + esc(gettext("Leads this round:")) + " " + esc(s.round_info.lead_name) + "</p>" : "") +
      "</div>" + (showTimer() ? PM.timerHTML("timer-huge") : "") + "</header>";
  }

  /* The clock only where it means something: not after the end, and not in a round
     without decisions (the results, a reflection) unless the host has it running. */
  function showTimer() {
    var s = view.session;
    if (s.status !== "running") return false;
    return !!s.round_info.lead || (s.timer && s.timer.ends_at != null);
  }

  function metersHTML(meters) {
    if (!meters) return "";
    return '<ul class="meter-list pj-meters">' + meters.map(function (m) {
      return '<li class="meter"><span class="meter-label">' + esc(m.label) + '</span><span class="meter-value">' + m.value +
        '</span><span class="bar" aria-hidden="true"><span style="width:' + m.value + '%"></span></span></li>';
    }).join("") + "</ul>";
  }

  function progressHTML() {
    var cards = committeeIds().map(function (cid) {
      var c = view.committees[cid];
      var ds = c.decisions || [];
      var locked = ds.filter(function (d) { return d.locked != null; }).length;
      var pct = ds.length ? Math.round(100 * locked / ds.length) : 0;
      var publicTallies = ds.filter(function (d) { return d.public && d.tally && d.options; }).map(function (d) {
        return '<div class="pj-tally"><p class="pj-tally-q">' + esc(d.prompt) + "</p><ul>" + d.options.map(function (o) {
          return "<li>" + esc(o.label) + ": <strong>" + (d.tally[o.id] || 0) + "</strong></li>";
        }).join("") + "</ul></div>";
      }).join("");
      return '<article class="pj-committee' + (c.done && ds.length ? " is-done" : "") + '" data-testid="committee-' + esc(cid) + '">' +
        "<h2>" + esc(fmt(gettext("Committee %(name)s"), { name: c.name })) + "</h2>" +
        (ds.length ? '<p class="pj-progress">' + esc(fmt(gettext("%(n)s of %(total)s locked"), { n: locked, total: ds.length })) + "</p>" +
          '<span class="bar bar-big" aria-hidden="true"><span style="width:' + pct + '%"></span></span>' +
          (c.done ? '<p class="pj-done">✓ ' + esc(gettext("Done")) + "</p>" : '<p class="pj-working">' + esc(gettext("Working …")) + "</p>")
          : '<p class="pj-working">' + esc(fmt(ngettext("%(n)s member", "%(n)s members", c.members.length), { n: c.members.length })) + "</p>") +
        publicTallies + (c.outcome ? "" : metersHTML(c.meters)) + "</article>";
    }).join("");
    return '<section class="pj-grid">' + cards + "</section>";
  }

  function ideaRound() {
    return committeeIds().some(function (cid) {
      return (view.committees[cid].decisions || []).some(function (d) { return d.type === "ideas"; });
    });
  }

  /* The wall's order: most dots first; among equals the players' own ideas before
     the idea cards a tool brought in, and the newest first (a new idea is seen). */
  function byWallOrder(a, b) {
    return (b.dots - a.dots) || ((a.card ? 1 : 0) - (b.card ? 1 : 0)) || (+b.id - +a.id);
  }

  var WALL_MAX = 40;  // notes drawn per committee; fitWall() hides those below the screen

  function moreText(n) {
    return fmt(ngettext("and %(n)s more idea", "and %(n)s more ideas", n), { n: n });
  }

  function wallHTML() {
    var ids = committeeIds();
    var cols = ids.map(function (cid) {
      var c = view.committees[cid];
      var all = (c.ideas || []).slice().sort(byWallOrder);
      var ideas = all.slice(0, WALL_MAX);
      var ds = c.decisions || [];
      var locked = ds.filter(function (d) { return d.locked != null; }).length;
      return '<section class="pj-wall-col" data-total="' + all.length + '"><h2>' + esc(fmt(gettext("Committee %(name)s"), { name: c.name })) +
        ' <span class="pj-wall-progress">' + esc(fmt(gettext("%(n)s of %(total)s locked"), { n: locked, total: ds.length })) + "</span></h2>" +
        '<ul class="pj-ideas">' + ideas.map(function (i) {
          return '<li class="pj-idea' + (i.kept ? " is-kept" : "") + '"><p class="pj-idea-text">' + esc(i.text) + "</p>" +
            '<p class="pj-dots">' + (i.dots ? '<span aria-hidden="true">' + "●".repeat(Math.min(i.dots, 8)) + "</span> " : "") +
            esc(fmt(ngettext("%(n)s dot", "%(n)s dots", i.dots), { n: i.dots })) + (i.kept ? " · ✓ " + esc(gettext("goes forward")) : "") + "</p></li>";
        }).join("") + "</ul>" +
        '<p class="pj-more"' + (all.length > ideas.length ? "" : " hidden") + ">" + esc(moreText(all.length - ideas.length)) + "</p></section>";
    }).join("");
    return '<section class="pj-wall" data-testid="idea-wall" data-committees="' + Math.min(ids.length, 4) + '">' +
      '<h2 class="sr-only">' + esc(gettext("Idea wall")) + "</h2>" + cols + "</section>";
  }

  /* The projector cannot scroll: each committee shows the notes that fit above the
     bottom of the screen (the best first) and counts the rest as "and N more ideas". */
  function fitWall() {
    var wall = screen.querySelector(".pj-wall");
    if (!wall) return;
    var cols = wall.querySelectorAll(".pj-wall-col");
    var perRow = Math.max(1, getComputedStyle(wall).gridTemplateColumns.split(" ").length);
    var rows = Math.ceil(cols.length / perRow);
    var bottom = window.innerHeight - 12;
    // More committees than fit in a row: each row of them gets its share of the height.
    var rowHeight = (bottom - wall.getBoundingClientRect().top) / rows;
    Array.prototype.forEach.call(cols, function (col) {
      var limit = Math.min(bottom, col.getBoundingClientRect().top + rowHeight);
      var notes = col.querySelectorAll(".pj-idea");
      var more = col.querySelector(".pj-more");
      var total = parseInt(col.getAttribute("data-total"), 10) || notes.length;
      var shown = notes.length;
      function mark() {
        more.hidden = shown >= total;
        more.textContent = moreText(total - shown);
      }
      for (var i = 0; i < notes.length; i++) notes[i].hidden = false;
      mark();
      while (shown > 1 && col.getBoundingClientRect().bottom > limit) {
        shown -= 1;
        notes[shown].hidden = true;
        mark();
      }
    });
  }
  window.addEventListener("resize", fitWall);

  function outcomesHTML() {
    var items = committeeIds().filter(function (cid) { return view.committees[cid].outcome; }).map(function (cid) {
      var c = view.committees[cid];
      return '<article class="pj-outcome" data-testid="outcome-' + esc(cid) + '"><p class="pj-kicker">' + esc(fmt(gettext("Committee %(name)s"), { name: c.name })) + "</p>" +
        '<h2 class="pj-outcome-title">' + esc(c.outcome.title) + "</h2>" +
        '<p class="headline">' + esc(c.outcome.headline) + "</p>" + metersHTML(c.meters) + "</article>";
    }).join("");
    return items ? '<section class="pj-outcomes">' + items + "</section>" : "";
  }

  function render(v) {
    view = v;
    var s = view.session;
    var blocks = [["message", messageHTML()]];
    if (s.status === "lobby") {
      blocks.push(["lobby", lobbyHTML()]);
    } else {
      blocks.push(["head", headHTML()]);
      var outcomes = outcomesHTML();
      if (outcomes) blocks.push(["outcomes", outcomes]);
      else if (ideaRound()) blocks.push(["wall", wallHTML()]);
      else blocks.push(["grid", progressHTML()]);
    }
    screen.classList.toggle("is-wall", blocks[blocks.length - 1][0] === "wall");
    PM.update(screen, blocks);
    fitWall();
    PM.paintTimers();
  }

  PM.connect({ path: "/ws/projector/" + encodeURIComponent(code) + "/", code: code, render: render });
})();
