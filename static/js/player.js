/* POLICY-MAKER: the player's live page (/play/<code>/).
 *
 * render(view) draws the player view (game/visibility.py player_view) into
 * three tab panels: the tasks, the case and the private role card. Choices
 * that need a button press (several options, an order, a budget) are kept in
 * `ui.pending` until sent, so a patch from another player never undoes them.
 */
(function () {
  "use strict";
  var PM = window.PM, esc = PM.esc, gettext = PM.gettext, fmt = PM.fmt, ngettext = PM.ngettext;
  var app = document.getElementById("app");
  var code = app.getAttribute("data-code");
  var ui = {
    tab: "tasks",
    pending: {},  // decision key -> a choice not yet sent (list, order, tool id)
    dots: {},  // decision key -> dots as last sent, until the view shows them
    confirm: null,  // decision key whose "lock my own vote" warning is open
    busy: {},  // decision key -> a request is on its way
    next: null,  // the code of the game the host started next ("play again")
    seen: null,  // "round:key" of every decision shown so far, to point out new ones
    fresh: [],  // decisions that arrived during the round (an injected event card)
    msgOpen: null,  // the host's message as it was when the player opened it in full
    backSeen: null,  // the round whose step-back notice the player dismissed
    ideaOrder: {},  // decision key -> idea ids in the order last shown
    dotting: 0,  // until then the pool keeps its order: the player is giving dots
  };
  var view = null;
  var client = null;

  var SOURCES = {
    below: gettext("Pressure from below"), above: gettext("Pressure from above"),
    inside: gettext("Pressure from inside"), outside: gettext("Pressure from outside"),
  };

  // --- small helpers -------------------------------------------------------------------------

  function attr(s) { return esc(s); }
  function byId(list) { var m = {}; (list || []).forEach(function (x) { m[x.id] = x; }); return m; }
  function members() { return (view.committee && view.committee.members) || []; }
  function memberName(pid) {
    var m = members().filter(function (x) { return x.id === pid; })[0];
    return m ? m.name : "?";
  }
  function roleHolder(role) {
    return members().filter(function (x) { return x.role === role; })[0] || null;
  }
  function isLead(d) { return d.lead == null || view.me.role === d.lead; }
  /* A value as the rules compare it: lists as sets (a rank keeps its order), dicts by key. */
  function normal(value, ordered) {
    if (Array.isArray(value)) return JSON.stringify(ordered ? value : value.slice().sort());
    if (value && typeof value === "object") {
      return JSON.stringify(Object.keys(value).sort().map(function (k) { return [k, value[k]]; }));
    }
    return JSON.stringify(value === undefined ? null : value);
  }
  function sameList(a, b) { return JSON.stringify(a || null) === JSON.stringify(b || null); }
  function labelOf(d, id) {
    if (d.type === "ideas") {
      var idea = byId(view.committee.ideas)[id];
      return idea ? idea.text : id;
    }
    var o = byId(d.options)[id];
    return o ? o.label : id;
  }
  function valueText(d, value) {
    if (value == null) return "";
    if (d.type === "rank") {
      return value.map(function (id, i) { return (i + 1) + ". " + labelOf(d, id); }).join("  ");
    }
    if (Array.isArray(value)) {
      return value.length ? value.map(function (id) { return labelOf(d, id); }).join(", ") : gettext("nothing");
    }
    if (typeof value === "object") {
      return Object.keys(value).map(function (id) { return labelOf(d, id) + " (" + value[id] + ")"; }).join(", ");
    }
    return labelOf(d, value);
  }
  /* A value for reading: one line, or a list when several things were chosen. */
  function valueHTML(d, value) {
    if (Array.isArray(value) && value.length > 1) {
      var tag = d.type === "rank" ? "ol" : "ul";
      return "<" + tag + ' class="value-list">' + value.map(function (id) { return "<li>" + esc(labelOf(d, id)) + "</li>"; }).join("") + "</" + tag + ">";
    }
    return " <strong>" + esc(valueText(d, value)) + "</strong>";
  }
  function myVote(d) { return view.me.votes ? view.me.votes[d.key] : undefined; }
  function roundLog(key) {
    var round = view.session.round;
    return ((view.committee && view.committee.log) || []).filter(function (e) {
      return e.round === round && (key == null || e.key === key);
    });
  }
  function keyId(key) { return String(key).replace(/[^A-Za-z0-9_-]/g, "_"); }

  // --- the round header ------------------------------------------------------------------------

  /* One numbering everywhere (game.visibility.round_number): the briefing is not counted. */
  function roundKicker(s) {
    return s.briefing ? gettext("Before the first round")
      : fmt(gettext("Round %(n)s of %(total)s"), { n: s.round_number, total: s.round_total });
  }

  function headerHTML() {
    var s = view.session, info = s.round_info;
    var status = s.status === "lobby" ? gettext("Waiting room")
      : s.status === "ended" ? gettext("The game has ended")
      : roundKicker(s);
    var lead = "";
    if (s.status === "running" && info.lead_name) {
      var holder = roleHolder(info.lead);
      lead = '<p class="round-lead" data-testid="round-lead">' + esc(gettext("Leads this round:")) + " <strong>" +
        esc(info.lead_name) + "</strong>" + (holder ? " (" + esc(holder.name) + ")" : "") + "</p>";
    }
    var timer = s.status === "running" ? PM.timerHTML("timer-compact") : "";
    return '<div class="round-line"><div><p class="round-kicker">' + esc(status) + "</p>" +
      (s.status === "running" ? '<h1 class="round-title" data-testid="round-title">' + esc(info.title) + "</h1>"
        : '<h1 class="round-title">' + esc(s.title) + "</h1>") +
      "</div>" + timer + "</div>" + lead;
  }

  // --- tasks -----------------------------------------------------------------------------------

  /* The host's message, in the content under the tabs: two lines, and the whole of it
     with a tap ("Read the whole message"); the button shows only when there is more. */
  function messageHTML() {
    var text = view.session.message;
    if (!text) return "";
    var open = ui.msgOpen === text;
    return '<div class="alert alert-message' + (open ? " is-open" : "") + '" role="status" data-testid="host-message">' +
      '<p class="alert-kicker">' + esc(gettext("Message from the host")) + "</p>" +
      '<p class="alert-text" id="host-message-text" data-testid="host-message-text">' + esc(text) + "</p>" +
      '<button type="button" class="alert-button alert-more" data-act="message-more" data-focus="message-more" aria-controls="host-message-text" aria-expanded="' + (open ? "true" : "false") + '" data-testid="message-more">' +
      esc(open ? gettext("Show less") : gettext("Read the whole message")) + "</button></div>";
  }

  /* The host stepped back to this round (the server's flag, so a reload still says so):
     said where the player reads, until dismissed or the next round change. */
  function backHTML() {
    var s = view.session;
    if (!s.stepped_back || s.status !== "running" || ui.backSeen === s.round) return "";
    var info = view.session.round_info;
    return '<div class="alert alert-back" role="status" data-testid="round-back"><div class="alert-main">' +
      '<p class="alert-text"><strong>' + esc(gettext("The host went back a round")) + "</strong> " +
      esc(fmt(gettext("to round %(n)s: %(title)s."), { n: s.round_number, title: info.title })) + " " + esc(gettext("What was decided stays decided.")) + "</p></div>" +
      '<button type="button" class="alert-close" data-act="dismiss-back" data-focus="dismiss-back" aria-label="' + attr(gettext("Dismiss")) + '">×</button></div>';
  }

  /* One line that stays at the top while the player scrolls (the header itself scrolls away). */
  function miniHTML() {
    var s = view.session;
    var title = s.status === "running" ? s.round_info.title : s.title;  // the round's name says most
    return '<span class="mini-title">' + esc(title) + "</span>" + (s.status === "running"  // not PM.timerHTML: no second "timer" for tests or screen readers
      ? '<span class="timer timer-mini" data-timer><span class="timer-label"></span> <span class="timer-value"></span></span>' : "");
  }

  function nextHTML() {
    if (!ui.next) return "";
    return '<div class="banner banner-next" role="status"><p>' +
      esc(gettext("The host has started a new game with the same people.")) + '</p>' +
      '<a class="button button-primary" data-testid="next-game" href="/play/' + encodeURIComponent(code) + '/">' +
      esc(gettext("Go to the new game")) + "</a></div>";
  }

  /* Decisions that arrive mid-round (the host injected a card) are easy to miss
     at the bottom of a long page: point them out at the top. */
  function noteFresh() {
    var decisions = (view.committee && view.committee.decisions) || [];
    var round = view.session.round;
    var keys = decisions.map(function (d) { return round + ":" + d.key; });
    if (ui.seen === null || ui.seenRound !== round) {
      ui.seen = {};
      ui.fresh = [];
      ui.seenRound = round;
    } else {
      decisions.forEach(function (d) {
        if (!ui.seen[round + ":" + d.key] && ui.fresh.indexOf(d.key) < 0) ui.fresh.push(d.key);
      });
    }
    keys.forEach(function (k) { ui.seen[k] = true; });
    ui.fresh = ui.fresh.filter(function (k) {
      var d = decisions.filter(function (x) { return x.key === k; })[0];
      return d && d.locked == null;
    });
  }

  /* One line above the tasks for the newest card not yet looked at (+ how many more). */
  function freshHTML() {
    if (!ui.fresh.length || view.me.removed || view.session.status !== "running") return "";
    var k = ui.fresh[ui.fresh.length - 1];
    var d = view.committee.decisions.filter(function (x) { return x.key === k; })[0];
    var title = d.card ? d.card.title : d.prompt;
    var others = ui.fresh.length - 1;
    return '<div class="alert alert-fresh" role="status"><div class="alert-main" data-testid="new-card">' +
      '<p class="alert-text alert-line"><span class="alert-kicker">' + esc(gettext("New card:")) + "</span> <strong>" + esc(title) + "</strong>" +
      (others ? " (+" + others + ")" : "") + "</p>" +
      '<button type="button" class="alert-button alert-go" data-act="goto" data-key="' + attr(k) + '">' + esc(gettext("Show it")) + "</button></div>" +
      '<button type="button" class="alert-close" data-act="dismiss-fresh" data-focus="dismiss-fresh" aria-label="' + attr(gettext("Dismiss")) + '">×</button></div>';
  }

  function committeeHTML() {
    var c = view.committee;
    if (!c) return "";
    var list = c.members.map(function (m) {
      var me = m.id === view.me.id;
      return '<li><span class="who">' + esc(m.name) + (me ? " " + esc(gettext("(you)")) : "") + "</span>" +
        (m.role_name ? ' <span class="tag">' + esc(m.role_name === "member" ? gettext("member") : m.role_name) + "</span>" : "") +
        ' <span class="online ' + (m.online ? "is-on" : "is-off") + '">' + esc(m.online ? gettext("online") : gettext("offline")) + "</span></li>";
    }).join("");
    return '<details class="panel committee" data-keep="committee"><summary>' +
      esc(fmt(gettext("Committee %(name)s: %(n)s members"), { name: c.name, n: c.members.length })) +
      '</summary><ul class="member-list" data-testid="committee-members">' + list + "</ul></details>";
  }

  function statusHTML() {
    var s = view.session, me = view.me;
    if (me.waiting) {  // the lobby is locked: the host lets this seat in (issue 10)
      return '<div class="panel notice" data-testid="waiting-notice" role="status"><h2>' + esc(gettext("Waiting for the host to let you in")) +
        '</h2><p>' + esc(gettext("The host has locked the lobby. You get in as soon as the host lets you in; this page moves on by itself.")) +
        '</p><p class="big-name">' + esc(gettext("You are")) + ' <strong data-testid="my-name">' + esc(me.name) + "</strong></p></div>";
    }
    if (me.turned_away) {
      return '<div class="panel notice" data-testid="turned-away-notice"><h2>' + esc(gettext("The host did not let you in")) +
        "</h2><p>" + esc(gettext("If that is a mistake, have a word with the host.")) + "</p></div>";
    }
    if (me.removed) {
      return '<div class="panel notice" data-testid="removed-notice"><h2>' + esc(gettext("You are out of this game")) +
        "</h2><p>" + esc(gettext("The host has taken you out of the game. If that is a mistake, have a word with the host; they can let you back in.")) +
        "</p></div>";
    }
    if (s.status === "lobby") {
      var inCommittee = view.committee ? "<p>" + esc(fmt(gettext("You sit in committee %(name)s."), { name: view.committee.name })) + "</p>" : "";
      return '<div class="panel lobby" data-testid="lobby"><h2>' + esc(gettext("Waiting for the game to start")) + "</h2>" +
        '<p class="big-name">' + esc(gettext("You are")) + " <strong data-testid=\"my-name\">" + esc(me.name) + "</strong></p>" +
        '<p data-testid="joined-count">' + esc(fmt(ngettext("%(n)s person has joined.", "%(n)s people have joined.", view.joined), { n: view.joined })) + "</p>" +
        inCommittee +
        "<p>" + esc(gettext("While you wait, read the case and your role card:")) + "</p>" +
        '<p class="button-row"><button type="button" class="button" data-act="tab" data-tab="case">' + esc(gettext("Read the case")) +
        '</button> <button type="button" class="button" data-act="tab" data-tab="role">' + esc(gettext("See my role card")) + "</button></p></div>";
    }
    if (s.status === "ended") {
      return '<div class="panel notice" data-testid="ended"><h2>' + esc(gettext("The game has ended")) + "</h2><p>" +
        esc(gettext("Thank you for playing. The host will now lead the debrief.")) + "</p>" +
        // The take-home summary (game/summary_views.py): this seat's own, by its cookie.
        '<p><a class="button button-primary" data-testid="summary-link" href="/play/' + encodeURIComponent(view.session.code) +
        '/summary/">' + esc(gettext("Your summary and next steps")) + "</a></p></div>";
    }
    if (!view.committee) {
      return '<div class="panel notice"><h2>' + esc(gettext("You have no committee yet")) + "</h2><p>" +
        esc(gettext("The host will place you in a committee in a moment.")) + "</p></div>";
    }
    return "";
  }

  function introHTML() {
    var s = view.session;
    if (s.status !== "running" || view.me.removed) return "";
    var info = s.round_info;
    var hasTasks = view.committee && view.committee.decisions.length;
    var extra = "";
    if (!hasTasks && !info.reflection && !info.outcome) {
      extra = '<p class="button-row"><button type="button" class="button" data-act="tab" data-tab="case">' + esc(gettext("Read the case")) +
        '</button> <button type="button" class="button" data-act="tab" data-tab="role">' + esc(gettext("See my role card")) + "</button></p>";
    }
    var done = view.committee && view.committee.done && hasTasks
      ? '<p class="done-note" data-testid="committee-done">✓ ' + esc(gettext("Your committee has locked every decision of this round. Wait for the host to move on.")) + "</p>" : "";
    return '<div class="intro">' + (info.intro ? PM.paras(info.intro) : "") + extra + done + "</div>";
  }

  function votedHTML(d) {
    var all = members();
    var voted = d.voted || [];
    var have = voted.map(memberName);
    var missing = all.filter(function (m) { return voted.indexOf(m.id) < 0; }).map(function (m) { return m.name; });
    return '<p class="voted" data-testid="voted">' +
      esc(fmt(gettext("Voted: %(n)s of %(total)s"), { n: voted.length, total: all.length })) +
      (have.length ? " — " + have.map(function (n) { return "✓ " + esc(n); }).join(", ") : "") +
      (missing.length ? '<br><span class="missing">' + esc(gettext("Not yet:")) + " " + esc(missing.join(", ")) + "</span>" : "") +
      "</p>";
  }

  /* Votes are open, like a show of hands: the members behind an option, by name
     (for a ranking: whose first choice it is). */
  function backersHTML(d, optionId) {
    var votes = d.votes || {};
    var names = Object.keys(votes).filter(function (pid) {
      var v = votes[pid];
      if (d.type === "rank") return Array.isArray(v) && v[0] === optionId;
      return Array.isArray(v) ? v.indexOf(optionId) >= 0 : v === optionId;
    }).map(memberName);
    if (!names.length) return "";
    var text = d.type === "rank" ? fmt(gettext("First choice of %(names)s"), { names: names.join(", ") }) : names.join(", ");
    return '<span class="tally-names" data-testid="tally-names">' + esc(text) + "</span>";
  }

  function tallyHTML(d) {
    if (isPlayed(d) || d.type === "ideas") return "";
    var counts = d.tally || {};
    var voters = Math.max(1, (d.voted || []).length);
    var unit = d.type === "rank" ? "points" : "votes";
    var max = 1;
    Object.keys(counts).forEach(function (k) { max = Math.max(max, counts[k]); });
    var options = d.options.slice();
    if (d.type === "rank") {  // the committee's order so far, best first
      options.sort(function (a, b) { return (counts[b.id] || 0) - (counts[a.id] || 0); });
    }
    var zero = 0;
    if (d.type !== "rank") {
      zero = options.filter(function (o) { return !counts[o.id]; }).length;
      options = options.filter(function (o) { return counts[o.id]; });
    }
    var rows = options.map(function (o) {
      var n = counts[o.id] || 0;
      var width = Math.round(100 * n / (d.type === "rank" ? max : voters));
      var label = unit === "points" ? ngettext("%(n)s point", "%(n)s points", n) : ngettext("%(n)s vote", "%(n)s votes", n);
      return '<li><span class="tally-label">' + esc(o.label) + '</span><span class="tally-count">' +
        esc(fmt(label, { n: n })) + '</span><span class="bar" aria-hidden="true"><span style="width:' + width + '%"></span></span>' +
        backersHTML(d, o.id) + "</li>";
    }).join("");
    var rest = zero ? '<p class="hint">' + esc(fmt(ngettext("%(n)s option without votes", "%(n)s options without votes", zero), { n: zero })) + "</p>" : "";
    return '<div class="tally"><h3>' + esc(gettext("The committee so far")) + '</h3><ul class="tally-list" data-testid="tally">' + rows + "</ul>" + rest + "</div>";
  }

  function cardHTML(card) {
    if (!card) return "";
    return '<div class="event-card" data-testid="card">' +
      (card.source ? '<p class="card-source">' + esc(SOURCES[card.source] || card.source) + "</p>" : "") +
      "<h3>" + esc(card.title) + "</h3>" + PM.paras(card.text) + "</div>";
  }

  function optionText(o, extra) {
    return '<span class="opt-body"><span class="opt-label">' + esc(o.label) + (extra || "") + "</span>" +
      (o.text ? '<span class="opt-text">' + esc(o.text) + "</span>" : "") + "</span>";
  }

  /* The inputs of an open decision, by task type. */
  function inputsHTML(d) {
    var mine = myVote(d);
    var name = "d-" + keyId(d.key);
    var disabled = ui.busy[d.key] ? " disabled" : "";
    if (d.type === "choice" && d.max === 1 || d.type === "card") {
      var shown = ui.pending[d.key] !== undefined ? ui.pending[d.key] : mine;  // on its way
      var chosen = d.type === "card" ? shown : (shown || [])[0];
      return '<fieldset class="options"><legend class="sr-only">' + esc(d.prompt) + "</legend>" +
        d.options.map(function (o) {
          return '<label class="option"><input type="radio" name="' + name + '" value="' + attr(o.id) + '"' +
            ' data-act="vote-one" data-key="' + attr(d.key) + '" data-focus="' + attr(d.key + ":" + o.id) + '"' +
            (chosen === o.id ? " checked" : "") + disabled + ">" + optionText(o) + "</label>";
        }).join("") + "</fieldset>" +
        '<p class="hint">' + esc(chosen ? gettext("Your vote is in. You can change it until the decision is locked.") : gettext("Tap an option to vote.")) + "</p>";
    }
    if (d.type === "choice" || d.type === "seats" || d.type === "budget") {
      var picked = ui.pending[d.key] || (Array.isArray(mine) ? mine.slice() : []);
      var costs = byId(d.options);
      var spent = 0;
      picked.forEach(function (id) { spent += (costs[id] && costs[id].cost) || 0; });
      var total = d.budget ? d.budget.total : 0;
      if (d.type === "budget" && !d.options.length) {
        return '<p class="hint">' + esc(gettext("No ideas went forward from the idea round, so there is nothing to fund.")) + "</p>";
      }
      var limit = d.type === "budget" ? d.options.length : d.max;
      var boxes = d.options.map(function (o) {
        var on = picked.indexOf(o.id) >= 0;
        var tooMany = !on && picked.length >= limit;
        var tooDear = d.type === "budget" && !on && spent + o.cost > total;
        var extra = d.type === "budget" ? ' <span class="cost">' + esc(o.cost + " " + d.budget.unit) + "</span>" : "";
        if (d.type === "seats") extra = stanceHTML(o);
        var why = tooDear ? '<span class="opt-why">' + esc(gettext("over the budget")) + "</span>" : "";
        return '<label class="option' + (tooMany || tooDear ? " is-disabled" : "") + '"><input type="checkbox" value="' + attr(o.id) + '"' +
          ' data-act="toggle" data-key="' + attr(d.key) + '" data-focus="' + attr(d.key + ":" + o.id) + '"' +
          (on ? " checked" : "") + (tooMany || tooDear ? " disabled" : "") + disabled + ">" + optionText(o, extra + why) + "</label>";
      }).join("");
      var summary;
      if (d.type === "budget") {
        summary = '<p class="budget-left" data-testid="budget-left" aria-live="polite">' + esc(fmt(gettext("Spent %(spent)s of %(total)s %(unit)s — %(left)s left"),
          { spent: spent, total: total, unit: d.budget.unit, left: total - spent })) + "</p>";
      } else {
        summary = '<p class="hint" aria-live="polite">' + esc(fmt(gettext("Chosen %(n)s; choose %(min)s to %(max)s."),
          { n: picked.length, min: d.min, max: d.max })) + "</p>";
      }
      var sent = Array.isArray(mine) && normal(mine) === normal(picked);
      var tooFew = d.type !== "budget" && picked.length < d.min;
      return '<fieldset class="options"><legend class="sr-only">' + esc(d.prompt) + "</legend>" + boxes + "</fieldset>" + summary +
        '<p class="button-row"><button type="button" class="button button-primary" data-act="submit-vote" data-key="' + attr(d.key) + '"' +
        ' data-testid="vote-' + attr(d.key) + '"' + (tooFew || sent || ui.busy[d.key] ? " disabled" : "") + ">" +
        esc(sent ? gettext("Your vote is in ✓") : gettext("Vote")) + "</button></p>";
    }
    if (d.type === "rank") {
      var order = ui.pending[d.key] || (Array.isArray(mine) ? mine.slice() : d.options.map(function (o) { return o.id; }));
      var opts = byId(d.options);
      var items = order.map(function (id, i) {
        var o = opts[id] || { label: id };
        return '<li class="rank-item"><span class="rank-n">' + (i + 1) + '.</span><span class="rank-label">' + esc(o.label) + "</span>" +
          '<span class="rank-buttons"><button type="button" class="icon-button" data-act="move" data-key="' + attr(d.key) + '" data-index="' + i + '" data-dir="-1"' +
          ' data-focus="' + attr(d.key + ":up:" + id) + '" aria-label="' + attr(fmt(gettext("Move up: %(item)s"), { item: o.label })) + '"' + (i === 0 ? " disabled" : "") + ">↑</button>" +
          '<button type="button" class="icon-button" data-act="move" data-key="' + attr(d.key) + '" data-index="' + i + '" data-dir="1"' +
          ' data-focus="' + attr(d.key + ":down:" + id) + '" aria-label="' + attr(fmt(gettext("Move down: %(item)s"), { item: o.label })) + '"' + (i === order.length - 1 ? " disabled" : "") + ">↓</button></span></li>";
      }).join("");
      var same = Array.isArray(mine) && sameList(mine, order);
      return '<ol class="rank-list" data-testid="rank-' + attr(d.key) + '">' + items + "</ol>" +
        '<p class="button-row"><button type="button" class="button button-primary" data-act="submit-vote" data-key="' + attr(d.key) + '"' +
        ' data-testid="vote-' + attr(d.key) + '"' + (same || ui.busy[d.key] ? " disabled" : "") + ">" +
        esc(same ? gettext("Your order is in ✓") : gettext("Send my order")) + "</button></p>";
    }
    if (isPlayed(d)) {
      var words = playedWords(d);
      if (!isLead(d)) {
        return '<p class="hint">' + esc(fmt(words.others, { role: d.lead_name || "" })) + "</p>" +
          '<ul class="plain-list">' + d.options.map(function (o) { return "<li>" + optionText(o) + "</li>"; }).join("") + "</ul>";
      }
      var tool = ui.pending[d.key];
      return '<fieldset class="options"><legend class="sr-only">' + esc(d.prompt) + "</legend>" +
        d.options.map(function (o) {
          return '<label class="option"><input type="radio" name="' + name + '" value="' + attr(o.id) + '"' +
            ' data-act="tool-pick" data-key="' + attr(d.key) + '" data-focus="' + attr(d.key + ":" + o.id) + '"' +
            (tool === o.id ? " checked" : "") + disabled + ">" + optionText(o) + "</label>";
        }).join("") + "</fieldset>" +
        '<p class="hint">' + esc(words.hint) + "</p>" +
        '<p class="button-row"><button type="button" class="button button-primary" data-act="play-tool" data-key="' + attr(d.key) + '"' +
        ' data-testid="' + words.testid + '"' + (tool && !ui.busy[d.key] ? "" : " disabled") + ">" + esc(words.button) + "</button></p>";
    }
    return "";
  }

  // Played by one role, not voted on: the catalyst's tool, the facilitator's invitation,
  // the igangsætter's frame (cases.schema.PLAYED_TYPES). Their words, in one place.
  function playedWords(d) {
    if (d.type === "invite") {
      return { others: gettext("Only the %(role)s can invite. You will see here who is invited."),
        hint: gettext("You can invite one, once. It costs meeting time."), button: gettext("Invite"),
        testid: "invite", done: gettext("Invited:") };
    }
    if (d.type === "frame") {
      return { others: gettext("Only the %(role)s sets the frame. You will see here which frame is set."),
        hint: gettext("You set the frame once. The city council tests it when it decides."), button: gettext("Set the frame"),
        testid: "set-frame", done: gettext("The frame:") };
    }
    return { others: gettext("Only the %(role)s can play a tool. You will see here what is played."),
      hint: gettext("You can play one tool, once."), button: gettext("Play the tool"),
      testid: "play-tool", done: gettext("Played:") };
  }
  function isPlayed(d) {
    return d.type === "catalyst" || d.type === "invite" || d.type === "frame";
  }

  // The frame the igangsætter set stands in every later round, until the council tests it.
  function framesHTML() {
    var c = view.committee;
    if (!c || !c.frames || !c.frames.length || view.session.status === "lobby") return "";
    var here = {};
    (c.decisions || []).forEach(function (d) { here[d.key] = true; });
    var shown = c.frames.filter(function (f) { return !here[f.key]; });
    if (!shown.length) return "";
    return '<section class="panel frame" data-testid="frame"><h2 class="task-title">' + esc(gettext("The committee's frame")) + "</h2>" +
      shown.map(function (f) {
        var status = f.kept === true ? "✓ " + gettext("The frame held when the city council decided.")
          : f.kept === false ? "✗ " + gettext("The frame broke when the city council decided.")
          : gettext("The city council tests it when it decides.");
        return '<p><strong>' + esc(f.label) + "</strong></p>" + (f.text ? '<p class="help">' + esc(f.text) + "</p>" : "") +
          '<p class="hint" data-testid="frame-status">' + esc(status) + "</p>";
      }).join("") + "</section>";
  }

  function lockHTML(d) {
    if (isPlayed(d)) return "";
    if (!isLead(d)) {
      var holder = d.lead ? roleHolder(d.lead) : null;
      return '<p class="lock-note">' + esc(fmt(gettext("The %(role)s locks this decision."), { role: d.lead_name || "" })) +
        (holder ? " (" + esc(holder.name) + ")" : "") + "</p>";
    }
    var mine = myVote(d);
    var majority = d.majority;
    var busy = ui.busy[d.key] ? " disabled" : "";
    var out = '<div class="lock-box" data-testid="lock-box-' + attr(d.key) + '"><p class="lock-intro">' +
      esc(d.lead ? gettext("You lead this round: lock the committee's decision when you are ready.") : gettext("Anyone in the committee can lock this decision.")) + "</p>";
    if (majority != null) {
      out += '<div class="majority">' + esc(gettext("The majority so far:")) + valueHTML(d, majority) + "</div>";
    }
    out += '<p class="button-row"><button type="button" class="button button-lock" data-act="lock" data-key="' + attr(d.key) + '"' +
      ' data-testid="lock-' + attr(d.key) + '"' + (majority == null ? " disabled" : "") + busy + ">" +
      esc(d.type === "ideas" ? gettext("Lock: the ideas with most dots go forward") : gettext("Lock the majority's choice")) + "</button>";
    if (d.type !== "ideas") {
      out += ' <button type="button" class="button" data-act="lock-own" data-key="' + attr(d.key) + '"' +
        ' data-testid="lock-own-' + attr(d.key) + '"' + (mine == null ? " disabled" : "") + busy + ">" + esc(gettext("Lock my own vote")) + "</button>";
    }
    out += "</p>";
    if (majority == null && d.type !== "ideas") out += '<p class="hint">' + esc(gettext("Nobody has voted yet.")) + "</p>";
    if (ui.confirm === d.key) {
      out += '<div class="confirm" role="alertdialog" aria-labelledby="confirm-' + keyId(d.key) + '" data-testid="politician-card-warning">' +
        '<p id="confirm-' + keyId(d.key) + '"><strong>' + esc(gettext("You are about to play the politician card.")) + "</strong> " +
        esc(gettext("Your vote is not the majority's. Locking it overrides the committee: that is allowed, and it is logged, but it costs ownership (ejerskab) — the others will feel that their voice did not count.")) + "</p>" +
        '<div class="hint">' + esc(gettext("Your vote:")) + valueHTML(d, mine) + "</div>" +
        '<p class="button-row"><button type="button" class="button button-danger" data-act="confirm-own" data-key="' + attr(d.key) + '" data-testid="confirm-politician-card">' +
        esc(gettext("Yes, play the politician card")) + '</button> <button type="button" class="button" data-act="cancel-own" data-key="' + attr(d.key) + '" data-focus="cancel-own">' +
        esc(gettext("Cancel")) + "</button></p></div>";
    }
    return out + "</div>";
  }

  function lockedHTML(d) {
    var consequences = roundLog(d.key).map(function (e) { return "<li>" + esc(e.text) + "</li>"; }).join("");
    var word = isPlayed(d) ? playedWords(d).done : gettext("Locked:");
    var shown = d.type === "ideas" ? " " + esc(gettext("the ideas marked ✓ go forward.")) : valueHTML(d, d.locked);
    return '<div class="locked" data-testid="locked-' + attr(d.key) + '"><div class="locked-value"><strong>' + esc(word) + "</strong>" + shown + "</div>" +
      (d.politician_card ? '<p class="politician-card">⚠ ' + esc(gettext("The politician card was played: the decision was locked against the majority.")) + "</p>" : "") +
      (consequences ? '<div class="consequences"><h3>' + esc(gettext("What happened")) + "</h3><ul>" + consequences + "</ul></div>" : "") +
      "</div>";
  }

  function ideasWriteHTML(d) {
    var head = '<h2 class="task-title">' + esc(d.prompt) + "</h2>" + (d.help ? '<p class="help">' + esc(d.help) + "</p>" : "");
    if (d.locked != null) return '<section class="panel task">' + head + "</section>";
    var myName = view.me.name;
    var mine = view.committee.ideas.filter(function (i) { return i.author === myName; }).length;
    var full = mine >= d.max_ideas;
    var id = "idea-text";
    return '<section class="panel task task-ideas-write">' + head + "<h3>" + esc(gettext("Write your ideas")) + "</h3>" +
      '<p class="hint" data-testid="my-idea-count">' + esc(fmt(gettext("You have written %(n)s of %(max)s ideas."), { n: mine, max: d.max_ideas })) + "</p>" +
      (full ? "" :
        '<label class="field-label" for="' + id + '">' + esc(gettext("Your idea")) + "</label>" +
        '<textarea id="' + id + '" class="textarea" rows="3" maxlength="280" data-draft="idea:' + attr(d.key) + '" data-testid="idea-text"></textarea>' +
        '<p class="counter" data-count-for="' + id + '" data-max="280" aria-live="off"></p>' +
        '<p class="button-row"><button type="button" class="button button-primary" data-act="idea" data-key="' + attr(d.key) + '" data-testid="add-idea">' +
        esc(gettext("Add the idea")) + "</button></p>") +
      queuedHTML(function (m) { return m.type === "idea"; }) + "</section>";
  }

  /* As on the projector's wall: most dots first; among equals the players' own ideas
     before the idea cards, the newest first. While the player is giving dots the list
     keeps its order (new ideas go last), so an idea does not move away under the thumb. */
  var DOTTING_HOLD = 4000;
  function byWallOrder(a, b) {
    return (b.dots - a.dots) || ((a.card ? 1 : 0) - (b.card ? 1 : 0)) || (+b.id - +a.id);
  }
  function poolOrder(d, ideas) {
    var sorted = ideas.slice().sort(byWallOrder);
    var before = ui.ideaOrder[d.key];
    if (before && Date.now() < ui.dotting) {
      var at = {};
      before.forEach(function (id, n) { at[id] = n; });
      sorted.sort(function (a, b) {
        var x = at[a.id] != null ? at[a.id] : before.length, y = at[b.id] != null ? at[b.id] : before.length;
        return x - y;  // a stable sort: the new ones keep the wall's order after the others
      });
    }
    ui.ideaOrder[d.key] = sorted.map(function (i) { return i.id; });
    return sorted;
  }

  function ideasPoolHTML(d) {
    var ideas = view.committee.ideas;
    var mine = ui.dots[d.key] || myVote(d) || {};
    var used = 0;
    Object.keys(mine).forEach(function (k) { used += mine[k]; });
    var left = d.dots - used;
    var open = d.locked == null;
    if (!ideas.length) return '<p class="hint">' + esc(gettext("No ideas yet. Write the first one!")) + "</p>";
    ideas = poolOrder(d, ideas);
    var items = ideas.map(function (i) {
      var n = mine[i.id] || 0;
      var who = i.author ? esc(i.author) : '<span class="tag">' + esc(gettext("idea card")) + "</span>";
      var buttons = open ?
        '<span class="dot-buttons"><button type="button" class="icon-button" data-act="dot" data-key="' + attr(d.key) + '" data-idea="' + attr(i.id) + '" data-delta="-1"' +
        ' data-focus="' + attr("dot-:" + i.id) + '" aria-label="' + attr(fmt(gettext("Take a dot from: %(idea)s"), { idea: i.text })) + '"' + (n ? "" : " disabled") + ">−</button>" +
        '<span class="my-dots" aria-label="' + attr(fmt(gettext("Your dots: %(n)s"), { n: n })) + '">' + n + "</span>" +
        '<button type="button" class="icon-button" data-act="dot" data-key="' + attr(d.key) + '" data-idea="' + attr(i.id) + '" data-delta="1"' +
        ' data-focus="' + attr("dot+:" + i.id) + '" aria-label="' + attr(fmt(gettext("Give a dot to: %(idea)s"), { idea: i.text })) + '"' + (left > 0 ? "" : " disabled") + ">+</button></span>" : "";
      return '<li class="idea' + (i.kept ? " is-kept" : "") + '" data-testid="idea"><div class="idea-body"><p class="idea-text">' + esc(i.text) + "</p>" + ideaFactsHTML(i) +
        '<p class="idea-meta">' + who + ' · <span class="dots">' + esc(fmt(ngettext("%(n)s dot", "%(n)s dots", i.dots), { n: i.dots })) + "</span>" +
        (i.kept ? ' · <strong class="kept">✓ ' + esc(gettext("goes forward")) + "</strong>" : "") + "</p></div>" + buttons + "</li>";
    }).join("");
    return (open ? '<p class="dots-left" data-testid="dots-left" aria-live="polite">' + esc(fmt(gettext("Dots left: %(left)s of %(total)s"), { left: left, total: d.dots })) + "</p>" : "") +
      '<ul class="idea-list">' + items + "</ul>";
  }

  /* An action made offline waits in live.js's queue; say so on the action itself. */
  function queuedHTML(match) {
    var waiting = client && client.queued ? client.queued().filter(match) : [];
    return waiting.length ? '<p class="queued-note" role="status" data-testid="queued">' +
      esc(gettext("offline – will be sent when you are back online")) + "</p>" : "";
  }

  function decisionHTML(d) {
    var badge = d.locked != null ? '<span class="badge badge-locked">' + esc(gettext("Locked")) + "</span>" : "";
    var heading = d.type === "ideas" ? "<h2 class=\"task-title\">" + esc(gettext("The pool of ideas")) + badge + "</h2>" :
      d.type === "card" && d.card ? (badge ? '<p class="badge-line">' + badge + "</p>" : "") :
      '<h2 class="task-title">' + esc(d.prompt) + (d.required ? "" : ' <span class="tag">' + esc(gettext("optional")) + "</span>") + badge + "</h2>";
    var body = "";
    if (d.type === "card") body += cardHTML(d.card);
    if (d.help && d.type !== "ideas") body += '<p class="help">' + esc(d.help) + "</p>";
    if (d.type === "ideas") {
      body += ideasPoolHTML(d);
    } else if (d.locked == null) {
      body += inputsHTML(d);
    }
    if (d.locked != null) {
      body += lockedHTML(d);
    } else {
      if (!isPlayed(d)) body += tallyHTML(d) + votedHTML(d);
      body += lockHTML(d);
    }
    body += queuedHTML(function (m) { return m.key === d.key; });
    return '<section class="panel task task-' + d.type + (d.locked != null ? " is-locked" : "") + '" id="decision-' + keyId(d.key) + '" tabindex="-1" data-testid="decision-' + attr(d.key) + '" aria-label="' + attr(d.prompt) + '">' +
      heading + body + "</section>";
  }

  // --- what a choice needs: stance, idea facts, the stakeholder map ----------------------------

  var STANCE = { "for": gettext("for"), against: gettext("against"), unsure: gettext("unsure") };
  var DIRECTION = { up: "↑", down: "↓", same: "→" };

  /* A stakeholder's stance on a seat option: the number where the meters show, else a word. */
  function stanceHTML(o) {
    if (!o.word) return "";
    var text = o.stance != null ? fmt(gettext("stance %(n)s"), { n: o.stance }) + " · " + STANCE[o.word] : STANCE[o.word];
    return ' <span class="stance stance-' + attr(o.word) + '" data-testid="stance">' + esc(text) + "</span>";
  }

  /* An idea's card text, cost and who brought it, under the idea in the pool. */
  function ideaFactsHTML(i) {
    var parts = [];
    if (i.cost != null) parts.push(esc(fmt(gettext("costs %(n)s %(unit)s"), { n: i.cost, unit: i.unit || "" })));
    if (i.brought_by && i.brought_by.length) parts.push(esc(fmt(gettext("brought in by %(who)s"), { who: i.brought_by.join(", ") })));
    return (i.card_text ? '<p class="idea-card-text">' + esc(i.card_text) + "</p>" : "") +
      (parts.length ? '<p class="idea-facts" data-testid="idea-facts">' + parts.join(" · ") + "</p>" : "");
  }

  /* Each stakeholder's stance and engagement round by round; words and arrows when the numbers are hidden. */
  function stakeholderMapHTML(map) {
    if (!map || !map.rows || !map.rows.length || view.session.status === "lobby") return "";
    var label = function (r) { return r === "start" ? gettext("start") : r === "now" ? gettext("now") : r; };
    var rows = map.rows.slice().sort(function (a, b) { return (b.seated ? 1 : 0) - (a.seated ? 1 : 0); });
    var items = rows.map(function (r) {
      var where = r.seated === true ? gettext("at the table") : r.seated === false ? gettext("left out") : "";
      var line;
      if (map.numbers) {
        line = esc(gettext("stance")) + " " + r.stance.map(function (n) { return "<b>" + n + "</b>"; }).join(" → ") +
          '<br><span class="map-eng">' + esc(gettext("engagement")) + " " + r.engagement.join(" → ") + "</span>";
      } else {
        line = esc(STANCE[r.word]) + " " + DIRECTION[r.stance_dir] + ' <span class="map-eng">' + esc(gettext("engagement")) + " " + DIRECTION[r.engagement_dir] + "</span>";
      }
      return '<li class="map-row' + (r.seated === false ? " is-out" : "") + '"><span class="map-name">' + esc(r.name) +
        (where ? ' <span class="tag">' + esc(where) + "</span>" : "") + '</span><span class="map-line">' + line + "</span></li>";
    }).join("");
    var head = map.numbers ? '<p class="hint">' + esc(gettext("Rounds:")) + " " + map.rounds.map(label).map(esc).join(" → ") + "</p>"
      : '<p class="hint">' + esc(gettext("The host hides the numbers: the arrows show the change since the last round.")) + "</p>";
    return '<details class="panel stakeholder-map" data-keep="stakeholder-map" data-testid="stakeholder-map"><summary>' +
      esc(gettext("The stakeholders: stance and engagement")) + "</summary>" + head + '<ul class="map-list">' + items + "</ul></details>";
  }

  function voicesHTML() {
    var c = view.committee;
    if (!c || !c.seated || !c.seated.length || view.session.status === "lobby") return "";
    var open = view.session.round_info.show_voices ? " open" : "";
    return '<details class="panel voices" data-keep="voices-' + view.session.round + '"' + open + "><summary>" +
      esc(fmt(gettext("At the table: %(n)s stakeholders"), { n: c.seated.length })) + "</summary>" +
      c.seated.map(function (s) { return '<blockquote class="voice"><p>' + esc(s.voice) + "</p><footer>— " + esc(s.name) + "</footer></blockquote>"; }).join("") +
      "</details>";
  }

  function metersHTML(meters) {
    if (!meters) return "";
    return '<section class="panel meters" aria-label="' + attr(gettext("The committee's meters")) + '"><h2 class="task-title">' + esc(gettext("The committee's meters")) + "</h2>" +
      '<ul class="meter-list" data-testid="meters">' + meters.map(function (m) {
        return '<li class="meter"><span class="meter-label">' + esc(m.label) + '</span><span class="meter-value">' + m.value +
          '</span><span class="bar" aria-hidden="true"><span style="width:' + m.value + '%"></span></span></li>';
      }).join("") + "</ul></section>";
  }

  function outcomeHTML() {
    var o = view.committee && view.committee.outcome;
    if (!o) return "";
    return '<section class="panel outcome" data-testid="outcome"><p class="round-kicker">' + esc(gettext("The city council's decision")) + "</p>" +
      '<h2 class="outcome-title">' + esc(o.title) + "</h2>" +
      '<article class="newspaper"><p class="newspaper-name">' + esc(gettext("The local paper")) + "</p>" +
      '<h3 class="headline">' + esc(o.headline) + "</h3>" + PM.paras(o.text) + "</article>" + dueHTML() + "</section>";
  }

  // What came due when the council decided: the promises, and the frame's test.
  function dueHTML() {
    if (!view.session.round_info || !view.session.round_info.outcome) return "";
    var due = roundLog(null);
    if (!due.length) return "";
    return '<div class="consequences" data-testid="came-due"><h3>' + esc(gettext("What came due")) + "</h3><ul>" +
      due.map(function (e) { return "<li>" + esc(e.text) + "</li>"; }).join("") + "</ul></div>";
  }

  function questionHTML(q) {
    var saved = (view.me.reflections || {})[q.id] || "";
    var id = "q-" + keyId(q.id);
    var draftKey = "q:" + q.id;
    var draft = Object.prototype.hasOwnProperty.call(PM.drafts, draftKey) ? PM.drafts[draftKey] : null;
    var state = saved && (draft == null || draft === saved) ? "✓ " + gettext("Saved") : "";
    return '<section class="panel question"><label class="field-label" for="' + id + '">' + esc(q.text) + "</label>" +
      '<textarea id="' + id + '" class="textarea" rows="4" maxlength="2000" data-draft="' + attr(draftKey) + '" data-testid="reflection-' + attr(q.id) + '">' + esc(saved) + "</textarea>" +
      '<p class="counter" data-count-for="' + id + '" data-max="2000"></p>' +
      '<p class="button-row"><button type="button" class="button button-primary" data-act="reflect" data-q="' + attr(q.id) + '" data-testid="save-reflection-' + attr(q.id) + '">' +
      esc(gettext("Save the answer")) + '</button> <span class="saved-state">' + esc(state) + "</span></p>" +
      queuedHTML(function (m) { return m.type === "reflect" && m.question === q.id; }) + "</section>";
  }

  function taskBlocks() {
    var blocks = [["next", nextHTML()], ["status", statusHTML()]];
    if (view.me.removed || view.me.waiting || view.me.turned_away) return blocks;
    blocks.push(["intro", introHTML()]);
    var c = view.committee;
    if (c && view.session.status !== "lobby") {
      if (view.session.status === "running") {
        c.decisions.forEach(function (d) {
          if (d.type === "ideas") blocks.push(["w:" + d.key, ideasWriteHTML(d)]);
          blocks.push(["d:" + d.key, decisionHTML(d)]);
        });
      }
      blocks.push(["outcome", outcomeHTML()]);
      blocks.push(["frame", framesHTML()]);
      if (view.me.questions && view.me.questions.length && view.session.status === "running") {
        blocks.push(["qhead", '<h2 class="section-title">' + esc(gettext("Reflection")) + "</h2>"]);
        view.me.questions.forEach(function (q) { blocks.push(["q:" + q.id, questionHTML(q)]); });
      }
      blocks.push(["voices", voicesHTML()]);
      blocks.push(["map", stakeholderMapHTML(c.stakeholder_map)]);
      blocks.push(["meters", metersHTML(c.meters)]);
    }
    blocks.push(["committee", committeeHTML()]);
    return blocks;
  }

  // --- the case and the role card --------------------------------------------------------------

  function caseBlocks() {
    var s = view.session;
    return [["case",
      '<article class="panel reading"><h2>' + esc(s.title) + "</h2>" + (s.setting ? '<p class="setting">' + esc(s.setting) + "</p>" : "") +
      PM.paras(view.case.brief) + "</article>" +
      '<article class="panel reading"><h2>' + esc(gettext("The mandate")) + "</h2>" + PM.paras(view.case.mandate) + "</article>"]];
  }

  function roleBlocks() {
    var card = view.me.card;
    var secret = '<p class="secret">' + esc(gettext("Only for you: do not show it to the others.")) + "</p>";
    if (!card) {
      return [["role", '<div class="panel notice"><p>' + esc(gettext("You get your role card when the host has formed the committees.")) + "</p></div>"], ["seat", seatCodeHTML()]];
    }
    var html;
    if (card.kind === "role") {
      html = '<article class="panel role-card" data-testid="role-card">' + secret + '<p class="round-kicker">' + esc(gettext("Your role")) + "</p>" +
        "<h2>" + esc(card.name) + '</h2><p class="role-question">' + esc(card.question) + "</p>" + PM.paras(card.description) +
        (card.task ? "<h3>" + esc(gettext("Your task this round")) + "</h3>" + PM.paras(card.task) : "") +
        (card.tips && card.tips.length ? "<h3>" + esc(gettext("Tips")) + "</h3><ul>" + card.tips.map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul>" : "") +
        "</article>";
    } else if (card.kind === "persona") {
      html = '<article class="panel role-card" data-testid="role-card">' + secret + '<p class="round-kicker">' + esc(gettext("Your role: a citizen at the table")) + "</p>" +
        "<h2>" + esc(card.name) + "</h2>" + PM.paras(card.description) +
        "<h3>" + esc(gettext("Your secret interests")) + "</h3>" + PM.paras(card.interests) +
        (card.tips && card.tips.length ? "<h3>" + esc(gettext("Tips")) + "</h3><ul>" + card.tips.map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul>" : "") +
        "</article>";
    } else {
      html = '<article class="panel role-card" data-testid="role-card"><h2>' + esc(gettext("Member of the committee")) + "</h2><p>" +
        esc(gettext("You have no leadership role this round: vote, argue and help the committee decide.")) + "</p></article>";
    }
    return [["role", html], ["seat", seatCodeHTML()]];
  }

  /* The seat code: with it (and the name) the player takes the seat to a new device. */
  function seatCodeHTML() {
    var seat = app.getAttribute("data-seat-code");
    if (!seat || view.me.removed) return "";
    return '<aside class="panel seat-code-box" data-testid="seat-code-box" aria-labelledby="seat-code-title"><h2 class="task-title" id="seat-code-title">' + esc(gettext("Your seat code")) + "</h2>" +
      '<p class="seat-code" data-testid="seat-code">' + esc(seat) + "</p>" +
      "<p>" + esc(gettext("New phone, or the battery ran out? On another device, join with the game's code and your name, and type this seat code: you get your own seat and role back.")) + "</p>" +
      '<p class="hint">' + esc(gettext("Keep it to yourself, like your role card.")) + "</p></aside>";
  }

  // --- render --------------------------------------------------------------------------------

  function showTab(tab) {
    ui.tab = tab;
    ["tasks", "case", "role"].forEach(function (name) {
      var button = document.getElementById("tab-" + name);
      var panel = document.getElementById("panel-" + name);
      var on = name === tab;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
    });
  }

  function tidyPending() {
    var decisions = (view.committee && view.committee.decisions) || [];
    var open = {};
    decisions.forEach(function (d) { if (d.locked == null) open[d.key] = d; });
    Object.keys(ui.pending).forEach(function (k) {
      // Gone once locked, or once the server's copy of my vote has caught up with it.
      var rank = open[k] && open[k].type === "rank";
      if (!open[k] || normal(ui.pending[k], rank) === normal(myVote(open[k]), rank)) delete ui.pending[k];
    });
    Object.keys(ui.dots).forEach(function (k) {
      if (!open[k] || normal(ui.dots[k]) === normal(myVote(open[k]) || {})) delete ui.dots[k];
    });
    if (ui.confirm && !open[ui.confirm]) ui.confirm = null;
  }

  /* The message's "read it all" button only when two lines do not hold it. */
  function fitMessage() {
    var box = document.querySelector('[data-testid="host-message"]');
    if (!box) return;
    var text = box.querySelector(".alert-text");
    var more = !box.classList.contains("is-open") && text.scrollHeight > text.clientHeight + 2;
    box.classList.toggle("is-short", !more && !box.classList.contains("is-open"));
  }

  // --- drafts survive a reload: what is not sent yet, per session and seat -----------------

  var DRAFT_DAYS = 2;
  var draftKey = null, draftSaved = null;
  function loadDrafts() {
    draftKey = "pm-drafts:" + code + ":" + view.me.id;
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(draftKey) || "null"); } catch (e) { saved = null; }
    if (!saved || Date.now() - (saved.t || 0) > DRAFT_DAYS * 864e5) return;
    Object.keys(saved.pending || {}).forEach(function (k) { if (ui.pending[k] === undefined) ui.pending[k] = saved.pending[k]; });
    Object.keys(saved.drafts || {}).forEach(function (k) {
      if (!Object.prototype.hasOwnProperty.call(PM.drafts, k)) PM.drafts[k] = saved.drafts[k];
    });
  }
  function saveDrafts() {
    if (!draftKey) return;
    var drafts = {};
    Object.keys(PM.drafts).forEach(function (k) { if (PM.drafts[k]) drafts[k] = PM.drafts[k]; });
    var data = JSON.stringify({ pending: ui.pending, drafts: drafts });
    if (data === draftSaved) return;
    draftSaved = data;
    try {
      if (data === '{"pending":{},"drafts":{}}') window.localStorage.removeItem(draftKey);
      else window.localStorage.setItem(draftKey, data.slice(0, -1) + ',"t":' + Date.now() + "}");
    } catch (e) { /* private mode or full: the draft lives on in memory */ }
  }
  var saveTimer = null;
  document.addEventListener("input", function () {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDrafts, 300);
  });
  window.addEventListener("pagehide", saveDrafts);

  // --- the header collapses to one line while scrolling --------------------------------------

  var mini = document.getElementById("mini-head");
  var fullHead = document.querySelector(".play-head");
  if (mini && fullHead && window.IntersectionObserver) {
    new IntersectionObserver(function (entries) {
      var out = !entries[0].isIntersecting;
      mini.classList.toggle("is-shown", out);
    }, { threshold: 0 }).observe(fullHead);
  }

  var lastStatus = null;
  var firstSeat = null;
  function render(v) {
    view = v;
    if (firstSeat === null) {
      firstSeat = view.me.id;
      loadDrafts();
    } else if (view.me.id !== firstSeat) {
      location.reload();  // a merge moved this device into another seat: start afresh there
      return;
    }
    tidyPending();
    noteFresh();
    PM.update(document.getElementById("round-header"), [["h", headerHTML()]]);
    if (mini) PM.update(mini, [["m", miniHTML()]]);
    PM.update(document.getElementById("alerts"), [["back", backHTML()], ["message", messageHTML()], ["fresh", freshHTML()]]);
    fitMessage();
    PM.update(document.getElementById("panel-tasks"), taskBlocks());
    PM.update(document.getElementById("panel-case"), caseBlocks());
    PM.update(document.getElementById("panel-role"), roleBlocks());
    PM.paintTimers();
    saveDrafts();
    if (view.session.status !== lastStatus) {
      lastStatus = view.session.status;
      checkNext();
    }
  }

  // --- "play again": follow the host to the next game ----------------------------------------

  var nextTimer = null;
  function checkNext() {
    clearTimeout(nextTimer);
    fetch("/play/" + encodeURIComponent(code) + "/next/", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { next: null }; })
      .then(function (data) {
        if (data.next) {
          ui.next = data.next;
          if (view && view.session.status === "ended") {
            location.href = "/play/" + encodeURIComponent(code) + "/";  // the server moves the seat on
            return;
          }
          render(view);
        }
        schedule();
      }, schedule);
    function schedule() {
      var ended = view && view.session.status === "ended";
      nextTimer = setTimeout(checkNext, ended ? 8000 : 60000);
    }
  }

  // --- what a person does ------------------------------------------------------------------------

  function find(key) {
    return ((view.committee && view.committee.decisions) || []).filter(function (d) { return d.key === key; })[0];
  }

  function busy(key, promise) {
    ui.busy[key] = true;
    render(view);
    return promise.then(function (ok) { delete ui.busy[key]; render(view); return ok; });
  }

  function vote(d, value) {
    return busy(d.key, client.act({ type: "vote", key: d.key, value: value }));
  }

  app.addEventListener("change", function (ev) {
    var el = ev.target, act = el.getAttribute("data-act");
    if (!act || !view) return;
    var d = find(el.getAttribute("data-key"));
    if (!d) return;
    if (act === "vote-one") {
      var value = d.type === "card" ? el.value : [el.value];
      ui.pending[d.key] = value;  // shown as chosen until the server's copy catches up
      vote(d, value).then(function (ok) { if (!ok) { delete ui.pending[d.key]; render(view); } });
    } else if (act === "toggle") {
      var mine = myVote(d);
      var picked = ui.pending[d.key] || (Array.isArray(mine) ? mine.slice() : []);
      var i = picked.indexOf(el.value);
      if (el.checked && i < 0) {
        if (d.type === "budget") {
          var costs = byId(d.options), spent = 0;
          picked.forEach(function (id) { spent += costs[id].cost; });
          if (spent + costs[el.value].cost > d.budget.total) {
            el.checked = false;
            PM.toast(fmt(gettext("That is over the budget of %(total)s %(unit)s."), { total: d.budget.total, unit: d.budget.unit }));
            return;
          }
        } else if (picked.length >= d.max) {
          el.checked = false;
          PM.toast(fmt(gettext("Choose at most %(max)s."), { max: d.max }));
          return;
        }
        picked.push(el.value);
      } else if (!el.checked && i >= 0) {
        picked.splice(i, 1);
      }
      ui.pending[d.key] = picked;
      render(view);
    } else if (act === "tool-pick") {
      ui.pending[d.key] = el.value;
      render(view);
    }
  });

  app.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-act]") : null;
    if (!el || el.disabled || !view) return;
    var act = el.getAttribute("data-act");
    if (act === "tab") { showTab(el.getAttribute("data-tab")); document.getElementById("tab-" + ui.tab).focus(); return; }
    if (act === "reflect") {
      var qid = el.getAttribute("data-q");
      var field = document.getElementById("q-" + keyId(qid));
      client.act({ type: "reflect", question: qid, text: field.value }).then(function (ok) {
        if (ok) { delete PM.drafts["q:" + qid]; PM.toast(gettext("Your answer is saved."), "ok"); }
      });
      return;
    }
    if (act === "goto") {
      var key = el.getAttribute("data-key");
      ui.fresh = ui.fresh.filter(function (k) { return k !== key; });
      if (ui.tab !== "tasks") showTab("tasks");
      render(view);
      var target = document.getElementById("decision-" + keyId(key));
      if (target) {
        // Below the one-line header that stays at the top while scrolling.
        var top = target.getBoundingClientRect().top + window.pageYOffset - (mini ? mini.offsetHeight : 0) - 8;
        window.scrollTo(0, Math.max(0, top));
        target.focus({ preventScroll: true });
      }
      return;
    }
    if (act === "dismiss-back") {
      ui.backSeen = view.session.round;
      render(view);
      document.getElementById("tab-" + ui.tab).focus({ preventScroll: true });
      return;
    }
    if (act === "dismiss-fresh") {
      ui.fresh = [];
      render(view);
      document.getElementById("tab-" + ui.tab).focus({ preventScroll: true });
      return;
    }
    if (act === "message-more") {
      ui.msgOpen = ui.msgOpen === view.session.message ? null : view.session.message;
      render(view);
      return;
    }
    var d = find(el.getAttribute("data-key"));
    if (!d) return;
    var mine = myVote(d);
    if (act === "submit-vote") {
      var value = ui.pending[d.key] || (d.type === "rank" ? d.options.map(function (o) { return o.id; }) : mine);
      vote(d, value).then(function (ok) { if (ok) delete ui.pending[d.key]; render(view); });
    } else if (act === "move") {
      var order = ui.pending[d.key] || (Array.isArray(mine) ? mine.slice() : d.options.map(function (o) { return o.id; }));
      var i = parseInt(el.getAttribute("data-index"), 10), j = i + parseInt(el.getAttribute("data-dir"), 10);
      if (j < 0 || j >= order.length) return;
      var item = order[i]; order[i] = order[j]; order[j] = item;
      ui.pending[d.key] = order;
      render(view);
      // Keep the focus on the moved item's button, which has moved with it.
      var again = document.querySelector('[data-focus="' + CSS.escape(el.getAttribute("data-focus")) + '"]');
      if (again && !again.disabled) again.focus(); else {
        var other = document.querySelector('[data-focus="' + CSS.escape(d.key + (j < i ? ":down:" : ":up:") + item) + '"]');
        if (other) other.focus();
      }
    } else if (act === "dot") {
      var dots = {};
      var base = ui.dots[d.key] || mine || {};
      Object.keys(base).forEach(function (k) { dots[k] = base[k]; });
      var idea = el.getAttribute("data-idea"), delta = parseInt(el.getAttribute("data-delta"), 10);
      var used = 0;
      Object.keys(dots).forEach(function (k) { used += dots[k]; });
      if (delta > 0 && used >= d.dots) { PM.toast(fmt(gettext("You have %(n)s dots."), { n: d.dots })); return; }
      dots[idea] = Math.max(0, (dots[idea] || 0) + delta);
      if (!dots[idea]) delete dots[idea];
      ui.dots[d.key] = dots;
      ui.dotting = Date.now() + DOTTING_HOLD;
      clearTimeout(ui.dottingTimer);
      ui.dottingTimer = setTimeout(function () { render(view); }, DOTTING_HOLD + 50);
      render(view);
      client.act({ type: "vote", key: d.key, value: dots }).then(function (ok) {
        if (!ok) { delete ui.dots[d.key]; render(view); }
      });
    } else if (act === "idea") {
      var text = document.getElementById("idea-text");
      var value2 = text ? text.value.trim() : "";
      if (!value2) { PM.toast(gettext("Write the idea first.")); if (text) text.focus(); return; }
      busy(d.key, client.act({ type: "idea", text: value2 })).then(function (ok) {
        if (ok) {
          delete PM.drafts["idea:" + d.key];
          var again = document.getElementById("idea-text");
          if (again) { again.value = ""; PM.updateCounters(document); }
        }
      });
    } else if (act === "lock") {
      busy(d.key, client.act({ type: "lock", key: d.key }));
    } else if (act === "lock-own") {
      if (mine == null) return;
      if (d.majority != null && normal(mine) !== normal(d.majority)) {
        ui.confirm = d.key;
        render(view);
        var warn = document.querySelector('[data-testid="confirm-politician-card"]');
        if (warn) warn.focus();
      } else {
        busy(d.key, client.act({ type: "lock", key: d.key, value: mine }));
      }
    } else if (act === "confirm-own") {
      ui.confirm = null;
      busy(d.key, client.act({ type: "lock", key: d.key, value: mine }));
    } else if (act === "cancel-own") {
      ui.confirm = null;
      render(view);
    } else if (act === "play-tool") {
      if (!ui.pending[d.key]) return;
      busy(d.key, client.act({ type: "lock", key: d.key, value: ui.pending[d.key] }));
    }
  });

  // Tabs: click, and arrow keys between them (the ARIA tabs pattern).
  var tabs = ["tasks", "case", "role"];
  tabs.forEach(function (name) {
    var button = document.getElementById("tab-" + name);
    button.addEventListener("click", function () { showTab(name); });
    button.addEventListener("keydown", function (ev) {
      var i = tabs.indexOf(ui.tab);
      if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
        i = (i + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length;
        showTab(tabs[i]);
        document.getElementById("tab-" + tabs[i]).focus();
        ev.preventDefault();
      }
    });
  });
  showTab("tasks");

  client = PM.connect({ path: "/ws/play/" + encodeURIComponent(code) + "/", code: code, render: render });
})();
