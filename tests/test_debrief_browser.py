"""The debrief and what a choice needs, in a real browser: what a person sees.

A server on a fresh SQLite file holds three sessions of the school case,
played through the actions layer (tests/play_support.py): one ended, with
three committees; one in the Kommissorium with the seats task open; one in the
idea round with the pool open. Screenshots go to out/debrief/ (look at them):
- the debrief's host view and projector mode at 1280×720 and 1920×1080;
- the phone's seats task, idea pool and stakeholder map at 320×568 and 390×844.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
from playwright import sync_api

from cases.schema import load_case_file
from game.consumers import seat_cookie
from game.devserver import Server
from game.visibility import rounds_counted
from tests import browser_support as bs

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "out" / "debrief"
HOST_USER = "vært"
WAIT = 15_000
SIZES = [(1280, 720), (1920, 1080)]
PHONES = [(320, 568), (390, 844)]
# The rounds as the players count them (game.visibility.round_number: the briefing is not one).
ROUNDS = rounds_counted(load_case_file(ROOT / "cases" / "skole.yaml")[0])

SETUP = """
import json, os
from django.contrib.auth import get_user_model
from cases.models import CaseVersion
from tests.play_support import play
host = get_user_model().objects.create_user(os.environ['PM_HOST'], password=os.environ['PM_PW'], is_staff=True)
case = CaseVersion.objects.filter(case__slug='skole').latest('number')
ended = play(host, case, players=12, size=4)
seats = play(host, case, players=8, stop_at=1, leave_open=True)
ideas = play(host, case, players=8, stop_at=3, leave_open=True, options={'show_meters': True})
room = play(host, case, players=40, size=4)
print(json.dumps({'ended': ended.code, 'seats': [seats.code, list(seats.tokens.values())[3]],
                  'ideas': [ideas.code, list(ideas.tokens.values())[3]], 'room': room.code,
                  'phone': list(ended.tokens.values())[1]}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    tmp = tmp_path_factory.mktemp("debrief")
    env = bs.server_env(tmp / "debrief.sqlite3")
    password = secrets.token_urlsafe(12)
    bs.compile_messages_if_stale(env)
    bs.manage(env, "migrate", "--noinput", "-v", "0")
    bs.manage(env, "load_case", str(ROOT / "cases" / "skole.yaml"))
    out = bs.manage(
        env | {"PM_HOST": HOST_USER, "PM_PW": password}, "shell", "-c", SETUP, timeout=300
    )
    codes = json.loads(out.strip().splitlines()[-1])
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = Server(env)
    url = server.start()
    pw = sync_api.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
    try:
        yield {"url": url, "browser": browser, "password": password, "codes": codes}
    finally:
        browser.close()
        pw.stop()
        server.stop()


def _host_page(site, width: int, height: int):
    ctx = site["browser"].new_context(viewport={"width": width, "height": height}, locale="da-DK")
    ctx.set_default_timeout(WAIT)
    page = ctx.new_page()
    page.goto(site["url"] + "/host/login/")
    page.get_by_test_id("login-username").fill(HOST_USER)
    page.get_by_test_id("login-password").fill(site["password"])
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/host/**")
    return ctx, page


def _serious(page) -> list[dict]:
    """axe-core's violations on the page as it is now, of any impact."""
    violations, passes = bs.axe_check(page)
    assert passes > 10, "axe checked next to nothing"
    return violations


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_debrief_host_view_and_projector_mode(site):
    code = site["codes"]["ended"]
    for width, height in SIZES:
        ctx, page = _host_page(site, width, height)
        page.goto(f"{site['url']}/host/{code}/debrief/")
        script = page.get_by_test_id("db-script")
        sync_api.expect(script).to_contain_text("Udvalg 2")  # facts of this session
        sync_api.expect(page.get_by_test_id("db-committee")).to_have_count(3)
        sync_api.expect(page.get_by_test_id("db-why").first).to_be_visible()
        assert _overflow(page) <= 0, "the host view scrolls sideways"
        if width == 1280:
            found = _serious(page)
            assert not found, bs.describe(found)
        page.screenshot(path=str(SHOTS / f"debrief-host-{width}x{height}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"debrief-host-top-{width}x{height}.png"))
        page.get_by_test_id("db-committee").first.screenshot(
            path=str(SHOTS / f"debrief-committee-{width}x{height}.png")
        )
        page.get_by_test_id("db-script").screenshot(
            path=str(SHOTS / f"debrief-script-{width}x{height}.png")
        )
        # The projector mode: one slide at a time, by button and by keyboard.
        page.get_by_test_id("db-project").click()
        slides = page.locator("[data-slide]")
        n = slides.count()
        assert n >= 2 + 6 + 1  # the outcomes, the paths (one or more), six goals, the personas
        sync_api.expect(page.get_by_test_id("db-host")).to_be_hidden()
        visible = [i for i in range(n) if slides.nth(i).is_visible()]
        assert visible == [0]
        page.screenshot(path=str(SHOTS / f"debrief-slide-1-{width}x{height}.png"))
        if width == 1280:
            found = _serious(page)
            assert not found, bs.describe(found)
        page.keyboard.press("ArrowRight")
        sync_api.expect(slides.nth(1)).to_be_visible()
        sync_api.expect(slides.nth(0)).to_be_hidden()
        page.screenshot(path=str(SHOTS / f"debrief-slide-2-{width}x{height}.png"))
        for i in range(2, n):
            page.get_by_test_id("db-next").click()
            slide = slides.nth(i)
            sync_api.expect(slide).to_be_visible()
            page.screenshot(path=str(SHOTS / f"debrief-slide-{i + 1}-{width}x{height}.png"))
            _fits(page, slide, f"slide {i + 1} at {width}x{height}", 3)
        sync_api.expect(page.get_by_test_id("db-next")).to_be_disabled()
        page.keyboard.press("Home")
        sync_api.expect(slides.nth(0)).to_be_visible()
        page.keyboard.press("Escape")
        sync_api.expect(page.get_by_test_id("db-host")).to_be_visible()
        # Printed: the host view, never the slides.
        page.emulate_media(media="print")
        sync_api.expect(page.get_by_test_id("db-slides")).to_be_hidden()
        sync_api.expect(page.get_by_test_id("db-host")).to_be_visible()
        if width == 1280:
            page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
            page.get_by_test_id("db-committee").first.screenshot(
                path=str(SHOTS / "debrief-print-committee.png")
            )
            page.pdf(path=str(SHOTS / "debrief.pdf"))
        ctx.close()


def _fits(page, slide, where: str, most_answers: int) -> None:
    """A slide fits the screen, shows at most one answer per committee, and reads from afar."""
    assert _overflow(page) <= 0, f"{where} scrolls sideways"
    # Nothing to scroll, in the slide or the page, and nothing under the buttons.
    spare = slide.evaluate(
        """s => Math.min(s.clientHeight - s.scrollHeight,
             document.querySelector('.db-s-nav').getBoundingClientRect().top
             - Math.max(...[...s.children].map(e => e.getBoundingClientRect().bottom)),
             innerHeight - document.documentElement.scrollHeight)"""
    )
    assert spare >= 0, f"{where} is {-spare} px too tall"
    answers = slide.locator(".db-s-answers li")
    assert answers.count() <= most_answers, f"{where}: {answers.count()} answers"
    # Read from the back of the room: no text smaller than 16 px.
    smallest = slide.evaluate(
        """s => Math.min(...[...s.querySelectorAll('p, li, td, th, h2, h3, span')]
             .filter(e => e.offsetParent && e.textContent.trim())
             .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest >= 16, f"{where}: text at {smallest} px"


def _walk_slides(page, name: str, width: int, height: int, most_answers: int) -> int:
    """Every projector slide in turn: it fits the screen, and shows one answer per committee."""
    page.get_by_test_id("db-project").click()
    slides = page.locator("[data-slide]")
    n = slides.count()
    for i in range(n):
        if i:
            page.get_by_test_id("db-next").click()
        slide = slides.nth(i)
        sync_api.expect(slide).to_be_visible()
        page.screenshot(path=str(SHOTS / f"{name}-slide-{i + 1}-{width}x{height}.png"))
        _fits(page, slide, f"slide {i + 1} at {width}x{height}", most_answers)
    return n


def test_projector_mode_for_a_room_of_forty(site):
    """Ten committees of four: each goal on two slides, one answer per committee, all on screen."""
    code = site["codes"]["room"]
    ctx, page = _host_page(site, 1280, 720)
    page.goto(f"{site['url']}/host/{code}/debrief/")
    sync_api.expect(page.get_by_test_id("db-committee")).to_have_count(10)
    sync_api.expect(page.get_by_test_id("db-lead").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "room-host-1280x720.png"))
    # A wide table scrolls in its own box; nothing of it (a screen reader's text) widens the page.
    assert _overflow(page) <= 0, "the host view scrolls sideways"
    page.get_by_test_id("db-script").screenshot(path=str(SHOTS / "room-script-1280x720.png"))
    n = _walk_slides(page, "room", 1280, 720, most_answers=10)
    goals = [page.locator("[data-slide]").nth(i).get_attribute("data-slide") for i in range(n)]
    assert [g for g in goals if g.startswith("LG")] == [
        x for i in range(1, 7) for x in (f"LG{i}", f"LG{i}-2")
    ]
    # The paths take a minute: three slides at most, the last saying what the host's page adds.
    assert 1 <= goals.count("paths") <= 3
    last = page.locator('[data-slide="paths"]').last.get_by_test_id("db-paths-more")
    assert last.count() == 1 and "på spillederens side" in (last.text_content() or "")
    ctx.close()


def test_the_phone_at_the_end_of_the_game(site):
    code, (_pid, token) = site["codes"]["ended"], site["codes"]["phone"]
    ctx, page = _phone(site, code, token, 390, 844)
    sync_api.expect(page.get_by_test_id("round-header")).to_be_visible()
    assert _overflow(page) <= 0
    page.screenshot(path=str(SHOTS / "phone-end-390x844.png"))
    page.screenshot(path=str(SHOTS / "phone-end-full-390x844.png"), full_page=True)
    found = _serious(page)
    assert not found, bs.describe(found)
    ctx.close()


def _phone(site, code: str, token: str, width: int, height: int):
    ctx = site["browser"].new_context(
        viewport={"width": width, "height": height}, is_mobile=True, has_touch=True, locale="da-DK"
    )
    ctx.set_default_timeout(WAIT)
    ctx.add_cookies([{"name": seat_cookie(code), "value": token, "url": site["url"]}])
    page = ctx.new_page()
    page.goto(f"{site['url']}/play/{code}/")
    return ctx, page


def test_phone_seats_task_shows_interests_and_stance_words(site):
    code, (pid, token) = site["codes"]["seats"]
    for width, height in PHONES:
        ctx, page = _phone(site, code, token, width, height)
        sync_api.expect(page.get_by_test_id("round-header")).to_contain_text("Runde 1 af ")
        seats = page.get_by_test_id("decision-pladser")
        sync_api.expect(seats).to_be_visible()
        stance = seats.get_by_test_id("stance")
        assert stance.count() == 14
        # The host hides the meters: a word, no number.
        assert all(t.strip() in ("for", "imod", "usikker") for t in stance.all_inner_texts())
        sync_api.expect(seats).to_contain_text("Sønnen har ADHD")  # a stakeholder's interests
        assert _overflow(page) <= 0
        seats.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"phone-seats-{width}x{height}.png"))
        page.screenshot(path=str(SHOTS / f"phone-seats-full-{width}x{height}.png"), full_page=True)
        if width == 320:
            found = _serious(page)
            assert not found, bs.describe(found)
        ctx.close()


def test_host_and_projector_count_the_rounds_as_the_phone_does(site):
    code, _seat = site["codes"]["seats"]
    ctx, page = _host_page(site, 1280, 720)
    page.goto(f"{site['url']}/host/{code}/")
    sync_api.expect(page.get_by_test_id("dash-round")).to_contain_text(
        f"Runde 1 af {ROUNDS}: Kommissorium"
    )
    moves = page.get_by_test_id("stakeholder-moves").first
    moves.locator("summary").click()
    sync_api.expect(moves).to_contain_text("→")
    moves.screenshot(path=str(SHOTS / "host-stakeholder-moves-1280x720.png"))
    page.goto(f"{site['url']}/host/{code}/projector/")
    sync_api.expect(page.locator(".pj-kicker").first).to_contain_text(f"Runde 1 af {ROUNDS}")
    page.goto(f"{site['url']}/host/{site['codes']['ended']}/debrief/")
    sync_api.expect(page.get_by_test_id("db-script")).to_contain_text("1 · Kommissorium")
    ctx.close()


def test_phone_idea_pool_and_stakeholder_map(site):
    code, (pid, token) = site["codes"]["ideas"]
    for width, height in PHONES:
        ctx, page = _phone(site, code, token, width, height)
        sync_api.expect(page.get_by_test_id("round-header")).to_contain_text("Runde 3 af ")
        facts = page.get_by_test_id("idea-facts")
        sync_api.expect(facts.first).to_be_visible()
        texts = facts.all_inner_texts()
        assert any("koster" in t for t in texts) and any("bragt ind af" in t for t in texts), texts
        page.get_by_test_id("idea").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"phone-ideas-{width}x{height}.png"))
        themap = page.get_by_test_id("stakeholder-map")
        themap.locator("summary").click()
        sync_api.expect(themap).to_contain_text("holdning")
        # The meters show in this session: numbers, round by round (start, 1, 2, now).
        sync_api.expect(themap).to_contain_text("→")
        assert _overflow(page) <= 0
        themap.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"phone-map-{width}x{height}.png"))
        if width == 320:
            found = _serious(page)
            assert not found, bs.describe(found)
        ctx.close()
