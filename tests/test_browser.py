"""A whole workshop in real browsers: a host, a projector and eight phones.

Daphne runs in a subprocess on a SQLite file of its own (tests/browser_support.py);
Chromium (Debian's, driven by Playwright) opens the pages as people would: the host
logs in and creates a session through the forms, eight players join on phone-sized
screens in separate browser contexts, and every round of the school case is played
by clicking, typing and tapping. Along the way: a reload in the middle of a round,
the host's timer, an injected card, a step back, the projector, the export (which
must hold every vote cast here) and the debrief. Screenshots of every screen go to
out/browser/ (git-ignored); axe-core checks the join, player, host and projector
pages for accessibility violations of any impact.

The steps are ordered tests on one module-scoped flow; a failed step skips the rest.
The page texts asserted are Danish, the site's default language.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import secrets
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cases.schema import load_case_file
from game.devserver import Server

from . import browser_support as bs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CASE_FILE = bs.ROOT / "cases" / "skole.yaml"
CASE, _DATA = load_case_file(CASE_FILE)
NAMES = ["Anna", "Bent", "Carla", "Dorte", "Erik", "Frida", "Gustav", "Søren"]
HOST_USER = "spilleder"
WAIT = 15_000  # ms: an expect or an action on a loaded 2-core machine

# Danish texts of the pages (the site's default language).
VOTED_ALL = "Har stemt: {n} af {n}"
SENT = "Din stemme er afgivet ✓"
RANK_SENT = "Din rækkefølge er afgivet ✓"
MOVE_UP = "Flyt op: {label}"
DOT = "Giv en prik til: {text}"
SAVED = "✓ Gemt"
POLITICIAN_LOCKED = "Politikerkortet blev trukket"


# The dilemma cards the round draws for each committee (the case says how many).
DILEMMAS_DRAWN = next(
    t.draw for r in CASE.rounds for t in r.tasks if r.id == "dilemmaer" and t.type == "card"
)


def _title(round_id: str) -> str:
    return next(r.title for r in CASE.rounds if r.id == round_id)


def _options(task_id: str) -> list:
    found = CASE.find_task(task_id)
    assert found is not None, task_id
    return CASE.task_options(found[1])


def _label(task_id: str, option_id: str) -> str:
    return next(o.label for o in _options(task_id) if o.id == option_id)


# --- the flow ----------------------------------------------------------------------------------


@dataclass
class Player:
    name: str
    ctx: object
    page: object
    committee: str = ""
    role: str = ""  # a role id (igangsaetter, …) or a persona id


@dataclass
class Flow:
    url: str
    server: bs.Server
    env: dict
    browser: object
    password: str
    host_ctx: object = None
    dash: object = None
    projector: object = None
    code: str = ""
    players: list[Player] = field(default_factory=list)
    votes: int = 0  # every vote this test cast through a page and the server accepted
    axe: dict[str, tuple[list[dict], int]] = field(default_factory=dict)
    broken: str | None = None
    done: list[str] = field(default_factory=list)  # the steps that passed

    # who is who
    def committee(self, cid: str) -> list[Player]:
        return [p for p in self.players if p.committee == cid]

    def holder(self, cid: str, role: str) -> Player:
        found = [p for p in self.committee(cid) if p.role == role]
        assert len(found) == 1, (cid, role, [(p.name, p.role) for p in self.committee(cid)])
        return found[0]

    def others(self, cid: str, role: str) -> list[Player]:
        return [p for p in self.committee(cid) if p.role != role]

    # the player page
    @staticmethod
    def decision(p: Player, key: str):
        return p.page.get_by_test_id(f"decision-{key}")

    @staticmethod
    def keys(p: Player, prefix: str) -> list[str]:
        """The keys of the decisions whose key starts with ``prefix:`` (drawn cards)."""
        loc = p.page.locator(f'[data-testid^="decision-{prefix}:"]')
        expect(loc.first).to_be_visible()
        return [t.removeprefix("decision-") for t in (
            loc.nth(i).get_attribute("data-testid") for i in range(loc.count())
        )]  # fmt: skip

    def vote_radio(self, p: Player, key: str, value: str) -> None:
        """Tap an option of a one-choice decision (a vote is sent at once)."""
        radio = self.decision(p, key).locator(f'input[type="radio"][value="{value}"]')
        radio.click()
        expect(radio).to_be_checked()
        expect(radio).to_be_enabled()  # the server's answer has come …
        expect(radio).to_be_checked()  # … and it was a yes
        self.votes += 1

    def radio_values(self, p: Player, key: str) -> list[str]:
        radios = self.decision(p, key).locator('input[type="radio"]')
        expect(radios.first).to_be_visible()
        return [radios.nth(i).get_attribute("value") for i in range(radios.count())]

    def vote_boxes(self, p: Player, key: str, values: list[str]) -> None:
        """Tick several options, then press the vote button."""
        d = self.decision(p, key)
        for value in values:
            box = d.locator(f'input[type="checkbox"][value="{value}"]')
            box.click()
            expect(box).to_be_checked()
        button = p.page.get_by_test_id(f"vote-{key}")
        button.click()
        expect(button).to_have_text(SENT)
        expect(button).to_be_disabled()
        self.votes += 1

    def all_voted(self, p: Player, key: str, n: int = 4) -> None:
        expect(self.decision(p, key).get_by_test_id("voted")).to_contain_text(VOTED_ALL.format(n=n))

    def lock(self, cid: str, role: str, key: str) -> None:
        """The round's lead locks the majority's choice once everybody has voted."""
        lead = self.holder(cid, role)
        self.all_voted(lead, key)
        lead.page.get_by_test_id(f"lock-{key}").click()
        for p in self.committee(cid):
            expect(p.page.get_by_test_id(f"locked-{key}")).to_be_visible()

    def committee_done(self, cid: str) -> None:
        expect(self.dash.get_by_test_id(f"committee-{cid}")).to_have_class(re.compile(r"is-done"))

    def advance(self, round_id: str) -> None:
        self.dash.get_by_test_id("round-advance").click()
        self.expect_round(round_id)

    def expect_round(self, round_id: str) -> None:
        title = _title(round_id)
        for p in self.players:
            expect(p.page.get_by_test_id("round-title")).to_have_text(title)
        expect(self.projector.get_by_test_id("round-title")).to_have_text(title)
        expect(self.dash.get_by_test_id("dash-round")).to_contain_text(title)

    def check_axe(self, name: str, page) -> None:
        self.axe[name] = bs.axe_check(page)


STEPS: list[str] = []  # the steps in the order they are defined (and run)


def step(fn):
    """An ordered step of the flow: skipped when an earlier one failed or did not run."""
    earlier = list(STEPS)
    STEPS.append(fn.__name__)

    @functools.wraps(fn)
    def run(flow: Flow) -> None:
        if flow.broken:
            pytest.skip(f"an earlier step failed: {flow.broken}")
        missing = [name for name in earlier if name not in flow.done]
        if missing:
            pytest.skip(f"needs the earlier steps (run the whole module): {missing[0]}")
        try:
            fn(flow)
        except BaseException:
            flow.broken = fn.__name__
            raise
        flow.done.append(fn.__name__)

    return run


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        # `make test` installs Chromium first, so there a missing one is a failure.
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    tmp = tmp_path_factory.mktemp("browser")
    env = bs.server_env(tmp / "browser.sqlite3")
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
    if bs.SHOTS.exists():
        shutil.rmtree(bs.SHOTS)
    bs.SHOTS.mkdir(parents=True)
    server = Server(env)
    url = server.start()
    pw = sync_api.sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT)
        yield Flow(url=url, server=server, env=env, browser=browser, password=password)
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        server.stop()
        (bs.SHOTS / "server.log").write_text(server.tail(400))


def _phone(flow: Flow):
    ctx = flow.browser.new_context(
        viewport=bs.PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="da-DK",
        accept_downloads=False,
    )
    ctx.set_default_timeout(WAIT)
    return ctx, ctx.new_page()


def _db_vote_count(flow: Flow) -> int:
    out = bs.manage(
        flow.env,
        "shell",
        "-c",
        "from game.models import Event; "
        f"print(sum(1 for ev in Event.objects.filter(session__code={flow.code!r}) "
        "for e in ev.events if e.get('kind') == 'vote'))",
    )
    return int(out.strip().splitlines()[-1])


def _csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(name).decode("utf-8-sig")  # with a BOM, for Excel
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


# --- 1. the host ---------------------------------------------------------------------------------


@step
def test_host_logs_in_and_creates_a_session(flow: Flow):
    ctx = flow.browser.new_context(viewport=bs.PROJECTOR, locale="da-DK", accept_downloads=True)
    ctx.set_default_timeout(WAIT)
    flow.host_ctx = ctx
    page = ctx.new_page()
    flow.dash = page
    page.goto(flow.url + "/host/")  # not logged in: the login page
    expect(page).to_have_url(re.compile(r"/host/login/"))
    page.get_by_test_id("login-username").fill(HOST_USER)
    page.get_by_test_id("login-password").fill(flow.password)
    bs.shoot(page, "01-host-login")
    flow.check_axe("host login", page)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(flow.url + "/host/")
    expect(page.get_by_test_id("create-case")).to_be_visible()
    page.get_by_test_id("create-size").fill("4")
    page.get_by_test_id("create-show-meters").check()
    page.get_by_test_id("create-lock-on-timeout").check()
    page.get_by_test_id("create-personas").check()
    page.get_by_test_id("create-rotate-roles").uncheck()
    bs.shoot(page, "02-host-home")
    flow.check_axe("host home", page)
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/host/[A-Z0-9]{4,8}/$"))
    code = page.get_by_test_id("join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4,8}$"))
    flow.code = code.inner_text().strip()
    assert page.url.endswith(f"/host/{flow.code}/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.get_by_test_id("qr")).to_be_visible()
    expect(page.get_by_test_id("join-url")).to_contain_text(f"?code={flow.code}")
    # the QR code image really loads (an SVG of the join address)
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=qr]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    # the projector opens from the dashboard in a new tab
    with ctx.expect_page() as popup:
        page.get_by_test_id("open-projector").click()
    flow.projector = popup.value
    flow.projector.set_viewport_size(bs.PROJECTOR)
    expect(flow.projector.get_by_test_id("join-code")).to_have_text(flow.code)
    expect(flow.projector.get_by_test_id("qr")).to_be_visible()
    # the list of sessions shows the new one
    home = ctx.new_page()
    home.goto(flow.url + "/host/")
    expect(home.get_by_test_id("session-list")).to_contain_text(flow.code)
    home.close()


# --- 2. eight phones join -------------------------------------------------------------------------


@step
def test_eight_players_join_on_their_phones(flow: Flow):
    bs.shoot(flow.dash, "03-dashboard-empty")
    for i, name in enumerate(NAMES):
        ctx, page = _phone(flow)
        page.goto(flow.url + "/")
        expect(page.get_by_test_id("join-code")).to_be_visible()
        if i == 0:
            bs.shoot(page, "04-join")
            flow.check_axe("join page", page)
            # a missing name is refused, next to the field
            page.get_by_test_id("join-code").fill(flow.code.lower())
            page.get_by_test_id("join-submit").tap()
            expect(page.get_by_test_id("name-error")).to_be_visible()
            expect(page.get_by_test_id("join-name")).to_have_attribute("aria-invalid", "true")
            bs.shoot(page, "05-join-error")
            flow.check_axe("join page with an error", page)
        page.get_by_test_id("join-code").fill(flow.code if i % 2 else flow.code.lower())
        page.get_by_test_id("join-name").fill(name)
        page.get_by_test_id("join-submit").tap()
        expect(page).to_have_url(f"{flow.url}/play/{flow.code}/")
        expect(page.get_by_test_id("lobby")).to_be_visible()
        expect(page.get_by_test_id("my-name")).to_have_text(name)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        # the host sees the name arrive, live
        expect(flow.dash.get_by_test_id("lobby-names")).to_contain_text(name)
        flow.players.append(Player(name=name, ctx=ctx, page=page))
    names = flow.dash.get_by_test_id("lobby-names").locator("li")
    expect(names).to_have_text(NAMES)
    expect(flow.projector.get_by_test_id("player-count")).to_contain_text("8")
    expect(flow.players[0].page.get_by_test_id("joined-count")).to_contain_text("8")
    bs.shoot(flow.players[0].page, "06-player-lobby")
    bs.shoot(flow.dash, "07-dashboard-lobby")
    bs.shoot(flow.projector, "08-projector-lobby")
    flow.check_axe("player page, lobby", flow.players[0].page)
    flow.check_axe("host dashboard, lobby", flow.dash)
    flow.check_axe("projector, lobby", flow.projector)


# --- 3. committees and roles --------------------------------------------------------------------


@step
def test_host_forms_committees_and_every_role_shows(flow: Flow):
    dash = flow.dash
    dash.get_by_test_id("form-size").fill("4")
    dash.get_by_test_id("form-committees").click()
    for cid in ("1", "2"):
        expect(dash.get_by_test_id(f"committee-{cid}").locator("tbody tr")).to_have_count(4)
    expect(dash.get_by_test_id("committee-3")).to_have_count(0)
    by_name = {}
    for cid in ("1", "2"):
        for who in dash.get_by_test_id(f"committee-{cid}").locator("tbody .who").all_inner_texts():
            by_name[who.strip()] = cid
    assert sorted(by_name) == sorted(NAMES)

    leaders = {r.name: r.id for r in CASE.roles}
    personas = {p.name: p.id for p in CASE.personas}
    for p in flow.players:
        p.committee = by_name[p.name]
        page = p.page
        expect(page.get_by_test_id("lobby")).to_contain_text(f"udvalg {p.committee}")
        page.get_by_test_id("tab-role").click()
        expect(page.get_by_test_id("tab-role")).to_have_attribute("aria-selected", "true")
        card = page.get_by_test_id("role-card")
        expect(card).to_be_visible()
        role_name = card.locator("h2").inner_text().strip()
        assert role_name in leaders or role_name in personas, role_name
        p.role = leaders.get(role_name) or personas[role_name]
        if p.role in personas.values():
            expect(card).to_contain_text("hemmelige interesser")  # the private interest card
        if p is flow.players[0]:
            bs.shoot(page, "09-player-role-card")
        page.get_by_test_id("tab-case").click()
        expect(page.locator("#panel-case")).to_contain_text(CASE.title)
        page.get_by_test_id("tab-tasks").click()
        expect(page.locator("#panel-tasks")).to_be_visible()
    for cid in ("1", "2"):
        roles = sorted(p.role for p in flow.committee(cid))
        assert len(roles) == 4
        assert {"igangsaetter", "facilitator", "katalysator"} <= set(roles), roles
        assert len(set(roles) & set(personas.values())) == 1, roles

    dash.get_by_test_id("start-game").click()
    flow.expect_round("lobby")
    expect(dash.get_by_test_id("session-status")).to_have_text("I gang")


# --- 4. the rounds ----------------------------------------------------------------------------------


@step
def test_round_kommissorium_with_a_reload_and_the_politician_card(flow: Flow):
    flow.advance("kommissorium")
    framings = [o.id for o in _options("fokus")]
    seats = [s.id for s in CASE.stakeholders]
    forms = [o.id for o in _options("arbejdsform")]

    # fokus: committee 1 wants framings[0], but its igangsætter votes framings[1]
    # and plays the politician card; committee 2 votes, and one member changes mind
    lead1 = flow.holder("1", "igangsaetter")
    fokus_vote = {}
    for p in flow.others("1", "igangsaetter"):
        fokus_vote[p.name] = framings[0]
    fokus_vote[lead1.name] = framings[1]
    c2 = flow.committee("2")
    for p, choice in zip(c2, [framings[2], framings[2], framings[3], framings[4]], strict=True):
        fokus_vote[p.name] = choice
    for p in flow.players:
        flow.vote_radio(p, "fokus", fokus_vote[p.name])
    flow.vote_radio(c2[3], "fokus", framings[2])  # changed her mind: both votes are logged
    fokus_vote[c2[3].name] = framings[2]

    # pladser: five seats each, no more
    picks = {
        "1": [seats[0], seats[2], seats[3], seats[6], seats[7]],
        "2": [seats[1], seats[2], seats[4], seats[8], seats[10]],
    }
    for p in flow.players:
        mine = list(picks[p.committee])
        if p.role == "katalysator":
            mine[-1] = seats[12]  # a minority view
        flow.vote_boxes(p, "pladser", mine)
        if p is flow.players[0]:
            # all five seats are taken: every other box is greyed out
            rest = flow.decision(p, "pladser").locator('input[type="checkbox"]:not(:checked)')
            expect(rest).to_have_count(len(seats) - 5)
            for i in range(rest.count()):
                expect(rest.nth(i)).to_be_disabled()

    # a member of committee 2 reloads the page: back in the seat, the votes still chosen
    reloader = flow.others("2", "igangsaetter")[0]
    reloader.page.reload()
    expect(reloader.page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(reloader.page.get_by_test_id("round-title")).to_have_text(_title("kommissorium"))
    fokus = flow.decision(reloader, "fokus")
    my_fokus = fokus_vote[reloader.name]
    expect(fokus.locator(f'input[value="{my_fokus}"]')).to_be_checked()
    expect(fokus.locator('input[type="radio"]:checked')).to_have_count(1)
    pladser = flow.decision(reloader, "pladser")
    expect(pladser.locator('input[type="checkbox"]:checked')).to_have_count(5)
    for sid in picks["2"]:
        if reloader.role != "katalysator" or sid != picks["2"][-1]:
            expect(pladser.locator(f'input[value="{sid}"]')).to_be_checked()
    expect(reloader.page.get_by_test_id("vote-pladser")).to_have_text(SENT)
    expect(flow.dash.get_by_test_id("committee-2")).not_to_contain_text("offline")

    # arbejdsform: up to two each
    for i, p in enumerate(flow.players):
        flow.vote_boxes(p, "arbejdsform", [forms[i % 3], forms[4]])

    # the igangsætter's own move: in committee 1 she sets the frame; the others only see it
    frame = _options("ramme")[0]
    other = flow.others("1", "igangsaetter")[0]
    expect(flow.decision(other, "ramme")).to_contain_text("sætter rammen")
    expect(other.page.get_by_test_id("set-frame")).to_have_count(0)
    flow.decision(lead1, "ramme").locator(f'input[value="{frame.id}"]').check()
    lead1.page.get_by_test_id("set-frame").click()
    for p in flow.committee("1"):
        expect(p.page.get_by_test_id("locked-ramme")).to_contain_text("Rammen:")
        expect(p.page.get_by_test_id("locked-ramme")).to_contain_text(frame.label)

    bs.shoot(lead1.page, "10-round1-kommissorium-lead")
    flow.check_axe("player page, round 1 (lead)", lead1.page)

    # the politician card: lock my own vote against the majority, with a warning first
    flow.all_voted(lead1, "fokus")
    lead1.page.get_by_test_id("lock-own-fokus").click()
    warning = lead1.page.get_by_test_id("politician-card-warning")
    expect(warning).to_be_visible()
    expect(lead1.page.get_by_test_id("confirm-politician-card")).to_be_focused()
    bs.shoot(lead1.page, "11-politician-card-warning", full_page=False)
    lead1.page.get_by_test_id("confirm-politician-card").click()
    for p in flow.committee("1"):
        locked = p.page.get_by_test_id("locked-fokus")
        expect(locked).to_contain_text(_label("fokus", framings[1]))
        expect(locked).to_contain_text(POLITICIAN_LOCKED)
    expect(flow.dash.get_by_test_id("committee-1")).to_contain_text("politikerkort")

    # committee 2's lead locks the majority: framings[2] (3 of 4 after the change)
    flow.lock("2", "igangsaetter", "fokus")
    for p in flow.committee("2"):
        expect(p.page.get_by_test_id("locked-fokus")).to_contain_text(_label("fokus", framings[2]))
        expect(p.page.get_by_test_id("locked-fokus")).not_to_contain_text(POLITICIAN_LOCKED)
    for cid in ("1", "2"):
        flow.lock(cid, "igangsaetter", "pladser")
        flow.lock(cid, "igangsaetter", "arbejdsform")
        flow.committee_done(cid)
    # the seats went to the majority's five
    for sid in picks["1"][:4]:
        label = CASE.stakeholder(sid).name
        expect(lead1.page.get_by_test_id("locked-pladser")).to_contain_text(label)
    expect(lead1.page.get_by_test_id("meters")).to_be_visible()  # show_meters is on


@step
def test_round_problemforstaaelse_with_the_timer_and_an_injected_card(flow: Flow):
    flow.advance("problemforstaaelse")
    dash = flow.dash

    # the timer: it started by itself with the round (autostart_timer); pause, add a minute
    timer = dash.locator("#controls").get_by_test_id("timer")
    value = timer.locator(".timer-value")
    expect(timer).to_have_attribute("data-state", "running")
    dash.get_by_test_id("timer-pause").click()
    expect(timer).to_have_attribute("data-state", "paused")
    expect(dash.get_by_test_id("timer-start")).to_be_visible()
    before = bs.seconds(value.inner_text())
    assert 0 < before <= 12 * 60
    dash.get_by_test_id("timer-add").click()
    expect(value).to_have_text(bs.clock(before + 60))
    for p in flow.players:  # every phone shows the same paused time
        expect(p.page.get_by_test_id("timer").locator(".timer-value")).to_have_text(
            bs.clock(before + 60)
        )
        expect(p.page.get_by_test_id("timer")).to_have_attribute("data-state", "paused")
    dash.get_by_test_id("timer-start").click()  # and on again
    expect(timer).to_have_attribute("data-state", "running")

    # udfordringer: rank with the ↑ buttons, then send the order
    labels = {o.id: o.label for o in _options("udfordringer")}
    ids = list(labels)
    for i, p in enumerate(flow.players):
        moved = labels[ids[2 + i % 4]]  # move one item up twice
        up = p.page.get_by_role("button", name=MOVE_UP.format(label=moved), exact=True)
        up.click()
        up.click()
        rank = p.page.get_by_test_id("rank-udfordringer").locator(".rank-label")
        expect(rank.nth(i % 4)).to_have_text(moved)
        if i == 0:
            down = p.page.get_by_role("button", name=f"Flyt ned: {labels[ids[0]]}", exact=True)
            down.click()
            expect(rank.nth(2)).to_have_text(labels[ids[0]])
        button = p.page.get_by_test_id("vote-udfordringer")
        button.click()
        expect(button).to_have_text(RANK_SENT)
        flow.votes += 1
    bs.shoot(flow.holder("1", "facilitator").page, "12-round2-problemforstaaelse-lead")

    # the pressure card each committee drew
    pres = {}
    for cid in ("1", "2"):
        members = flow.committee(cid)
        keys = flow.keys(members[0], "pres")
        assert len(keys) == 1, keys
        pres[cid] = keys[0]
        options = flow.radio_values(members[0], keys[0])
        for j, p in enumerate(members):
            flow.vote_radio(p, keys[0], options[0 if j < 3 else 1])

    # the host injects an event card into committee 1 only
    drawn = pres["1"].split(":", 1)[1]
    card = next(c.id for c in CASE.deck("events") if c.id != drawn)
    dash.get_by_test_id("inject-card").select_option(card)
    dash.get_by_test_id("inject-target").select_option("1")
    dash.get_by_test_id("inject").click()
    key = f"inject:{card}"
    title = CASE.card(card).title
    for p in flow.committee("1"):
        banner = p.page.get_by_test_id("new-card")
        expect(banner).to_contain_text(title)
        expect(flow.decision(p, key)).to_be_visible()
    for p in flow.committee("2"):
        expect(p.page.get_by_test_id(f"decision-{key}")).to_have_count(0)
        expect(p.page.get_by_test_id("new-card")).to_have_count(0)
    first = flow.committee("1")[0]
    # where the player is (down at the pressure card), and from the top of the page
    bs.shoot(first.page, "13-new-card-where-the-player-is", full_page=False, top=False)
    bs.shoot(first.page, "13-new-card-top", full_page=False)
    first.page.get_by_test_id("new-card").get_by_role("button").click()  # "Vis det"
    expect(flow.decision(first, key)).to_be_focused()
    expect(flow.decision(first, key)).to_be_in_viewport()
    expect(first.page.get_by_test_id("new-card")).to_have_count(0)
    options = flow.radio_values(first, key)
    for j, p in enumerate(flow.committee("1")):
        flow.vote_radio(p, key, options[j % 2 if j < 2 else 0])

    for cid in ("1", "2"):
        flow.lock(cid, "facilitator", "udfordringer")
        flow.lock(cid, "facilitator", pres[cid])
    flow.lock("1", "facilitator", key)
    for cid in ("1", "2"):
        flow.committee_done(cid)
    bs.shoot(dash, "14-dashboard-running")
    flow.check_axe("host dashboard, running", dash)


@step
def test_round_ideudvikling_with_a_step_back_and_the_idea_wall(flow: Flow):
    flow.advance("ideudvikling")
    # the host steps back once, and forward again: the locked round is as it was
    flow.dash.get_by_test_id("round-back").click()
    flow.expect_round("problemforstaaelse")
    for p in flow.players:  # the phones say that the host stepped back
        expect(p.page.get_by_test_id("round-back")).to_be_visible()
    for p in flow.players:
        expect(p.page.get_by_test_id("locked-udfordringer")).to_be_visible()
    flow.advance("ideudvikling")

    # the katalysator plays a tool, which brings idea cards to the pool
    # the tool whose idea cards cost the most: the budget round must feel the limit
    tool = max(CASE.catalysts, key=lambda c: sum(CASE.idea_card(i).cost for i in c.unlocks))
    for cid in ("1", "2"):
        kat = flow.holder(cid, "katalysator")
        d = flow.decision(kat, "katalysatorvaerktoej")
        d.locator(f'input[value="{tool.id}"]').click()
        kat.page.get_by_test_id("play-tool").click()
        for p in flow.committee(cid):
            expect(p.page.get_by_test_id("locked-katalysatorvaerktoej")).to_contain_text(tool.label)
        other = flow.others(cid, "katalysator")[0]
        expect(other.page.get_by_test_id("play-tool")).to_have_count(0)
    unlocked = [CASE.idea_card(i).title for i in tool.unlocks]
    for p in flow.players:
        for title in unlocked:
            expect(p.page.get_by_test_id("idea").filter(has_text=title)).to_have_count(1)

    # everyone writes an idea (one writes two)
    ideas: dict[str, list[str]] = {"1": [], "2": []}
    for i, p in enumerate(flow.players):
        texts = [f"Idé {i} fra {p.name}: lektiehjælp i hallen"]
        if i == 0:
            texts.append(f"Endnu en idé fra {p.name}: fælles skolebus til foreningerne")
        for text in texts:
            p.page.get_by_test_id("idea-text").fill(text)
            p.page.get_by_test_id("add-idea").click()
            expect(p.page.get_by_test_id("idea").filter(has_text=text)).to_have_count(1)
            expect(p.page.get_by_test_id("idea-text")).to_have_value("")
            ideas[p.committee].append(text)
    # the wall before the dots (see the report: the players' ideas sort after the cards)
    bs.shoot(
        flow.projector, "15-projector-ideas-before-dots", sizes=("projector",), full_page=False
    )
    # and gives three dots: one to the own idea, two to the tool's idea cards
    dotted: dict[str, list[str]] = {"1": [], "2": []}
    for p in flow.players:
        own = ideas[p.committee]
        for text in own:
            expect(p.page.get_by_test_id("idea").filter(has_text=text)).to_have_count(1)
        mine = next(t for t in own if f"fra {p.name}:" in t)
        dotted[p.committee].append(mine)
        for text in (mine, *unlocked):
            p.page.get_by_role("button", name=DOT.format(text=text), exact=True).click()
            flow.votes += 1
        expect(p.page.get_by_test_id("dots-left")).to_contain_text("0 af 3")
        other = next(t for t in own if t != mine)
        plus = p.page.get_by_role("button", name=DOT.format(text=other), exact=True)
        expect(plus).to_be_disabled()

    # the idea wall on the projector
    wall = flow.projector.get_by_test_id("idea-wall")
    expect(wall).to_be_visible()
    for cid in ("1", "2"):
        for text in dotted[cid] + unlocked:
            expect(wall).to_contain_text(text)
    bs.shoot(flow.projector, "15-projector-ideas", full_page=False)
    flow.check_axe("projector, idea wall", flow.projector)
    bs.shoot(flow.holder("1", "katalysator").page, "16-round3-ideudvikling-lead")
    flow.check_axe("player page, idea round", flow.players[1].page)

    for cid in ("1", "2"):
        flow.lock(cid, "katalysator", "ideer")
        flow.committee_done(cid)
    expect(wall.locator(".pj-idea.is-kept").first).to_be_visible()
    bs.shoot(flow.projector, "17-projector-ideas-kept", sizes=("projector",), full_page=False)


@step
def test_round_dilemmaer(flow: Flow):
    flow.advance("dilemmaer")
    message = "Fem minutter tilbage – husk at stemme om alle kortene."
    flow.dash.get_by_test_id("message-text").fill(message)
    flow.dash.get_by_test_id("send-message").click()
    for p in flow.players:
        expect(p.page.get_by_test_id("host-message")).to_contain_text(message)
    expect(flow.projector.get_by_test_id("host-message")).to_contain_text(message)
    for cid in ("1", "2"):
        members = flow.committee(cid)
        keys = flow.keys(members[0], "dilemmaer")
        assert len(keys) == DILEMMAS_DRAWN, keys
        for key in keys:
            options = flow.radio_values(members[0], key)
            for j, p in enumerate(members):
                flow.vote_radio(p, key, options[1 if j == 3 else 0])
        for key in keys:
            flow.lock(cid, "facilitator", key)
        flow.committee_done(cid)
    bs.shoot(flow.holder("2", "facilitator").page, "18-round4-dilemmaer-lead")


@step
def test_round_anbefaling_within_the_budget(flow: Flow):
    flow.advance("anbefaling")
    total = CASE.budget.total
    tool = max(CASE.catalysts, key=lambda c: sum(CASE.idea_card(i).cost for i in c.unlocks))
    kept_cards = [CASE.idea_card(i).title for i in tool.unlocks]
    for p in flow.players:
        d = flow.decision(p, "anbefaling")
        boxes = d.locator('input[type="checkbox"]')
        expect(boxes.first).to_be_visible()
        # the five ideas that went forward: the tool's two idea cards cost 7 together,
        # and three ideas of the players 2 each: 13, over the budget of 12
        expect(boxes).to_have_count(5)
        for title in kept_cards:
            expect(d.locator("label.option").filter(has_text=title)).to_have_count(1)
        chosen = []
        for _ in range(5):  # tick what still fits, until nothing does
            free = d.locator('input[type="checkbox"]:not(:checked):not([disabled])')
            if not free.count():
                break
            value = free.first.get_attribute("value")
            free.first.click()
            expect(d.locator(f'input[value="{value}"]')).to_be_checked()
            chosen.append(value)
        left = p.page.get_by_test_id("budget-left")
        expect(left).to_contain_text(f"af {total}")
        match = re.search(r"Brugt (\d+) af (\d+).*?(-?\d+) tilbage", left.inner_text())
        assert match, left.inner_text()
        spent, of, rest = map(int, match.groups())
        assert of == total and 0 < spent <= total and rest == total - spent
        # what is left out is greyed out, with the reason
        assert 0 < len(chosen) < 5, chosen
        for i in range(boxes.count()):
            if boxes.nth(i).get_attribute("value") not in chosen:
                expect(boxes.nth(i)).to_be_disabled()
                expect(d.locator("label.option").nth(i)).to_contain_text("over budgettet")
        button = p.page.get_by_test_id("vote-anbefaling")
        button.click()
        expect(button).to_have_text(SENT)
        flow.votes += 1
    couplings = [o.id for o in _options("kobling")]
    for cid, choice in (("1", couplings[0]), ("2", couplings[2])):
        for p in flow.committee(cid):
            flow.vote_radio(p, "kobling", choice)
    bs.shoot(flow.holder("1", "igangsaetter").page, "19-round5-anbefaling-lead")
    for cid in ("1", "2"):
        flow.lock(cid, "igangsaetter", "anbefaling")
        flow.lock(cid, "igangsaetter", "kobling")
        flow.committee_done(cid)


@step
def test_round_byraadsmoede_outcomes_and_reflections(flow: Flow):
    flow.advance("byraadsmoede")
    headlines = {o.headline for o in CASE.outcomes}
    for p in flow.players:
        outcome = p.page.get_by_test_id("outcome")
        expect(outcome).to_be_visible()
        assert outcome.locator(".headline").inner_text().strip() in headlines
        expect(p.page.get_by_test_id("meters")).to_be_visible()
        for q in CASE.reflection:
            p.page.get_by_test_id(f"reflection-{q.id}").fill(f"{p.name} om {q.id}: det lærte vi.")
            p.page.get_by_test_id(f"save-reflection-{q.id}").click()
            saved = p.page.locator(".question", has=p.page.get_by_test_id(f"reflection-{q.id}"))
            expect(saved.locator(".saved-state")).to_have_text(SAVED)
    # committee 1's frame, set in round 1, was tested when the council decided; committee 2 set none
    for p in flow.committee("1"):
        expect(p.page.get_by_test_id("frame-status")).to_have_text(
            re.compile(r"Rammen (holdt|brast), da byrådet traf sin afgørelse\.")
        )
    expect(flow.committee("2")[0].page.get_by_test_id("frame")).to_have_count(0)
    bs.shoot(flow.players[0].page, "20-round6-byraadsmoede")

    # the projector: every committee's outcome and headline
    for cid in ("1", "2"):
        box = flow.projector.get_by_test_id(f"outcome-{cid}")
        expect(box).to_be_visible()
        assert box.locator(".headline").inner_text().strip() in headlines
    bs.shoot(flow.projector, "21-projector-results", full_page=False)
    flow.check_axe("projector, results", flow.projector)
    flow.check_axe("player page, last round", flow.players[2].page)

    # the host ends the session; the phones say so
    flow.dash.get_by_test_id("end-box").locator("summary").click()
    flow.dash.get_by_test_id("end-session").click()
    expect(flow.dash.get_by_test_id("session-status")).to_have_text("Slut")
    for p in flow.players:
        expect(p.page.get_by_test_id("ended")).to_be_visible()
    bs.shoot(flow.players[0].page, "22-player-ended")
    bs.shoot(flow.dash, "23-dashboard-ended")


# --- 5. the data ---------------------------------------------------------------------------------


@step
def test_the_export_holds_every_vote(flow: Flow):
    dash = flow.dash
    with dash.expect_download() as info:
        dash.get_by_test_id("export-zip").click()
    download = info.value
    assert download.failure() is None
    data = Path(download.path()).read_bytes()
    (bs.SHOTS / download.suggested_filename).write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"votes.csv", "locks.csv", "ideas.csv", "reflections.csv", "events.json"} <= names
        votes = _csv_rows(archive, "votes.csv")
        reflections = _csv_rows(archive, "reflections.csv")
        log = json.loads(archive.read("events.json"))
        texts = {n: archive.read(n).decode("utf-8-sig") for n in names if not n.endswith(".xlsx")}
        texts["events.json"] = json.dumps(log, ensure_ascii=False)
    in_db = _db_vote_count(flow)
    assert flow.votes == in_db == len(votes), (flow.votes, in_db, len(votes))
    assert len(reflections) == len(NAMES) * len(CASE.reflection)
    # pseudonymous: no player's name anywhere, not even inside an idea ("Idé fra Anna")
    for name, text in texts.items():
        leaked = [n for n in NAMES if re.search(rf"(?<!\w){n}(?!\w)", text)]
        assert not leaked, (name, leaked)
    assert any("Idé 0 fra P01:" in row["value"] for row in votes)
    # every round with decisions has votes from both committees
    per_round = {(row["round_id"], row["committee"]) for row in votes}
    for round_id in ("kommissorium", "problemforstaaelse", "ideudvikling", "dilemmaer", "anbefaling"):  # fmt: skip
        assert {(round_id, "1"), (round_id, "2")} <= per_round, round_id
    assert log  # the event log is there too


@step
def test_debrief_compares_the_committees(flow: Flow):
    page = flow.dash
    page.get_by_test_id("debrief").click()
    expect(page).to_have_url(re.compile(r"/debrief/$"))
    headlines = page.locator(".db-headline")
    expect(headlines).to_have_count(2)
    for text in headlines.all_inner_texts():
        assert text.strip() in {o.headline for o in CASE.outcomes}
    expect(page.locator(".db-flag").first).to_be_visible()  # the politician card of committee 1
    bs.shoot(page, "24-debrief")


# --- 6. accessibility -------------------------------------------------------------------------


@step
def test_no_accessibility_violation_of_any_impact(flow: Flow):
    expected = {
        "join page", "join page with an error", "player page, lobby", "host dashboard, lobby",
        "projector, lobby", "player page, round 1 (lead)", "host dashboard, running",
        "projector, idea wall", "player page, idea round", "projector, results",
        "player page, last round", "host login", "host home",
    }  # fmt: skip
    assert expected <= set(flow.axe), expected - set(flow.axe)
    summary = {
        name: [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in found]
        for name, (found, _passes) in flow.axe.items()
    }
    (bs.SHOTS / "axe.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    for name, (_violations, passes) in flow.axe.items():
        assert passes > 10, f"axe checked next to nothing on the {name}"
    found = {name: violations for name, (violations, _passes) in flow.axe.items() if violations}
    assert not found, "\n".join(f"{name}:\n{bs.describe(v)}" for name, v in found.items())
