/* The debrief's projector mode and print button (templates/game/debrief.html).
 *
 * The page loads as the host's view. "Projector mode" (or #projector in the
 * address) shows one slide at a time: the outcomes, the paths, then one
 * learning goal each. Next/previous by the buttons or the keyboard (→ ↓
 * PageDown space, ← ↑ PageUp, Home, End; F fills the screen; Esc goes back). The
 * slide is kept in the address (#projector-3), so a reload stays on it.
 */
(function () {
  "use strict";
  var host = document.querySelector(".db-host");
  var deck = document.querySelector(".db-slides");
  if (!host || !deck) return;
  var slides = Array.prototype.slice.call(deck.querySelectorAll("[data-slide]"));
  var count = deck.querySelector("[data-slide-count]");
  var prev = deck.querySelector("[data-slide-prev]");
  var next = deck.querySelector("[data-slide-next]");
  var at = 0;

  function show(i) {
    at = Math.max(0, Math.min(slides.length - 1, i));
    slides.forEach(function (s, k) { s.hidden = k !== at; });
    count.textContent = (at + 1) + " / " + slides.length;
    prev.disabled = at === 0;
    next.disabled = at === slides.length - 1;
    history.replaceState(null, "", "#projector-" + (at + 1));
  }

  function project(i) {
    host.hidden = true;
    deck.hidden = false;
    document.body.classList.add("db-projecting");
    show(i);
    next.focus();
  }

  function leave() {
    deck.hidden = true;
    host.hidden = false;
    document.body.classList.remove("db-projecting");
    history.replaceState(null, "", location.pathname + location.search);
    var button = document.querySelector("[data-project]");
    if (button) button.focus();
  }

  /* F: the whole screen for the slides (a projector has no use for the browser's bars). */
  function fullscreen() {
    var el = document.documentElement;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (el.requestFullscreen) el.requestFullscreen().catch(function () {});
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("button");
    if (!t) return;
    if (t.hasAttribute("data-project")) project(0);
    else if (t.hasAttribute("data-project-exit")) leave();
    else if (t.hasAttribute("data-slide-prev")) show(at - 1);
    else if (t.hasAttribute("data-slide-next")) show(at + 1);
    else if (t.hasAttribute("data-print")) window.print();
  });

  document.addEventListener("keydown", function (e) {
    if (deck.hidden || e.altKey || e.ctrlKey || e.metaKey) return;
    var k = e.key;
    if (k === "ArrowRight" || k === "ArrowDown" || k === "PageDown" || k === " ") show(at + 1);
    else if (k === "ArrowLeft" || k === "ArrowUp" || k === "PageUp") show(at - 1);
    else if (k === "Home") show(0);
    else if (k === "End") show(slides.length - 1);
    else if (k === "Escape") leave();
    else if (k === "f" || k === "F") fullscreen();
    else return;
    e.preventDefault();
  });

  var m = /^#projector(?:-(\d+))?$/.exec(location.hash);
  if (m) project(m[1] ? parseInt(m[1], 10) - 1 : 0);
})();
