/* POLICY-MAKER: the big screen (/host/<code>/projector/), live from /ws/projector/<code>/.
 *
 * Read-only, for the back of a room, on any screen from 1280×720 up: the lobby
 * (address, code, QR, who has joined), then the round with its questions, how
 * many have answered in each committee and, once a decision is locked, its
 * split (counts, never names); the idea wall in an idea round (the ideas that go
 * forward, ties shown as ties); the committees side by side at the end. The
 * join code and QR stay in a corner for late arrivals.
 *
 * The page never scrolls: after each render fit() tries denser layouts (the
 * type never drops below 20 px) and only then hides what does not fit, counted
 * as "+N more". Sound (Web Audio, nothing to download) is off until the host
 * turns it on; fullscreen uses the Fullscreen API.
 */
(function () {
  "use strict";
  var PM = window.PM, esc = PM.esc, gettext = PM.gettext, fmt = PM.fmt, ngettext = PM.ngettext;
  var screen = document.getElementById("screen");
  var code = screen.getAttribute("data-code");
  var view = null;

  // Played by one role, not voted on (cases.schema.PLAYED_TYPES): no votes to wait for.
  function isPlayed(d) { return d.type === "catalyst" || d.type === "invite" || d.type === "frame"; }
  function committeeIds() {
    return Object.keys(view.committees || {}).sort(function (a, b) { return (+a) - (+b); });
  }
  function committeeName(c) { return fmt(gettext("Committee %(name)s"), { name: c.name }); }
  function n(count) { return Math.min(count, 8); }  // the layouts know 1 to 8 side by side

  function messageHTML() {
    if (!view.session.message) return "";
    return '<div class="banner banner-message pj-message" role="status" data-testid="host-message"><p>' + esc(view.session.message) + "</p></div>";
  }

  function qrAlt() { return fmt(gettext("QR code for joining session %(code)s"), { code: code }); }

  // --- the lobby ------------------------------------------------------------------------------

  function lobbyHTML() {
    var lobby = view.lobby || { count: 0, names: [] };
    var names = lobby.names.map(function (name) { return '<li class="pj-name">' + esc(name) + "</li>"; }).join("");
    return '<section class="pj-lobby">' +
      '<div class="pj-join"><h1 class="pj-kicker">' + esc(gettext("Join on your phone")) + "</h1>" +
      '<p class="pj-site" data-testid="join-site">' + esc(screen.getAttribute("data-join-site")) + "</p>" +
      '<p class="pj-kicker">' + esc(gettext("and type the code")) + "</p>" +
      '<p class="pj-code" data-testid="join-code">' + esc(code) + "</p>" +
      '<img class="pj-qr" src="' + esc(screen.getAttribute("data-qr")) + '" alt="' + esc(qrAlt()) + '" data-testid="qr">' +
      '<p class="pj-small">' + esc(gettext("or scan the QR code")) + "</p></div>" +
      '<section class="pj-arrivals" aria-labelledby="pj-count"><h2 class="pj-count" id="pj-count" data-testid="player-count">' +
      esc(fmt(ngettext("%(n)s player has joined", "%(n)s players have joined", lobby.count), { n: lobby.count })) + "</h2>" +
      '<ul class="pj-names" data-testid="lobby-names" data-total="' + lobby.count + '">' + names +
      '<li class="pj-name pj-name-more" data-testid="names-more" hidden></li></ul></section></section>';
  }

  /* Every name if it fits; else the newest that fit, and "+N more" for the rest. */
  function fitNames() {
    var list = screen.querySelector(".pj-names");
    if (!list) return;
    var items = list.querySelectorAll(".pj-name:not(.pj-name-more)");
    var more = list.querySelector(".pj-name-more");
    var total = parseInt(list.getAttribute("data-total"), 10) || items.length;
    var hiddenCount = 0;
    function mark() {
      var rest = total - (items.length - hiddenCount);
      more.hidden = rest <= 0;
      more.textContent = fmt(gettext("+%(n)s more"), { n: rest });
    }
    for (var i = 0; i < items.length; i++) items[i].hidden = false;
    mark();
    while (hiddenCount < items.length && overflows()) {
      items[hiddenCount].hidden = true;  // the oldest arrivals go first: they have seen their name
      hiddenCount += 1;
      mark();
    }
  }

  // --- the head of a round: title, clock and, small, the way in for late arrivals ----------

  function cornerHTML() {
    return '<div class="pj-corner" data-testid="corner-join"><img class="pj-corner-qr" src="' + esc(screen.getAttribute("data-qr")) + '" alt="' + esc(qrAlt()) + '">' +
      '<p class="pj-corner-text"><span class="pj-corner-site">' + esc(screen.getAttribute("data-join-site")) + "</span>" +
      '<span class="pj-corner-code" data-testid="corner-code">' + esc(code) + "</span></p></div>";
  }

  function headHTML() {
    var s = view.session;
    var kicker = s.status === "ended" ? gettext("The game has ended")
      : s.briefing ? gettext("Before the first round")  // one numbering: game.visibility.round_number
      : fmt(gettext("Round %(n)s of %(total)s"), { n: s.round_number, total: s.round_total });
    var lead = s.status === "running" && s.round_info.lead_name
      ? ' <span class="pj-lead">· ' + esc(gettext("Leads this round:")) + " " + esc(s.round_info.lead_name) + "</span>" : "";
    return '<header class="pj-head"><div class="pj-head-main"><p class="pj-kicker">' + esc(kicker) + lead + "</p>" +
      '<h1 class="pj-title" data-testid="round-title">' + esc(s.status === "ended" ? s.title : s.round_info.title) + "</h1>" +
      "</div>" + (showTimer() ? PM.timerHTML("timer-huge") : "") + (s.status === "running" ? cornerHTML() : "") + "</header>";
  }

  /* The clock only where it means something: not after the end, and not in a round
     without decisions (the results, a reflection) unless the host has it running. */
  function showTimer() {
    var s = view.session;
    if (s.status !== "running") return false;
    return !!s.round_info.lead || (s.timer && s.timer.ends_at != null);
  }

  // --- a round: the questions, who has answered, the split after a lock -------------------

  /* The round's questions, numbered as the committees' rows below: one per task
     (drawn cards differ per committee, so a card task is one question). */
  function questions() {
    var seen = {}, out = [];
    committeeIds().forEach(function (cid) {
      (view.committees[cid].decisions || []).forEach(function (d) {
        var id = d.key.indexOf("inject:") === 0 ? "inject" : d.key.split(":")[0];
        if (!seen[id]) { seen[id] = { id: id, prompt: d.key.indexOf("inject:") === 0 ? gettext("An event card from the host") : d.prompt, type: d.type }; out.push(seen[id]); }
      });
    });
    return out;
  }
  function questionOf(d) { return d.key.indexOf("inject:") === 0 ? "inject" : d.key.split(":")[0]; }

  function totals() {
    var answered = 0, members = 0;
    committeeIds().forEach(function (cid) {
      var c = view.committees[cid];
      answered += c.answered || 0;
      members += c.members.length;
    });
    return { answered: answered, members: members };
  }

  function votedText(a, b) { return fmt(gettext("%(n)s of %(total)s have voted"), { n: a, total: b }); }

  function questionHTML(qs) {
    if (!qs.length) return "";
    var t = totals();
    return '<section class="pj-question" data-testid="question"><ol class="pj-questions">' + qs.map(function (q) {
      return '<li><span class="pj-q-text">' + esc(q.prompt) + "</span></li>";
    }).join("") + "</ol>" +
      '<p class="pj-answered" data-testid="answered-total">' + esc(votedText(t.answered, t.members)) + "</p></section>";
  }

  function labelOf(d, id) {
    var o = (d.options || []).filter(function (x) { return x.id === id; })[0];
    return o ? o.label : id;
  }
  function lockedText(d) {
    var v = d.locked;
    if (d.type === "ideas") return fmt(ngettext("%(n)s idea goes forward", "%(n)s ideas go forward", v.length), { n: v.length });
    if (Array.isArray(v)) return v.map(function (id) { return labelOf(d, id); }).join(", ");
    return labelOf(d, v);
  }

  /* The split of a locked decision: a bar per option, the most support first; no names. */
  function splitHTML(d) {
    if (!d.tally || !d.options || !d.options.length) return "";
    var rows = d.options.map(function (o) { return { o: o, n: d.tally[o.id] || 0 }; })
      .filter(function (r) { return r.n > 0; })
      .sort(function (a, b) { return b.n - a.n; });
    if (!rows.length) return "";
    var max = rows[0].n;
    var chosen = Array.isArray(d.locked) ? d.locked : [d.locked];
    return '<ul class="pj-split" data-testid="split">' + rows.map(function (r) {
      var mine = chosen.indexOf(r.o.id) >= 0;
      return '<li class="pj-split-row' + (mine ? " is-chosen" : "") + '"><span class="pj-split-label">' + (mine ? "✓ " : "") + esc(r.o.label) + "</span>" +
        '<span class="pj-split-n">' + r.n + '</span><span class="bar pj-split-bar" aria-hidden="true"><span style="width:' + Math.round(100 * r.n / max) + '%"></span></span></li>';
    }).join("") + "</ul>";
  }

  function decisionRow(c, d, number) {
    var size = c.members.length;
    var head = '<span class="pj-d-n" aria-hidden="true">' + number + "</span>";
    if (d.locked != null) {
      var split = splitHTML(d);
      return '<li class="pj-d is-locked">' + head + '<div class="pj-d-body"><p class="' + (split ? "sr-only" : "pj-d-state pj-d-value") + '">' +
        esc(fmt(gettext("Question %(n)s, locked:"), { n: number })) + " " + esc(lockedText(d)) + "</p>" + split + "</div></li>";
    }
    var votes = d.votes || 0;
    var pct = size ? Math.round(100 * Math.min(votes, size) / size) : 0;
    var what = isPlayed(d) ? gettext("not played yet") : votedText(votes, size);
    return '<li class="pj-d">' + head + '<div class="pj-d-body"><p class="pj-d-state"><span class="sr-only">' + esc(fmt(gettext("Question %(n)s:"), { n: number })) + " </span>" + esc(what) + "</p>" +
      (isPlayed(d) ? "" : '<span class="bar pj-votes-bar" aria-hidden="true"><span style="width:' + pct + '%"></span></span>') + "</div></li>";
  }

  function progressHTML() {
    var qs = questions();
    var number = {};
    qs.forEach(function (q, i) { number[q.id] = i + 1; });
    var ids = committeeIds();
    var cards = ids.map(function (cid) {
      var c = view.committees[cid];
      var ds = c.decisions || [];
      var locked = ds.filter(function (d) { return d.locked != null; }).length;
      var rows = ds.map(function (d) { return decisionRow(c, d, number[questionOf(d)] || "•"); }).join("");
      return '<article class="pj-committee' + (c.done && ds.length ? " is-done" : "") + '" data-testid="committee-' + esc(cid) + '">' +
        '<h2 class="pj-c-name">' + esc(committeeName(c)) + (c.done && ds.length ? ' <span class="pj-done">✓ ' + esc(gettext("Done")) + "</span>" : "") + "</h2>" +
        (ds.length ? '<p class="pj-c-answered" data-testid="answered-' + esc(cid) + '" data-locked="' + locked + '">' + esc(votedText(c.answered || 0, c.members.length)) + "</p>" +
          '<ul class="pj-ds">' + rows + "</ul>"
          : '<p class="pj-working">' + esc(fmt(ngettext("%(n)s member", "%(n)s members", c.members.length), { n: c.members.length })) + "</p>" +
            // A round without decisions (the briefing): who sits where, so people find each other.
            '<p class="pj-members" data-testid="members-' + esc(cid) + '">' + esc(c.members.map(function (m) { return m.name; }).join(", ")) + "</p>") +
        (c.outcome ? "" : metersHTML(c.meters)) + "</article>";
    }).join("");
    return questionHTML(qs) + '<section class="pj-grid" data-n="' + n(ids.length) + '">' + cards + "</section>";
  }

  function metersHTML(meters) {
    if (!meters) return "";
    return '<ul class="meter-list pj-meters">' + meters.map(function (m) {
      return '<li class="meter"><span class="meter-label">' + esc(m.label) + '</span><span class="meter-value">' + m.value +
        '</span><span class="bar" aria-hidden="true"><span style="width:' + m.value + '%"></span></span></li>';
    }).join("") + "</ul>";
  }

  // --- the idea wall -------------------------------------------------------------------------

  function ideaDecision(c) {
    return (c.decisions || []).filter(function (d) { return d.type === "ideas"; })[0] || null;
  }
  function ideaRound() {
    return committeeIds().some(function (cid) { return !!ideaDecision(view.committees[cid]); });
  }

  /* Which ideas go forward, as the rules decide it (most dots; among equals the
     pool's order), and which are tied at the cut: shown as a tie, not broken unseen. */
  function wallGroups(c) {
    var d = ideaDecision(c);
    var keep = (d && d.keep) || 5;
    var pool = (c.ideas || []).map(function (idea, i) { return { idea: idea, order: i }; });
    var ranked = pool.slice().sort(function (a, b) { return (b.idea.dots - a.idea.dots) || (a.order - b.order); });
    var lockedList = d && d.locked != null;
    var forward = lockedList ? ranked.filter(function (r) { return r.idea.kept; }) : ranked.slice(0, keep);
    var anyDots = pool.some(function (r) { return r.idea.dots > 0; });
    var isForward = {};
    forward.forEach(function (r) { isForward[r.idea.id] = true; });
    var rest = ranked.filter(function (r) { return !isForward[r.idea.id]; });
    var cut = forward.length ? forward[forward.length - 1].idea.dots : null;
    var tiedOut = anyDots && cut != null && cut > 0 ? rest.filter(function (r) { return r.idea.dots === cut; }) : [];
    var tiedIn = tiedOut.length ? forward.filter(function (r) { return r.idea.dots === cut; }) : [];
    var tied = {};
    tiedIn.concat(tiedOut).forEach(function (r) { tied[r.idea.id] = true; });
    return {
      d: d, keep: keep, anyDots: anyDots, locked: lockedList,
      forward: forward.filter(function (r) { return !tied[r.idea.id]; }).map(function (r) { return r.idea; }),
      tied: tiedIn.concat(tiedOut).map(function (r) { return r.idea; }),
      tiedIn: tiedIn.length, cut: cut,
      rest: rest.filter(function (r) { return !tied[r.idea.id]; }).map(function (r) { return r.idea; }),
      // Before any dots: the pool as it grows, the newest first (a new idea is seen).
      pool: pool.slice().reverse().map(function (r) { return r.idea; }),
    };
  }

  function dotsText(k) { return fmt(ngettext("%(n)s dot", "%(n)s dots", k), { n: k }); }

  function noteHTML(i, extra) {
    return '<li class="pj-idea' + (i.kept ? " is-kept" : "") + (extra || "") + '"><p class="pj-idea-text">' + esc(i.text) + "</p>" +
      '<p class="pj-dots"><span aria-hidden="true">' + (i.kept ? "✓ " : extra ? "= " : "") + i.dots + ' ●</span><span class="sr-only">' + esc(dotsText(i.dots)) +
      (i.kept ? ", " + esc(gettext("goes forward")) : "") + "</span></p></li>";
  }

  function moreText(k) { return fmt(ngettext("and %(n)s more idea", "and %(n)s more ideas", k), { n: k }); }

  function wallColumn(cid) {
    var c = view.committees[cid];
    var g = wallGroups(c);
    var d = g.d;
    var sub = d ? (d.locked != null ? "✓ " + gettext("Locked") : fmt(gettext("%(n)s of %(total)s have put dots"), { n: d.votes || 0, total: c.members.length })) : "";
    var body;
    if (!g.anyDots) {
      body = '<p class="pj-group">' + esc(fmt(ngettext("%(n)s idea in the pool", "%(n)s ideas in the pool", g.pool.length), { n: g.pool.length })) + "</p>" +
        '<ul class="pj-ideas" data-fit="notes">' + g.pool.map(function (i) { return noteHTML(i); }).join("") + "</ul>";
    } else {
      body = (g.forward.length ? '<p class="pj-group">' + esc(g.locked ? gettext("Went forward") : fmt(gettext("Going forward: top %(n)s"), { n: g.keep })) + "</p>" +
          '<ul class="pj-ideas" data-fit="notes">' + g.forward.map(function (i) { return noteHTML(i); }).join("") + "</ul>" : "") +
        (g.tied.length ? '<p class="pj-group pj-group-tie" data-testid="tie-' + esc(cid) + '">' +
          esc(fmt(ngettext("Tie for %(places)s place: %(dots)s", "Tie for %(places)s places: %(dots)s", g.tiedIn),
            { dots: dotsText(g.cut), places: g.tiedIn })) + "</p>" +
          '<ul class="pj-ideas pj-ideas-tie" data-fit="notes">' + g.tied.map(function (i) { return noteHTML(i, " is-tie"); }).join("") + "</ul>" : "") +
        // The rest as well while there is room; the fit counts what it must leave out.
        (g.rest.length ? '<p class="pj-group pj-group-rest">' + esc(gettext("Other ideas")) + "</p>" +
          '<ul class="pj-ideas pj-ideas-rest" data-fit="notes">' + g.rest.map(function (i) { return noteHTML(i); }).join("") + "</ul>" : "");
    }
    var total = 0;
    return '<section class="pj-wall-col" data-testid="wall-' + esc(cid) + '"><h2>' + esc(committeeName(c)) +
      (sub ? ' <span class="pj-wall-progress">' + esc(sub) + "</span>" : "") + "</h2>" + body +
      '<p class="pj-more" data-rest="' + total + '"' + (total ? "" : " hidden") + ">" + esc(moreText(total)) + "</p></section>";
  }

  function wallHTML() {
    var ids = committeeIds();
    var tie = ids.some(function (cid) { return wallGroups(view.committees[cid]).tied.length; });
    return '<section class="pj-wall" data-testid="idea-wall" data-n="' + n(ids.length) + '">' +
      '<h2 class="sr-only">' + esc(gettext("Idea wall")) + "</h2>" + ids.map(wallColumn).join("") + "</section>" +
      (tie ? '<p class="pj-tie-rule" data-testid="tie-rule">' + esc(gettext("Tie: as many dots as the last place – unless a dot moves, the pool's order settles it.")) + "</p>" : "");
  }

  /* Each column shows the notes that fit (the best first) and counts the rest. */
  function fitWall() {
    var cols = screen.querySelectorAll(".pj-wall-col");
    if (!cols.length) return;
    var wall = screen.querySelector(".pj-wall");
    var perRow = Math.max(1, getComputedStyle(wall).gridTemplateColumns.split(" ").length);
    var rows = Math.ceil(cols.length / perRow);
    var footer = screen.querySelector(".pj-wall ~ .pj-tie-rule");
    var bottom = window.innerHeight - 8 - (footer ? footer.getBoundingClientRect().height + 8 : 0);
    var rowHeight = (bottom - wall.getBoundingClientRect().top) / rows;
    Array.prototype.forEach.call(cols, function (col, index) {
      var top = wall.getBoundingClientRect().top + Math.floor(index / perRow) * rowHeight;
      var limit = Math.min(bottom, top + rowHeight - 4);
      var notes = col.querySelectorAll("[data-fit] .pj-idea");
      var more = col.querySelector(".pj-more");
      var base = parseInt(more.getAttribute("data-rest"), 10) || 0;
      var shown = notes.length;
      function mark() {
        var rest = base + (notes.length - shown);
        more.hidden = rest <= 0;
        more.textContent = moreText(rest);
      }
      var restLabel = col.querySelector(".pj-group-rest");
      var restFirst = restLabel ? Array.prototype.indexOf.call(notes, col.querySelector(".pj-ideas-rest .pj-idea")) : -1;
      for (var i = 0; i < notes.length; i++) notes[i].hidden = false;
      if (restLabel) restLabel.hidden = false;
      mark();
      while (shown > 0 && col.getBoundingClientRect().bottom > limit) {
        shown -= 1;
        notes[shown].hidden = true;
        if (restLabel) restLabel.hidden = shown <= restFirst;  // no label over nothing
        mark();
      }
    });
  }

  // --- the results: the committees side by side ------------------------------------------

  /* Up to four committees: each card has its meters. More: the cards hold the outcome and
     headline, and one table below compares the meters (full labels, one column each). */
  function outcomesHTML() {
    var ids = committeeIds().filter(function (cid) { return view.committees[cid].outcome; });
    if (!ids.length) return "";
    var table = ids.length > 4 && view.committees[ids[0]].meters;
    var cards = '<section class="pj-outcomes" data-testid="outcomes" data-n="' + n(ids.length) + '">' + ids.map(function (cid) {
      var c = view.committees[cid];
      return '<article class="pj-outcome" data-testid="outcome-' + esc(cid) + '"><p class="pj-c-name">' + esc(committeeName(c)) + "</p>" +
        '<h2 class="pj-outcome-title">' + esc(c.outcome.title) + "</h2>" +
        '<p class="headline pj-headline">' + esc(c.outcome.headline) + "</p>" + (table ? "" : metersHTML(c.meters)) + "</article>";
    }).join("") + "</section>";
    if (!table) return cards;
    var meters = view.committees[ids[0]].meters;
    return cards + '<table class="pj-compare" data-testid="compare"><thead><tr><th scope="col"><span class="sr-only">' + esc(gettext("Meter")) + "</span></th>" +
      ids.map(function (cid) { return '<th scope="col">' + esc(committeeName(view.committees[cid])) + "</th>"; }).join("") + "</tr></thead><tbody>" +
      meters.map(function (m, row) {
        return '<tr><th scope="row">' + esc(m.label) + "</th>" + ids.map(function (cid) {
          var value = ((view.committees[cid].meters || [])[row] || {}).value;
          return '<td><span class="pj-compare-n">' + esc(value) + '</span><span class="bar" aria-hidden="true"><span style="width:' + (value || 0) + '%"></span></span></td>';
        }).join("") + "</tr>";
      }).join("") + "</tbody></table>";
  }

  // --- a conference: the room in numbers, not 400 tiles (issue 7) ----------------------------

  /* Past this many committees no tile is readable from the back of the room: the screen
     shows how far the room has come (counts, bars, the most chosen answers) instead. */
  var SUMMARY_FROM = 13;
  function large() { return committeeIds().length >= SUMMARY_FROM; }
  function pct(a, b) { return b ? Math.round(100 * Math.min(a, b) / b) : 0; }
  function barHTML(a, b, extra) {
    return '<span class="bar pj-sum-bar' + (extra || "") + '" aria-hidden="true"><span style="width:' + pct(a, b) + '%"></span></span>';
  }
  function sumRow(n, text, total, kind, testid) {
    return '<li class="pj-sum-row pj-sum-' + kind + '" data-testid="' + testid + '"><span class="pj-sum-n">' + n + '</span><span class="pj-sum-label">' + esc(text) + "</span>" + barHTML(n, total) + "</li>";
  }

  /* Where the committees are: everything locked, everyone has voted, voting, nobody yet. */
  function roomCounts() {
    var out = { done: 0, voted: 0, working: 0, stuck: 0, deciding: 0 };
    committeeIds().forEach(function (cid) {
      var c = view.committees[cid], ds = c.decisions || [];
      if (!ds.length) return;
      out.deciding += 1;
      if (c.done) out.done += 1;
      else if (c.members.length && (c.answered || 0) >= c.members.length) out.voted += 1;
      else if (ds.some(function (d) { return d.locked != null || (d.votes || 0) > 0; })) out.working += 1;
      else out.stuck += 1;
    });
    return out;
  }

  /* Per question: in how many committees it is locked, and the answers locked most often. */
  function questionSummary(qs) {
    var byQ = {};
    qs.forEach(function (q) { byQ[q.id] = { q: q, asked: 0, locked: 0, picks: {} }; });
    committeeIds().forEach(function (cid) {
      (view.committees[cid].decisions || []).forEach(function (d) {
        var row = byQ[questionOf(d)];
        if (!row) return;
        row.asked += 1;
        if (d.locked == null) return;
        row.locked += 1;
        if (d.type === "ideas" || d.type === "catalyst") return;
        (Array.isArray(d.locked) ? d.locked : [d.locked]).forEach(function (id) {
          var label = labelOf(d, id);
          row.picks[label] = (row.picks[label] || 0) + 1;
        });
      });
    });
    return qs.map(function (q) { return byQ[q.id]; });
  }

  function topPicks(picks, k) {
    return Object.keys(picks).map(function (label) { return { label: label, n: picks[label] }; })
      .sort(function (a, b) { return (b.n - a.n) || (a.label < b.label ? -1 : 1); }).slice(0, k);
  }

  function summaryHTML() {
    var ids = committeeIds(), total = ids.length;
    var qs = questions();
    var t = totals();
    var counts = roomCounts();
    if (!counts.deciding) {  // the briefing: who sits where is on each phone
      return '<section class="pj-summary pj-summary-one" data-testid="room-summary"><p class="pj-sum-big" data-testid="summary-committees">' +
        esc(fmt(gettext("%(players)s players in %(committees)s committees"), { players: t.members, committees: total })) + "</p>" +
        '<p class="pj-sum-note">' + esc(gettext("Your phone shows your committee and who sits with you.")) + "</p></section>";
    }
    var states = '<div class="pj-sum-main"><p class="pj-sum-big" data-testid="summary-voted">' + esc(votedText(t.answered, t.members)) + "</p>" + barHTML(t.answered, t.members, " pj-sum-bar-big") +
      '<p class="pj-sum-head">' + esc(fmt(ngettext("%(n)s committee", "%(n)s committees", total), { n: total })) + "</p>" +
      '<ul class="pj-sum-rows" data-testid="summary-states">' +
      sumRow(counts.done, gettext("have locked everything"), total, "done", "state-done") +
      sumRow(counts.voted, gettext("have all voted"), total, "voted", "state-voted") +
      sumRow(counts.working, gettext("are voting"), total, "working", "state-working") +
      sumRow(counts.stuck, gettext("have not started"), total, "stuck", "state-stuck") + "</ul></div>";
    var rows = questionSummary(qs).map(function (r, i) {
      var top = topPicks(r.picks, 2);
      return '<li class="pj-sum-q" data-testid="summary-q' + (i + 1) + '"><p class="pj-sum-prompt"><span class="pj-d-n" aria-hidden="true">' + (i + 1) + '</span><span class="pj-sum-prompt-text">' + esc(r.q.prompt) + "</span></p>" +
        '<p class="pj-sum-locked">' + esc(fmt(gettext("Locked in %(n)s of %(total)s committees"), { n: r.locked, total: r.asked })) + "</p>" + barHTML(r.locked, r.asked) +
        (top.length ? '<ul class="pj-sum-picks" aria-label="' + esc(gettext("Chosen most")) + '">' + top.map(function (x) {
          return '<li><span class="pj-sum-pick">' + esc(x.label) + '</span><span class="pj-sum-pick-n">' + esc(fmt(ngettext("%(n)s committee", "%(n)s committees", x.n), { n: x.n })) + "</span></li>";
        }).join("") + "</ul>" : "") + "</li>";
    }).join("");
    return '<section class="pj-summary" data-testid="room-summary">' + states + '<ol class="pj-sum-questions">' + rows + "</ol></section>";
  }

  /* The idea wall of a conference: how many ideas, how far the dots are, the ideas with most dots. */
  function wallSummaryHTML() {
    var ids = committeeIds();
    var ideas = [], locked = 0, dotted = 0, members = 0;
    ids.forEach(function (cid) {
      var c = view.committees[cid], d = ideaDecision(c);
      members += c.members.length;
      if (d && d.locked != null) locked += 1;
      dotted += d ? d.votes || 0 : 0;
      (c.ideas || []).forEach(function (i) { ideas.push({ idea: i, c: c }); });
    });
    var top = ideas.filter(function (x) { return x.idea.dots > 0; })
      .sort(function (a, b) { return b.idea.dots - a.idea.dots; }).slice(0, 5);
    return '<section class="pj-summary" data-testid="room-summary"><div class="pj-sum-main">' +
      '<p class="pj-sum-big" data-testid="summary-ideas">' + esc(fmt(ngettext("%(n)s idea in the pools", "%(n)s ideas in the pools", ideas.length), { n: ideas.length })) + "</p>" +
      '<ul class="pj-sum-rows">' +
      sumRow(dotted, fmt(gettext("of %(total)s have put dots"), { total: members }), members, "working", "state-dotted") +
      sumRow(locked, fmt(gettext("of %(total)s committees have locked their ideas"), { total: ids.length }), ids.length, "done", "state-done") + "</ul></div>" +
      '<div class="pj-sum-side"><h2 class="pj-sum-head">' + esc(gettext("Most dots so far")) + "</h2>" +
      (top.length ? '<ol class="pj-sum-ideas" data-testid="summary-top-ideas">' + top.map(function (x) {
        return '<li><span class="pj-sum-idea">' + esc(x.idea.text) + '</span> <span class="pj-sum-where">' + esc(committeeName(x.c)) + " · " + x.idea.dots + " ●</span></li>";
      }).join("") + "</ol>" : '<p class="pj-sum-note" data-testid="summary-no-dots">' + esc(gettext("No dots yet.")) + "</p>") + "</div></section>";
  }

  /* The end of a conference: how many committees reached each outcome. */
  function outcomesSummaryHTML() {
    var ids = committeeIds().filter(function (cid) { return view.committees[cid].outcome; });
    if (!ids.length) return "";
    var by = {};
    ids.forEach(function (cid) { var o = view.committees[cid].outcome; by[o.title] = (by[o.title] || 0) + 1; });
    var rows = topPicks(by, 6).map(function (x, i) { return sumRow(x.n, x.label, ids.length, "done", "outcome-row-" + (i + 1)); }).join("");
    return '<section class="pj-summary pj-summary-one" data-testid="room-summary"><p class="pj-sum-big" data-testid="summary-outcomes">' +
      esc(fmt(ngettext("The outcome of %(n)s committee", "The outcomes of %(n)s committees", ids.length), { n: ids.length })) + "</p>" +
      '<ul class="pj-sum-rows pj-sum-outcomes">' + rows + "</ul></section>";
  }

  // --- fitting one screen -------------------------------------------------------------------

  function overflows() {
    var doc = document.documentElement;
    return doc.scrollHeight > window.innerHeight + 1 || doc.scrollWidth > window.innerWidth + 1;
  }

  var LEVELS = ["fit-1", "fit-2", "fit-3", "fit-4"];  // ever denser; see app.css
  function fit(kind) {
    LEVELS.forEach(function (c) { screen.classList.remove(c); });
    // The wall and the lobby may count what does not fit, so they stop at a roomier level.
    var most = kind === "wall" || kind === "lobby" ? 2 : LEVELS.length;
    for (var i = 0; i < most && overflows(); i++) {
      if (i > 0) screen.classList.remove(LEVELS[i - 1]);
      screen.classList.add(LEVELS[i]);
    }
    if (kind === "wall") fitWall();
    if (kind === "lobby") fitNames();
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (view) render(view); }, 100);
  });

  // --- sound: Web Audio, generated, off until the host turns it on -----------------------------

  var SOUND_KEY = "pm-projector-sound";
  var sound = { on: false, ctx: null };
  try { sound.on = localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { /* private mode */ }

  function audio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!sound.ctx) sound.ctx = new AC();
    if (sound.ctx.state === "suspended") sound.ctx.resume();
    return sound.ctx;
  }
  /* One soft tone: a sine with a short attack and a long release (no clicks). */
  function tone(freq, start, length, volume, type) {
    var ctx = audio();
    if (!ctx) return;
    var t = ctx.currentTime + start;
    var osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.type = type || "sine";
    osc.frequency.setValueAtTime(freq, t);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(volume, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + length + 0.05);
  }
  var SOUNDS = {
    join: function () { tone(660, 0, 0.35, 0.12); tone(880, 0.12, 0.45, 0.1); },
    tick: function () { tone(1000, 0, 0.12, 0.08, "triangle"); },
    last: function () { tone(1320, 0, 0.18, 0.12, "triangle"); },
    up: function () { tone(523, 0, 1.2, 0.18); tone(415, 0.35, 1.2, 0.16); tone(330, 0.7, 1.8, 0.16); },
  };
  var lastPlayed = {};
  function play(name) {
    if (!sound.on) return;
    var now = Date.now();
    if (lastPlayed[name] && now - lastPlayed[name] < 400) return;  // forty arrivals at once: one chime
    lastPlayed[name] = now;
    try { SOUNDS[name](); } catch (e) { /* no audio here */ }
  }

  var soundButton = document.getElementById("pj-sound");
  function paintSound() {
    if (!soundButton) return;
    soundButton.setAttribute("aria-pressed", sound.on ? "true" : "false");
    soundButton.querySelector(".pj-tool-text").textContent = sound.on ? gettext("Sound: on") : gettext("Sound: off");
  }
  if (soundButton) {
    soundButton.hidden = !(window.AudioContext || window.webkitAudioContext);
    soundButton.addEventListener("click", function () {
      sound.on = !sound.on;
      try { localStorage.setItem(SOUND_KEY, sound.on ? "on" : "off"); } catch (e) { /* private mode */ }
      paintSound();
      if (sound.on) play("join");  // the click is the gesture the browser needs; it says "sound is on"
    });
    paintSound();
  }

  /* What the room hears: a chime as people join the lobby, a tick each of the last ten
     seconds, and a gong when the time is up. Driven by the view and the clock. */
  var heard = { count: null, left: null, fired: null, round: null };
  function listen() {
    if (!view) return;
    var s = view.session;
    if (s.status === "lobby") {
      var count = (view.lobby || {}).count || 0;
      if (heard.count != null && count > heard.count) play("join");
      heard.count = count;
    }
    var key = s.status + ":" + s.round;
    if (heard.round !== key) { heard.round = key; heard.left = null; heard.fired = s.timer && s.timer.fired; }
    if (s.status !== "running" || !s.timer) return;
    var left = PM.remaining(s.timer);
    var running = s.timer.ends_at != null;
    if (running && heard.left != null && left < heard.left && left > 0 && left <= 10) play(left <= 3 ? "last" : "tick");
    if ((s.timer.fired && !heard.fired) || (running && heard.left > 0 && left === 0)) play("up");
    heard.fired = s.timer.fired || (running && left === 0);
    heard.left = left;
  }
  setInterval(listen, 250);

  // --- fullscreen ---------------------------------------------------------------------------

  var fullButton = document.getElementById("pj-fullscreen");
  function paintFull() {
    if (!fullButton) return;
    var on = !!document.fullscreenElement;
    fullButton.setAttribute("aria-pressed", on ? "true" : "false");
    fullButton.querySelector(".pj-tool-text").textContent = on ? gettext("Leave fullscreen") : gettext("Fullscreen");
  }
  if (fullButton) {
    fullButton.hidden = !document.fullscreenEnabled;
    fullButton.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(function () { PM.toast(gettext("This browser did not allow fullscreen.")); });
    });
    document.addEventListener("fullscreenchange", function () { paintFull(); if (view) render(view); });
    paintFull();
  }

  // --- render -------------------------------------------------------------------------------

  function render(v) {
    var t0 = window.performance ? performance.now() : 0;
    view = v;
    var s = view.session;
    var blocks = [["message", messageHTML()]];
    var kind;
    if (s.status === "lobby") {
      blocks.push(["lobby", lobbyHTML()]);
      kind = "lobby";
    } else {
      blocks.push(["head", headHTML()]);
      var big = large();
      var outcomes = big ? outcomesSummaryHTML() : outcomesHTML();
      if (outcomes) { blocks.push(["outcomes", outcomes]); kind = "outcomes"; }
      else if (ideaRound()) { blocks.push(["wall", big ? wallSummaryHTML() : wallHTML()]); kind = "wall"; }
      else { blocks.push(["grid", big ? summaryHTML() : progressHTML()]); kind = "grid"; }
      if (big) kind = "summary-" + kind;
    }
    screen.setAttribute("data-screen", kind);
    PM.update(screen, blocks);
    PM.paintTimers();
    fit(kind.indexOf("summary-") === 0 ? "summary" : kind);
    if (t0) screen.setAttribute("data-render-ms", (performance.now() - t0).toFixed(1));  // read by the browser tests
    listen();
  }

  PM.connect({ path: "/ws/projector/" + encodeURIComponent(code) + "/", code: code, render: render });
})();
