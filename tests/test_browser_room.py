"""The big screen and the host's dashboard in a full room, in a real browser.

Forty people in eight committees (tests/room_scenarios.py, through the actions layer,
no forty browsers) fill the projector's lobby, a round with open and locked decisions,
the idea wall and the results. At 1280×720 (many venues' projectors) and 1920×1080,
each must fit one screen as a person at the back of the room sees it: nothing outside
the viewport, no scrollbar, the join code on one line, no text below 20 px. The host's
dashboard at 1280×720 shows the committees' progress and the advance button without
scrolling and asks, with the count, before advancing past open decisions, and the
host's pages have 44 px tap targets. The big screen's sound (off until asked) chimes
for arrivals, ticks down the last ten seconds and sounds time's up once. axe-core
finds no violation of any impact on either page. (One and four committees:
tests/test_browser_room_few.py.)
Screenshots go to out/host/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cases.schema import load_case_file

from . import browser_support as bs

# The seats task's question, as the case asks it (the projector shows the round's questions).
SEATS_PROMPT = next(
    t.prompt
    for r in load_case_file(bs.ROOT / "cases" / "skole.yaml")[0].rounds
    for t in r.tasks
    if t.type == "seats"
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOTS = bs.ROOT / "out" / "host"
SIZES = {"1280x720": {"width": 1280, "height": 720}, "1920x1080": {"width": 1920, "height": 1080}}
# The screens of the projector, each a session at that point (room_scenarios.SCREENS).
SCREENS = {
    "lobby": "lobby",
    "round": "kommissorium",
    "wall": "ideudvikling",
    "results": "byraadsmoede",
}
WAIT = 15_000


class Room:
    def __init__(self, url: str, browser, state: dict, data: dict) -> None:
        self.url, self.browser, self.state, self.data = url, browser, state, data
        self.pages: dict[str, object] = {}

    def page(self, size: str):
        """One logged-in page per screen size (a context each, the host's login shared)."""
        if size not in self.pages:
            ctx = self.browser.new_context(
                viewport=SIZES[size],
                device_scale_factor=1,
                locale="da-DK",
                storage_state=self.state,
            )
            ctx.set_default_timeout(WAIT)
            self.pages[size] = ctx.new_page()
        return self.pages[size]

    def code(self, screen: str) -> str:
        return self.data[SCREENS[screen]]["code"]


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    SHOTS.mkdir(parents=True, exist_ok=True)
    screens = tuple(SCREENS.values())
    build = f"from tests.room_scenarios import build; build({screens!r}, history=False)"
    with bs.room_server(tmp_path_factory.mktemp("room"), build) as (url, browser, state, data):
        expect.set_options(timeout=WAIT)
        yield Room(url, browser, state, data)


def open_projector(room: Room, size: str, screen: str):
    page = room.page(size)
    page.goto(f"{room.url}/host/{room.code(screen)}/projector/")
    kind = {"round": "grid", "results": "outcomes"}.get(screen, screen)
    expect(page.locator(f'#screen[data-screen="{kind}"]')).to_be_attached()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    page.wait_for_timeout(300)  # the fit runs after the render; a frame or two
    page.screenshot(path=str(SHOTS / f"test-projector-{screen}-{size}.png"))
    return page


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_projector_fits_one_screen_readable_from_the_back(room, size, screen):
    page = open_projector(room, size, screen)
    fits = page.evaluate(bs.FITS_JS)
    width, height, w, h = fits["scroll"]
    assert width <= w and height <= h, f"a scrollbar: {fits['scroll']}"
    assert fits["outside"] == [], f"outside the screen: {fits['outside'][:8]}"
    assert fits["small"] == [], f"text below 20 px: {fits['small'][:8]}"
    code = "join-code" if screen == "lobby" else "corner-code"
    assert fits["lines"].get(code) == 1, f"the join code is not on one line: {fits['lines']}"
    expect(page.get_by_test_id(code)).to_have_text(room.code(screen))
    if screen == "lobby":
        names = page.get_by_test_id("lobby-names").locator(".pj-name:not(.pj-name-more)")
        expect(names).to_have_count(40)
        for i in range(40):  # forty names fit: no "+N more" yet
            expect(names.nth(i)).to_be_visible()
        expect(page.get_by_test_id("names-more")).to_be_hidden()
        expect(page.get_by_test_id("player-count")).to_have_text("40 spillere er kommet ind")
        expect(page.get_by_test_id("qr")).to_be_visible()
    else:
        expect(page.get_by_test_id("corner-join")).to_be_visible()
    if screen == "round":
        for cid in range(1, 9):
            expect(page.get_by_test_id(f"committee-{cid}")).to_be_visible()
            expect(page.get_by_test_id(f"answered-{cid}")).to_have_text(
                re.compile(r"^\d af 5 har stemt$")
            )
        expect(page.get_by_test_id("answered-total")).to_have_text(
            re.compile(r"^\d+ af 40 har stemt$")
        )
        expect(page.get_by_test_id("question")).to_contain_text(SEATS_PROMPT)
        expect(page.get_by_test_id("split").first).to_be_visible()  # committees 1-3 locked
    if screen == "wall":
        for cid in range(1, 9):
            expect(page.get_by_test_id(f"wall-{cid}")).to_be_visible()
            expect(page.get_by_test_id(f"wall-{cid}").locator(".pj-idea").first).to_be_visible()
        # 15 dots over six ideas: 3,3,3,2,2,2 with five going forward: three ideas tie for two places.
        expect(page.get_by_test_id("tie-3")).to_have_text("Stemmelighed om 2 pladser: 2 prikker")
        expect(page.get_by_test_id("tie-rule")).to_be_visible()
        expect(page.get_by_test_id("wall-1")).to_contain_text("Gik videre")  # locked
        expect(page.get_by_test_id("wall-2")).to_contain_text("idéer i puljen")  # no dots yet
    if screen == "results":
        for cid in range(1, 9):
            expect(
                page.get_by_test_id(f"outcome-{cid}").locator(".pj-outcome-title")
            ).to_be_visible()
            expect(page.get_by_test_id(f"outcome-{cid}").locator(".pj-headline")).to_be_visible()
        rows = page.get_by_test_id("compare").locator("tbody tr")
        expect(rows).to_have_count(6)  # every meter, each committee side by side
        for i in range(6):
            expect(rows.nth(i)).to_be_visible()


def test_the_host_sees_progress_beside_the_advance_button_and_is_asked_first(room):
    page = room.page("1280x720")
    page.goto(f"{room.url}/host/{room.code('round')}/")
    progress, advance = page.get_by_test_id("progress"), page.get_by_test_id("round-advance")
    expect(progress).to_be_visible()
    expect(page.get_by_test_id("progress-8")).to_be_visible()
    # A workshop's eight committees: every one shown, no conference tools (issue 7).
    expect(page.get_by_test_id("committee-grid").locator(".committee-card")).to_have_count(8)
    expect(page.get_by_test_id("committee-tools")).to_be_hidden()
    expect(page.get_by_test_id("committee-counts")).to_have_count(0)
    expect(page.get_by_test_id("player-tools")).to_be_hidden()
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "test-dashboard-round-1280x720.png"))
    for box in (
        progress.bounding_box(),
        advance.bounding_box(),
        page.get_by_test_id("timer").bounding_box(),
    ):
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, box  # in the first screen
    expect(page.get_by_test_id("timer")).to_have_attribute("data-state", "idle")
    expect(page.get_by_test_id("timer").locator(".timer-label")).to_have_text("Ikke startet")
    expected = room.data["kommissorium"]["open"]
    advance.click()
    dialog = page.get_by_test_id("advance-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("advance-dialog-text")).to_have_text(
        f"{expected['decisions']} beslutninger er ikke truffet i {expected['committees']} udvalg. "
        "Gå videre alligevel?"
    )
    page.screenshot(path=str(SHOTS / "test-dashboard-advance-dialog-1280x720.png"))
    page.get_by_test_id("advance-cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("dash-round")).to_contain_text("Kommissorium")  # nothing moved


@pytest.mark.parametrize(
    "where",
    ["dashboard", "projector-lobby", "projector-round", "projector-wall", "projector-results"],
)
def test_axe_finds_no_violation_of_any_impact(room, where):
    page = room.page("1280x720")
    if where == "dashboard":
        page.goto(f"{room.url}/host/{room.code('round')}/")
        expect(page.get_by_test_id("progress")).to_be_visible()
    else:
        open_projector(room, "1280x720", where.split("-")[1])
    violations, passes = bs.axe_check(page)
    assert passes > 10, "axe checked next to nothing"
    assert violations == [], bs.describe(violations)


def test_the_host_previews_a_phone_read_only_and_renames_a_player(room):
    page = room.page("1280x720")
    info = room.data["kommissorium"]
    page.goto(f"{room.url}/host/{room.code('round')}/")
    row = page.get_by_test_id("progress-8")
    expect(row).to_be_visible()
    before = row.inner_text()
    pid = info["players"]["Poul"]  # committee 8, has not voted: his phone has open choices
    page.get_by_test_id(f"preview-{pid}").click()
    expect(page.get_by_test_id("preview-dialog")).to_be_visible()
    phone = page.frame_locator('[data-testid="preview-frame"]')
    expect(phone.get_by_test_id("preview-badge")).to_contain_text("Poul")
    expect(phone.get_by_test_id("round-title")).to_have_text("Kommissorium")
    expect(phone.get_by_test_id("decision-fokus")).to_be_visible()
    phone.get_by_test_id("decision-fokus").locator("input").first.click()
    expect(phone.get_by_test_id("toast")).to_contain_text("forhåndsvisning")  # nothing is sent
    page.screenshot(path=str(SHOTS / "test-dashboard-preview-1280x720.png"))
    page.get_by_test_id("preview-close").click()
    page.wait_for_timeout(500)
    assert row.inner_text() == before  # the committee's progress did not move
    # Rename, then hide: the players' list (and every view, see test_room.py) follows.
    page.get_by_test_id(f"rename-{pid}").click()
    page.get_by_test_id("rename-name").fill("Poul Erik")
    page.get_by_test_id("rename-save").click()
    expect(page.get_by_test_id(f"player-{pid}")).to_contain_text("Poul Erik")
    page.get_by_test_id(f"rename-{pid}").click()
    page.get_by_test_id("rename-hide").click()
    expect(page.get_by_test_id(f"player-{pid}")).to_contain_text(re.compile(r"Spiller \d+"))
    expect(page.get_by_test_id(f"player-{pid}")).not_to_contain_text("Poul")


def test_the_big_screen_has_sound_off_until_asked_and_a_fullscreen_button(room):
    page = open_projector(room, "1280x720", "round")
    sound = page.get_by_test_id("sound-toggle")
    expect(sound).to_have_attribute("aria-pressed", "false")  # off by default
    expect(sound).to_have_text(re.compile("Lyd: fra"))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sound.click()  # the click is the gesture the browser needs for the Web Audio API
    expect(sound).to_have_attribute("aria-pressed", "true")
    expect(sound).to_have_text(re.compile("Lyd: til"))
    assert page.evaluate("localStorage.getItem('pm-projector-sound')") == "on"
    page.reload()
    expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("sound-toggle").click()
    expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("fullscreen")).to_be_visible()
    expect(page.get_by_test_id("fullscreen")).to_have_text(re.compile("Fuld skærm"))
    assert errors == []


@pytest.mark.parametrize("size", ["1280x720", "390x844"])
def test_the_hosts_pages_have_tap_targets_of_44_px_and_fit_the_width(room, size):
    """The host taps too (a laptop's touch screen, a tablet, a phone in the hand): her list
    of games and the dashboard in a round and at the end."""
    from tests.test_browser_phone import MEASURE, MIN_TAP

    width, height = map(int, size.split("x"))
    ctx = room.browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        locale="da-DK",
        storage_state=room.state,
    )
    ctx.set_default_timeout(WAIT)
    page = ctx.new_page()
    problems = []
    for name, path, ready in (
        ("my games", "/host/", "session-list"),
        ("a round", f"/host/{room.code('round')}/", "progress"),
        ("the end", f"/host/{room.code('results')}/", "summary"),
    ):
        page.goto(room.url + path)
        expect(page.get_by_test_id(ready)).to_be_visible()
        page.wait_for_timeout(300)
        found = page.evaluate(MEASURE)
        if found["overflow"] > 0:
            problems.append(f"{name}: {found['overflow']} px wider than the screen")
        problems += [f"{name}: tap target under {MIN_TAP} px: {t}" for t in found["tiny"]]
    ctx.close()
    assert not problems, "\n".join(problems)


# A Web Audio stand-in that records the frequency of every tone the page plays.
FAKE_AUDIO = """(() => {
  window.__tones = [];
  class Node { connect(next) { return next; } }
  class Osc extends Node {
    constructor() { super(); this.frequency = { setValueAtTime: (f) => window.__tones.push(f) }; }
    start() {} stop() {}
  }
  class Gain extends Node {
    constructor() { super(); this.gain = { setValueAtTime() {}, exponentialRampToValueAtTime() {} }; }
  }
  class Context {
    constructor() { this.state = "running"; this.currentTime = 0; this.destination = new Node(); }
    createOscillator() { return new Osc(); } createGain() { return new Gain(); } resume() {}
  }
  window.AudioContext = Context; window.webkitAudioContext = Context;
})();"""
JOIN, TICK, LAST, UP = 660, 1000, 1320, 523  # the first tone of each sound (projector.js)


def _tones(page) -> list[float]:
    return page.evaluate("window.__tones.splice(0)")


def _arrive(room: Room, code: str, name: str) -> None:
    ctx = room.browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
    phone = ctx.new_page()
    phone.goto(f"{room.url}/?code={code}")
    phone.get_by_test_id("join-name").fill(name)
    phone.get_by_test_id("join-submit").click()
    phone.wait_for_url(re.compile(r"/play/"))
    ctx.close()


# Last in the file: it adds players to the lobby and starts the round's clock.
def test_the_big_screen_chimes_for_arrivals_ticks_down_and_sounds_times_up(room):
    ctx = room.browser.new_context(
        viewport=SIZES["1280x720"], device_scale_factor=1, locale="da-DK", storage_state=room.state
    )
    ctx.set_default_timeout(WAIT)
    ctx.add_init_script(FAKE_AUDIO)
    page = ctx.new_page()
    page.goto(f"{room.url}/host/{room.code('lobby')}/projector/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    count = page.get_by_test_id("player-count")
    # Off by default: somebody arrives and the room hears nothing.
    _arrive(room, room.code("lobby"), "Tilde")
    expect(count).to_have_text("41 spillere er kommet ind")
    page.wait_for_timeout(600)  # the sound loop runs every 250 ms: a few rounds of it
    assert _tones(page) == []
    page.get_by_test_id("sound-toggle").click()
    assert _tones(page)[:1] == [JOIN]  # turning it on says so
    page.wait_for_timeout(500)  # chimes 400 ms apart are one (forty arrivals at once)
    _arrive(room, room.code("lobby"), "Viggo")
    expect(count).to_have_text("42 spillere er kommet ind")
    page.wait_for_function("() => window.__tones.length > 0")  # a function: no eval under the CSP
    assert _tones(page)[:1] == [JOIN]
    ctx.close()

    # The round's clock, on a page whose clock the test moves (sound stays on: localStorage).
    ctx = room.browser.new_context(
        viewport=SIZES["1280x720"], device_scale_factor=1, locale="da-DK", storage_state=room.state
    )
    ctx.set_default_timeout(WAIT)
    ctx.add_init_script(FAKE_AUDIO)
    ctx.add_init_script("localStorage.setItem('pm-projector-sound', 'on')")
    dash, page = ctx.new_page(), ctx.new_page()
    page.clock.install()
    page.goto(f"{room.url}/host/{room.code('round')}/projector/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "true")
    dash.goto(f"{room.url}/host/{room.code('round')}/")
    dash.get_by_test_id("timer-start").click()
    expect(dash.get_by_test_id("timer-pause")).to_be_visible()
    expect(page.get_by_test_id("timer")).not_to_have_attribute("data-state", "idle")
    page.wait_for_timeout(600)
    assert TICK not in _tones(page)  # nowhere near the end yet
    page.clock.run_for(15 * 60 * 1000 + 2000)  # the whole round, on the page's own clock
    tones = _tones(page)
    assert tones.count(TICK) == 7 and tones.count(LAST) == 3, tones  # 10 … 4, then 3, 2, 1
    assert tones.count(UP) == 1, tones  # time's up, once
    ctx.close()
