"""The take-home summary in a real browser: on a phone, and printed to A4 by Chromium.

The game is played through the actions layer (tests/test_summary.py's
``ended``); the page is served by the live test server and opened in headless
Chromium with Bo's seat cookie, screenshotted at 320×568 and 390×844, and
printed to A4 as the phone's "print / save as PDF" does. The print must hold
every part of the summary on at most two pages. The host's handout is one PDF
from Chromium with every player's summary, each starting on a page of its own.
Screenshots and PDFs land in out/take/ (git-ignored) to be looked at.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from playwright import sync_api
from pypdf import PdfReader

from game import actions
from game.consumers import seat_cookie
from game.models import Player
from tests import browser_support as bs
from tests.conftest import NAMES
from tests.test_summary import _compiled_translations, answer_of, ended  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OUT = bs.ROOT / "out" / "take"
SECTIONS_DA = [
    "Din opsummering",
    "Dine roller",
    "Byrådets beslutning",
    "Hvorfor: målerne holdt op mod grænserne",
    "Jeres udvalgs valg og deres følger",
    "Politikerkortet",
    "Dine svar på refleksionsspørgsmålene",
    "Videre frem over isen: fem skridt for jeres byråd",
    "Vores byråds næste skridt",
]


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, white space folded (a line break in print is a space)."""
    # NFKC: the PDF's ligatures (ﬁ, ﬂ) back to letters.
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(data)).pages
    ]


def to_png(pdf: Path) -> None:
    """The print as pictures, to look at (pdftoppm from poppler-utils, where installed)."""
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pdf), str(pdf.with_suffix(""))],
            check=False,
            timeout=60,
        )


def need_chromium() -> None:
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")


def _shoot_and_print(browser, url: str, code: str, token: str) -> bytes:
    """Bo's phone: the summary at 390×844 and 320×568, then printed to A4."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="da-DK"
    )
    try:
        context.add_cookies([{"name": seat_cookie(code), "value": token, "url": url}])
        page = context.new_page()
        page.goto(f"{url}/play/{code}/summary/")
        assert page.get_by_test_id("summary-name").inner_text() == "Bo"
        assert page.get_by_test_id("summary-print").is_visible()  # summary.js showed it
        page.screenshot(path=str(OUT / "summary-390x844.png"), full_page=True)
        page.screenshot(path=str(OUT / "summary-390x844-top.png"))
        violations, passed = bs.axe_check(page)
        assert passed > 10 and not violations, bs.describe(violations)
        page.set_viewport_size({"width": 320, "height": 568})
        # Nothing wider than the smallest phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.screenshot(path=str(OUT / "summary-320x568.png"), full_page=True)
        page.screenshot(path=str(OUT / "summary-320x568-top.png"))
        for part in ("outcome", "decisions", "steps"):  # a screenful each, to look at
            page.get_by_test_id(f"summary-{part}").scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / f"summary-320x568-{part}.png"))
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{url}/")
        page.get_by_test_id("privacy").locator("summary").click()
        page.get_by_test_id("privacy").scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / "join-privacy-390x844.png"))
    finally:
        context.close()
    return pdf


def _shoot_host_pages(browser, url: str, code: str, cookie: str) -> None:
    """The host's side at 1280×720: the dashboard's take-home box, the handout, the deletion."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="da-DK")
    try:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}])
        page = context.new_page()
        page.goto(f"{url}/host/{code}/")
        box = page.get_by_test_id("takehome-box")
        box.scroll_into_view_if_needed()
        box.screenshot(path=str(OUT / "dashboard-takehome-1280x720.png"))
        page.goto(f"{url}/host/{code}/handout/")
        page.screenshot(path=str(OUT / "handout-1280x720.png"))
        page.goto(f"{url}/host/{code}/delete-data/")
        page.screenshot(path=str(OUT / "delete-data-1280x720.png"))
        assert page.get_by_test_id("delete-confirm").is_visible()
    finally:
        context.close()


def test_the_summary_on_a_phone_and_printed_to_a4(ended, live_server):  # noqa: F811
    need_chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    case = ended.case
    pid, token = ended.tokens["Bo"]
    steps = {
        "vision": "Visionsseminar for hele byrådet i marts",
        "coupling": "Fagudvalget med fra første møde",
    }
    actions.save_next_steps(Player.objects.get(session=ended, number=pid), steps)
    c = ended.state["committees"][ended.state["players"][pid]["committee"]]
    outcome = next(o for o in case.outcomes if o.id == c["outcome"])
    host = DjangoClient()
    host.force_login(ended.host)
    host_cookie = host.cookies[settings.SESSION_COOKIE_NAME].value
    # Playwright's sync API runs an event loop in this thread: no database calls below.
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
        pdf = _shoot_and_print(browser, live_server.url, ended.code, token)
        _shoot_host_pages(browser, live_server.url, ended.code, host_cookie)
        browser.close()
    (OUT / "summary-a4.pdf").write_bytes(pdf)
    to_png(OUT / "summary-a4.pdf")
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 2, f"{len(pages)} pages"
    text = " ".join(pages)
    for section in SECTIONS_DA:
        assert section in text, section
    assert text.startswith(f"Din opsummering · {case.title} Bo Udvalg")
    for q in case.reflection:
        assert answer_of("Bo", q.id) in text, q.id
    for note in steps.values():
        assert note in text
    assert outcome.headline in text
    # What only works on a screen stays off the paper.
    for screen_only in ("Gem næste skridt", "Udskriv / gem som PDF", "Tilbage til spillet"):
        assert screen_only not in text


@pytest.mark.django_db
def test_the_hosts_handout_is_one_pdf_with_a_page_per_player(ended, client):  # noqa: F811
    need_chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    client.force_login(ended.host)
    response = client.get(f"/host/{ended.code}/handout.pdf")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert f"policymaker-{ended.code}.pdf" in response["Content-Disposition"]
    (OUT / "handout.pdf").write_bytes(response.content)
    # Printed by Chromium (its PDF library, Skia), not put together by hand.
    meta = PdfReader(io.BytesIO(response.content)).metadata
    assert meta is not None and str(meta.producer).startswith("Skia/PDF"), meta
    assert "HeadlessChrome" in str(meta.creator)
    pages = pdf_pages(response.content)
    # Each player's summary starts on a page of its own, with their name at the top,
    # and takes one or two pages: the school case's 17 decisions (8 of them with the
    # politician card here) and seven answers fit, and no page holds only a stray line.
    title = ended.case.title
    sheets: dict[str, list[str]] = {}
    for page in pages:
        if page.startswith("Din opsummering"):
            name = next(
                n for n in NAMES if page.startswith(f"Din opsummering · {title} {n} Udvalg")
            )
            assert name not in sheets, name
            sheets[name] = []
        sheets[name].append(page)
    assert sorted(sheets) == sorted(NAMES)
    for name, own in sheets.items():
        assert 1 <= len(own) <= 2, (name, len(own))
        text = " ".join(own)
        # The last step; print may break the line at "4-|udvalg".
        assert "Diskutér koblingen mellem byråd og § 17, stk. 4-" in text, name
        assert f"POLICY-MAKER {ended.code}" in own[0], name  # the source, in the header


# --- the longest summary a player can have ------------------------------------------------------

# Realistic Danish, repeated to the most each field takes.
PROSE = (
    "Vi fik først øje på problemet, da forældrene fra landsbyerne kom med deres egne tal, "
    "og det ændrede vores anbefaling; næste gang vil jeg invitere dem fra første møde. "
)


def _long(n: int, start: str = "") -> str:
    text = start + PROSE * (n // len(PROSE) + 1)
    return text[: n - 1].rstrip() + "."


@pytest.fixture(scope="module")
def worst(django_db_setup, django_db_blocker):
    """The school case in one committee of eight, every text at its longest, roles rotating.

    Every answer is MAX_REFLECTION_LENGTH characters, every idea MAX_IDEA_LENGTH,
    the names MAX_NAME_LENGTH, and the player whose summary is printed has all
    five next steps at MAX_NEXT_STEP; the bots play the politician card often.
    """
    from django.contrib.auth import get_user_model

    from cases.loader import load_case
    from game import rules, summary
    from game.models import Session
    from tests.conftest import ROOT
    from tests.support import play_whole_game

    with django_db_blocker.unblock():
        host = get_user_model().objects.create_user("alice-worst", is_staff=True)
        version = load_case(ROOT / "cases" / "skole.yaml")[0]
        session = actions.create_session(
            host=host, case_version=version, options={"size": 8, "rotate_roles": True}
        )
        tokens = []
        for i in range(8):
            name = f"Marie-Louise Bækgaard-Østergaard Nr. {i + 1}"[: rules.MAX_NAME_LENGTH]
            player, token, _done = actions.join(session, name)
            tokens.append((player, token))

        def text(pid: str, move: dict) -> str:
            if move["type"] == "reflect":
                return _long(rules.MAX_REFLECTION_LENGTH, f"Om {move['question']}: ")
            return _long(rules.MAX_IDEA_LENGTH, f"Idé fra {pid}: ")

        play_whole_game(session, seed=11, text=text, politician_rate=0.9)
        player, token = tokens[0]
        actions.save_next_steps(
            player, {s: _long(summary.MAX_NEXT_STEP, f"{s}: ") for s in summary.STEP_IDS}
        )
        session.refresh_from_db()
    session.worst = (player.pid, token)
    yield session
    with django_db_blocker.unblock():
        Session.objects.filter(pk=session.pk).delete()
        get_user_model().objects.filter(pk=host.pk).delete()


def test_the_longest_summary_prints_on_two_a4_pages_at_10_pt(worst, live_server):
    need_chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    pid, token = worst.worst
    c = worst.state["committees"][worst.state["players"][pid]["committee"]]
    assert len(c["members"]) == 8 and worst.state["status"] == "ended"
    assert len(c["reflections"][pid]) == len(worst.case.reflection)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
        context.add_cookies(
            [{"name": seat_cookie(worst.code), "value": token, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/play/{worst.code}/summary/")
        page.emulate_media(media="print")
        # Readable on paper: no printed text under 10 pt (13.33 CSS px).
        smallest, where = page.evaluate(
            """() => [...document.querySelectorAll('.takehome *')]
                 .filter(e => e.offsetParent && [...e.childNodes].some(
                     n => n.nodeType === 3 && n.textContent.trim()))
                 .map(e => [parseFloat(getComputedStyle(e).fontSize), e.className || e.tagName])
                 .reduce((a, b) => (b[0] < a[0] ? b : a), [99, ""])"""
        )
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        browser.close()
    (OUT / "summary-worst-a4.pdf").write_bytes(pdf)
    to_png(OUT / "summary-worst-a4.pdf")
    pages = pdf_pages(pdf)
    assert smallest >= 10 * 96 / 72 - 0.01, f"text at {smallest * 72 / 96:.1f} pt ({where})"
    assert 1 <= len(pages) <= 2, f"{len(pages)} pages"
    text = " ".join(pages)
    for section in SECTIONS_DA:
        assert section in text, section
    # Every answer and next step is there, by its start, shortened; and the paper says so.
    assert "Lange svar og noter er forkortet på papiret" in text
    for q in worst.case.reflection:
        assert f"Om {q.id}:" in text, q.id
    for s in ("vision", "problems", "roles", "party", "coupling"):
        assert f"{s}:" in text, s
