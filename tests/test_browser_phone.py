"""Phones for everyone: the player's screens at 320×568 and 390×844, as a person reads them.

Three players (Anna, Bent, Carla: one committee, each with a leadership role) play
the school case on phone-sized screens; the host is driven through its own
websocket, so this file tests the phone, not the dashboard's buttons. On every
player screen (join, "Is it you?", the waiting room, the role card, a voting
round, the ranking, the idea round, a card, the budget, the council's outcome)
and at 320×568, 390×844 and 1280×720 (a laptop): no horizontal overflow, no visible
text under 16 px, every tap target at least 44×44 px, and (at 390×844) no axe-core
violation of any impact.
Along the way: the header collapses to one line while scrolling, a player who
switches to English reads no Danish text of the case on any tab, the host's long
message opens in full with a tap, an unsent ranking survives a reload, a step
back is told on the phones, and a player on a new browser gets their own seat
and role back, by the seat code and by the host's one tap.

Screenshots of every screen at 320×568, 390×844 and 1280×720 go to out/player/.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from game.devserver import Server

from . import browser_support as bs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CASE_FILE = bs.ROOT / "cases" / "skole.yaml"
SHOTS = bs.ROOT / "out" / "player"
HOST_USER = "spilleder"
NAMES = ["Anna", "Bent", "Carla"]
SMALL = {"width": 320, "height": 568}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 720}
WAIT = 15_000  # ms: an expect on a loaded 2-core machine
MIN_TEXT = 16  # px: anything a player must read
MIN_TAP = 44  # px: every tap target, both ways
LONG_MESSAGE = (
    "Husk at læse rollekortet, før I stemmer. Igangsætteren træffer beslutningen, når alle har "
    "stemt, og vi holder fælles pause klokken 10.30, hvor vi også samler op på "
    "specialundervisningen og de økonomiske rammer for resten af formiddagen."
)

# What a person sees, measured in the page. Text: every visible text node's computed
# font size. Targets: buttons, links, fields, summaries and tabs; a radio button or a
# checkbox is tapped through its label, so the label is measured.
MEASURE = r"""() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) return false;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.display === "none" || +cs.opacity === 0) return false;
    if (r.right < 0 || r.bottom < 0) return false;  // off screen (the skip link)
    if (r.width <= 1 && r.height <= 1) return false;  // .sr-only
    return true;
  };
  const label = (el) => (el.getAttribute("data-testid") || el.id || el.tagName.toLowerCase()) +
    ": " + (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!el || el.closest("script, style, noscript") || !visible(el)) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < 16) small.push(px + "px " + JSON.stringify(n.textContent.trim().slice(0, 40)));
  }
  const tiny = [];
  const sel = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=tab]";
  for (const el of document.querySelectorAll(sel)) {
    const target = (el.type === "radio" || el.type === "checkbox") && el.closest("label") || el;
    if (!visible(target)) continue;
    const r = target.getBoundingClientRect();
    if (r.width < 43.5 || r.height < 43.5) tiny.push(Math.round(r.width) + "x" + Math.round(r.height) + " " + label(el));
  }
  // The round's clock sits beside its title, not on lines of its own under it, wherever the
  // title's longest word fits beside it; and no word of the title is cut to fit.
  const title = document.querySelector('[data-testid="round-title"]');
  const clock = document.querySelector(".round-line > .timer");
  let below = "";
  if (title && clock && visible(clock)) {
    const ctx = document.createElement("canvas").getContext("2d");
    const cs = getComputedStyle(title);
    ctx.font = cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
    const word = Math.max(...title.innerText.split(/\s+/).map((w) => ctx.measureText(w).width));
    const t = title.getBoundingClientRect(), c = clock.getBoundingClientRect();
    const line = title.closest(".round-line").getBoundingClientRect();
    const room = line.width - c.width - 8;  // the gap
    if (c.top >= t.bottom - 1 && word <= room) below = "the clock is under the title though it fits beside it";
    if (word > t.width + 1) below = "a word of the title is cut (" + Math.round(word) + " px in " + Math.round(t.width) + ")";
  }
  const doc = document.documentElement;
  return { overflow: doc.scrollWidth - doc.clientWidth, small, tiny, below };
}"""

# The host's actions, sent over the host's own websocket from the dashboard's page.
HOST_DO = r"""async ([path, msg]) => await new Promise((resolve) => {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + path);
  let sent = false;
  const timer = setTimeout(() => { ws.close(); resolve({ type: "error", code: "timeout" }); }, 10000);
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "snapshot" && !sent) { sent = true; ws.send(JSON.stringify(Object.assign({ ref: "t" }, msg))); }
    else if ((m.type === "ok" || m.type === "error") && m.ref === "t") { clearTimeout(timer); ws.close(); resolve(m); }
  };
  ws.onerror = () => { clearTimeout(timer); resolve({ type: "error", code: "ws" }); };
})"""


@dataclass
class Phone:
    name: str
    ctx: object
    page: object
    role: str = ""


@dataclass
class Flow:
    url: str
    browser: object
    env: dict
    dash: object = None
    code: str = ""
    phones: dict[str, Phone] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    axe: dict[str, tuple[list, int]] = field(default_factory=dict)
    broken: str | None = None

    def host(self, **msg) -> dict:
        answer = self.dash.evaluate(HOST_DO, [f"/ws/host/{self.code}/", msg])
        assert answer["type"] == "ok", (msg, answer)
        return answer

    def phone(self, name: str = "Anna"):
        return self.phones[name].page

    def new_context(self, viewport=PHONE):
        ctx = self.browser.new_context(
            viewport=viewport, device_scale_factor=1, is_mobile=True, has_touch=True, locale="da-DK"
        )
        ctx.set_default_timeout(WAIT)
        return ctx, ctx.new_page()

    def check(self, page, screen: str, *, axe: bool = True, shots: bool = True) -> None:
        """Measure the screen at both phone sizes and a laptop's (problems are collected,
        then asserted once, so one run names them all), run axe-core, take the screenshots."""
        page.wait_for_load_state("load")  # the stylesheet too (a DOM query does not wait for it)
        own = page.viewport_size
        for size in (SMALL, PHONE, LAPTOP):
            page.set_viewport_size(size)
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(60)  # a layout pass
            found = page.evaluate(MEASURE)
            where = f"{screen} at {size['width']}×{size['height']}"
            if found["overflow"] > 0:
                self.problems.append(f"{where}: {found['overflow']} px wider than the screen")
            self.problems += [f"{where}: text under {MIN_TEXT} px: {t}" for t in found["small"]]
            self.problems += [f"{where}: tap target under {MIN_TAP} px: {t}" for t in found["tiny"]]
            if found["below"]:
                self.problems.append(f"{where}: the round's header: {found['below']}")
        if axe:
            self.axe[screen] = bs.axe_check(page)
        if shots:
            shoot(page, screen)
        page.set_viewport_size(own)


def shoot(page, screen: str) -> None:
    """What the person sees at each size (from the top), the whole page at 390×844, and at
    320×568 the first task scrolled to the top (with the one-line header over it)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    own = page.viewport_size
    slug = re.sub(r"[^a-z0-9]+", "-", screen.lower()).strip("-")
    for size in (PHONE, LAPTOP, SMALL):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        name = f"{slug}-{size['width']}x{size['height']}"
        page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled", caret="initial")
        if size is PHONE:
            page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True, caret="initial")
    task = page.locator('[data-testid^="decision-"]:visible').first
    if task.count():
        top = task.evaluate("el => el.getBoundingClientRect().top + window.scrollY - 50")
        page.evaluate(f"window.scrollTo(0, {top})")
        page.wait_for_timeout(150)  # the one-line header slides in
        page.screenshot(path=str(SHOTS / f"{slug}-320x568-task.png"), caret="initial")
    page.set_viewport_size(own)


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    tmp = tmp_path_factory.mktemp("phone")
    env = bs.server_env(tmp / "phone.sqlite3")
    password = secrets.token_urlsafe(12)
    bs.compile_messages_if_stale(env)
    bs.manage(env, "migrate", "--noinput", "-v", "0")
    bs.manage(env, "load_case", str(CASE_FILE))
    bs.manage(
        env | {"PM_TEST_HOST_PASSWORD": password},
        "shell",
        "-c",
        "import os; from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({HOST_USER!r}, "
        "password=os.environ['PM_TEST_HOST_PASSWORD'], is_staff=True)",
    )
    server = Server(env)
    url = server.start()
    pw = sync_api.sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT)
        f = Flow(url=url, browser=browser, env=env)
        ctx = browser.new_context(viewport=LAPTOP, locale="da-DK")
        ctx.set_default_timeout(WAIT)
        f.dash = ctx.new_page()
        f.dash.goto(url + "/host/login/")
        f.dash.get_by_test_id("login-username").fill(HOST_USER)
        f.dash.get_by_test_id("login-password").fill(password)
        f.dash.get_by_test_id("login-submit").click()
        expect(f.dash.get_by_test_id("create-case")).to_be_visible()
        f.dash.get_by_test_id("create-size").fill("3")
        f.dash.get_by_test_id("create-show-meters").check()
        f.dash.get_by_test_id("create-submit").click()
        code = f.dash.get_by_test_id("join-code")
        expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4,8}$"))
        f.code = code.inner_text().strip()
        yield f
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        server.stop()
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "server.log").write_text(server.tail(300))


@pytest.fixture
def ok(flow, request):
    """Ordered steps on one flow: a step after a failed one is skipped, not failed again."""
    if flow.broken:
        pytest.skip(f"an earlier step failed: {flow.broken}")
    failed = request.session.testsfailed
    yield flow
    if request.session.testsfailed > failed:  # the call's report comes before this teardown
        flow.broken = request.node.name


def _join(flow: Flow, page, name: str) -> None:
    page.goto(flow.url + "/")
    page.get_by_test_id("join-code").fill(flow.code)
    page.get_by_test_id("join-name").fill(name)
    page.get_by_test_id("join-submit").tap()


def _role_name(page) -> str:
    page.get_by_test_id("tab-role").tap()
    name = page.get_by_test_id("role-card").locator("h2").inner_text().strip()
    page.get_by_test_id("tab-tasks").tap()
    return name


def _problems(flow: Flow) -> None:
    problems, flow.problems = flow.problems, []
    assert not problems, "\n".join(problems)


# --- the tests ---------------------------------------------------------------------------------


def test_join_and_the_waiting_room_fit_a_phone(ok):
    flow = ok
    ctx, page = flow.new_context()
    page.goto(flow.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert page.evaluate("getComputedStyle(document.body).hyphens") == "auto"
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert 17 <= body <= 18, body
    flow.check(page, "join")
    for name in NAMES:
        if name != NAMES[0]:
            ctx, page = flow.new_context()
        _join(flow, page, name)
        expect(page).to_have_url(f"{flow.url}/play/{flow.code}/")
        expect(page.get_by_test_id("my-name")).to_have_text(name)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        flow.phones[name] = Phone(name, ctx, page)
    expect(flow.phone().get_by_test_id("joined-count")).to_contain_text("3")
    flow.check(flow.phone(), "waiting room")
    # English: the page says so, for hyphenation and for screen readers
    en_ctx, en = flow.new_context()
    en.goto(flow.url + "/")
    en.get_by_test_id("lang-en").tap()
    expect(en.locator("html")).to_have_attribute("lang", "en")
    expect(en.get_by_test_id("join-submit")).to_have_text("Join")
    en_ctx.close()
    _problems(flow)


def test_the_role_card_shows_the_seat_code(ok):
    flow = ok
    flow.host(type="form", size=3)
    for p in flow.phones.values():
        p.role = _role_name(p.page)
    assert len({p.role for p in flow.phones.values()}) == 3
    page = flow.phone()
    page.get_by_test_id("tab-role").tap()
    expect(page.get_by_test_id("seat-code")).to_have_text(re.compile(r"^[A-Z0-9]{4}$"))
    flow.check(page, "role card")
    page.get_by_test_id("tab-case").tap()
    flow.check(page, "the case", axe=False)
    page.get_by_test_id("tab-tasks").tap()
    _problems(flow)


def test_a_new_browser_gets_the_seat_back_by_the_seat_code(ok):
    flow = ok
    carla = flow.phones["Carla"]
    carla.page.get_by_test_id("tab-role").tap()
    seat_code = carla.page.get_by_test_id("seat-code").inner_text().strip()
    carla.page.get_by_test_id("tab-tasks").tap()

    ctx, page = flow.new_context()
    _join(flow, page, "Carla")
    clash = page.get_by_test_id("clash")
    expect(clash).to_contain_text("Er det dig?")
    expect(page.get_by_test_id("ask-host")).to_have_count(0)  # Carla is online: no asking
    flow.check(page, "is it you")
    wrong = "AAAA" if seat_code != "AAAA" else "CCCC"
    page.get_by_test_id("seat-code").fill(wrong)
    page.get_by_test_id("seat-code-submit").tap()
    expect(page.get_by_test_id("seat-code-error")).to_contain_text("Pladskoden passer ikke")
    flow.check(page, "is it you, a wrong code", axe=True, shots=True)
    page.get_by_test_id("seat-code").fill(seat_code.lower())
    page.get_by_test_id("seat-code-submit").tap()
    expect(page).to_have_url(f"{flow.url}/play/{flow.code}/")
    expect(page.get_by_test_id("my-name")).to_have_text("Carla")
    assert _role_name(page) == carla.role  # the same seat: the same role
    # the old browser's token is dead: it is sent to the join page
    expect(carla.page).to_have_url(re.compile(r"/\?code="))
    carla.ctx.close()
    flow.phones["Carla"] = Phone("Carla", ctx, page, carla.role)
    expect(flow.dash.get_by_test_id("players")).not_to_contain_text("Carla (2)")
    _problems(flow)


def test_a_new_browser_gets_the_seat_back_when_the_host_confirms(ok):
    flow = ok
    bent = flow.phones["Bent"]
    bent.ctx.close()  # the phone dies
    expect(flow.dash.get_by_test_id("players")).to_contain_text(re.compile(r"Bent\s*offline"))
    ctx, page = flow.new_context()
    _join(flow, page, "bent")
    page.get_by_test_id("ask-host").tap()
    expect(page).to_have_url(re.compile(r"/join/wait/"))
    expect(page.get_by_test_id("wait-status")).to_be_visible()
    flow.check(page, "waiting for the host")
    confirm = flow.dash.locator('[data-testid^="claim-confirm-"]')
    expect(confirm).to_have_count(1)
    expect(flow.dash.get_by_test_id("claims")).to_contain_text("Bent")
    shoot(flow.dash, "host dashboard with a request")
    # the host's small targets of the issue: the language, "Mine spil", "Log ud", "ZIP" …
    small = flow.dash.evaluate(
        "() => [...document.querySelectorAll('.topbar a, .topbar button, .export-links a,"
        " [data-testid^=claim-] button, .player-row button')].filter(e => e.offsetParent)"
        ".map(e => [e.innerText.trim(), e.getBoundingClientRect()])"
        ".filter(([t, r]) => r.width < 43.5 || r.height < 43.5).map(([t, r]) =>"
        " `${t} ${Math.round(r.width)}x${Math.round(r.height)}`)"
    )
    assert not small, small
    confirm.click()
    # the new browser moves on by itself
    expect(page).to_have_url(f"{flow.url}/play/{flow.code}/")
    expect(page.get_by_test_id("my-name")).to_have_text("Bent")
    assert _role_name(page) == bent.role
    flow.phones["Bent"] = Phone("Bent", ctx, page, bent.role)
    expect(flow.dash.get_by_test_id("claims")).not_to_contain_text("Bent")
    _problems(flow)


def test_the_host_merges_a_duplicate_and_the_new_browser_moves_into_the_seat(ok):
    flow = ok
    anna = flow.phones["Anna"]
    ctx, page = flow.new_context()
    _join(flow, page, "Anna")
    page.get_by_test_id("as-new").tap()  # joining as someone else is a choice …
    expect(page.get_by_test_id("my-name")).to_have_text("Anna (2)")
    merge = flow.dash.locator('[data-testid^="merge-"]:not([data-testid^="merge-confirm-"])')
    expect(merge).to_have_count(1)  # … and the host can undo it
    expect(merge).to_have_text("Læg sammen med Anna")
    merge.click()
    flow.dash.locator('[data-testid^="merge-confirm-"]').click()
    # the newer browser plays on in Anna's own seat, with her role; the old one is out
    expect(page.get_by_test_id("my-name")).to_have_text("Anna")
    assert _role_name(page) == anna.role
    expect(anna.page).to_have_url(re.compile(r"/\?code="))
    anna.ctx.close()
    flow.phones["Anna"] = Phone("Anna", ctx, page, anna.role)
    expect(flow.dash.get_by_test_id("summary")).to_contain_text("3 spillere")


def test_briefing_and_a_voting_round_with_the_header_on_one_line(ok):
    flow = ok
    flow.host(type="start")
    page = flow.phone()
    expect(page.get_by_test_id("round-title")).to_have_text("Lobby og orientering")
    flow.check(page, "briefing")
    flow.host(type="advance")
    expect(page.get_by_test_id("round-title")).to_have_text("Kommissorium")
    flow.host(type="message", text=LONG_MESSAGE)
    message = page.get_by_test_id("host-message")
    expect(message).to_be_visible()
    # the message sits in the content, under the tabs, not over the page
    assert page.evaluate(
        "getComputedStyle(document.querySelector('[data-testid=host-message]')).position"
    ) in ("static", "relative")
    page.set_viewport_size(SMALL)
    text = page.get_by_test_id("host-message-text")
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#host-message-text')).lineHeight)"
    )
    short = text.bounding_box()["height"]
    assert short <= 2 * line + 2, (short, line)  # two lines …
    more = page.get_by_test_id("message-more")
    expect(more).to_have_text("Læs hele beskeden")
    page.screenshot(path=str(SHOTS / "voting-round-message-320x568.png"))
    more.tap()
    expect(more).to_have_attribute("aria-expanded", "true")
    assert text.bounding_box()["height"] > short + line  # … and all of it with a tap
    expect(text).to_have_text(LONG_MESSAGE)
    # scrolled, the header is one line: the round and the clock
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    mini = page.get_by_test_id("mini-head")
    expect(mini).to_have_class(re.compile(r"is-shown"))
    expect(mini).to_contain_text("Kommissorium")
    page.wait_for_timeout(100)
    page.screenshot(path=str(SHOTS / "voting-round-scrolled-320x568.png"))
    box = mini.bounding_box()
    assert box["y"] >= -1 and box["height"] <= 0.1 * SMALL["height"], box
    # … and still one line at 150 % text size (a phone's accessibility setting)
    page.evaluate("document.documentElement.style.fontSize = '150%'")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(100)
    page.screenshot(path=str(SHOTS / "voting-round-scrolled-150-percent-320x568.png"))
    big = mini.bounding_box()
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.mini-title')).lineHeight)"
    )
    assert big["height"] <= max(line, 1.5 * MIN_TAP) + 12, (big, line)  # one line
    assert big["height"] <= 0.15 * SMALL["height"], big
    wide = page.evaluate(
        "(w) => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
        ".right > w + 1).map(e => e.className || e.tagName).slice(0, 30)",
        SMALL["width"],
    )
    assert not wide, wide  # nothing wider than the phone (a phone would zoom out)
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.set_viewport_size(PHONE)
    flow.check(page, "voting round")
    more.tap()
    _problems(flow)


def _danish_texts_of_the_case() -> set[str]:
    """The school case's own texts (under its text keys) that the English file translates,
    long enough not to occur by chance in an English sentence."""
    import yaml

    from cases import languages

    danish = yaml.safe_load(CASE_FILE.read_text(encoding="utf-8"))
    english = yaml.safe_load(CASE_FILE.with_suffix(".en.yaml").read_text(encoding="utf-8"))
    return {t for t, e in languages.table(danish, english).items() if t != e and len(t) >= 25}


def test_in_english_the_phone_shows_no_danish_text_of_the_case(ok):
    flow = ok
    page = flow.phone()
    danish = _danish_texts_of_the_case()
    assert danish
    page.get_by_test_id("lang-en").tap()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")
    expect(page.get_by_test_id("round-title")).to_have_text("Terms of reference")
    seen = []
    for tab in ("tab-tasks", "tab-case", "tab-role"):
        page.get_by_test_id(tab).tap()
        page.wait_for_timeout(100)
        seen.append(page.locator("body").inner_text())
    text = "\n".join(seen)
    shown = sorted(t for t in danish if t in text)
    assert not shown, shown[:5]
    assert "Askelund Municipality" in text  # the case itself, in English
    page.get_by_test_id("tab-tasks").tap()
    page.get_by_test_id("lang-da").tap()
    expect(page.get_by_test_id("round-title")).to_have_text("Kommissorium")


def test_an_unsent_ranking_survives_a_reload(ok):
    flow = ok
    flow.host(type="message", text="")
    flow.host(type="advance")
    page = flow.phone()
    expect(page.get_by_test_id("round-title")).to_have_text("Problemforståelse")
    ranking = page.get_by_test_id("rank-udfordringer")
    items = ranking.locator(".rank-label")
    first, second = items.nth(0).inner_text(), items.nth(1).inner_text()
    page.get_by_role("button", name=f"Flyt op: {second}").tap()
    expect(items.nth(0)).to_have_text(second)
    flow.check(page, "ranking")
    page.reload()
    expect(items.nth(0)).to_have_text(second)
    expect(items.nth(1)).to_have_text(first)
    expect(page.get_by_test_id("vote-udfordringer")).to_have_text("Send min rækkefølge")
    expect(page.get_by_test_id("vote-udfordringer")).to_be_enabled()
    page.get_by_test_id("vote-udfordringer").tap()
    expect(page.get_by_test_id("vote-udfordringer")).to_have_text("Din rækkefølge er afgivet ✓")
    _problems(flow)


def test_the_idea_round_and_a_step_back(ok):
    flow = ok
    flow.host(type="advance")
    page = flow.phone()
    expect(page.get_by_test_id("round-title")).to_have_text("Idéudvikling")
    page.get_by_test_id("idea-text").fill("Flere tolærerordninger i indskolingen")
    page.get_by_test_id("add-idea").tap()
    expect(page.get_by_test_id("my-idea-count")).to_contain_text("1 af")  # the server has it
    expect(page.get_by_test_id("idea-text")).to_have_value("")
    page.get_by_test_id("idea-text").fill("Et udkast, der ikke er sendt endnu")
    page.wait_for_timeout(400)  # the draft is kept after a short pause in typing
    page.reload()
    expect(page.get_by_test_id("idea-text")).to_have_value("Et udkast, der ikke er sendt endnu")
    page.get_by_role("button", name=re.compile("Giv en prik til")).first.tap()
    flow.check(page, "idea round")
    flow.host(type="back")
    for p in flow.phones.values():
        notice = p.page.get_by_test_id("round-back")
        expect(notice).to_contain_text("Spillederen gik en runde tilbage")
        expect(notice).to_contain_text("Problemforståelse")
    flow.check(page, "after a step back", axe=False)
    flow.host(type="advance")
    expect(page.get_by_test_id("round-back")).to_have_count(0)
    _problems(flow)


def test_a_card_the_budget_and_the_councils_outcome(ok):
    flow = ok
    flow.host(type="lock_all")
    flow.host(type="advance")
    page = flow.phone()
    expect(page.get_by_test_id("round-title")).to_have_text("Dilemmaer")
    flow.check(page, "dilemma card", axe=False)
    flow.host(type="advance")
    expect(page.get_by_test_id("round-title")).to_have_text("Anbefaling og forankring")
    flow.check(page, "budget", axe=False)
    flow.host(type="advance")
    expect(page.get_by_test_id("outcome")).to_be_visible()
    flow.check(page, "the councils outcome")
    flow.host(type="end")
    expect(page.get_by_test_id("ended")).to_be_visible()
    flow.check(page, "ended", axe=False)
    _problems(flow)


def test_no_accessibility_violation_of_any_impact_on_the_player_pages(ok):
    flow = ok
    assert len(flow.axe) >= 9, sorted(flow.axe)
    failed = []
    for screen, (violations, passes) in flow.axe.items():
        assert passes > 10, f"{screen}: axe checked nothing"
        if violations:
            failed.append(f"{screen}:\n{bs.describe(violations)}")
    assert not failed, "\n".join(failed)
