"""The projector with one committee and with four, beside the eight of test_browser_room.py.

The lobby, a round, the idea wall and the outcomes, each a session of its own, must fit
one 1280×720 screen as a person at the back of the room sees it: no scrollbar, nothing
outside the viewport, no text below 20 px. (A module of its own: one Playwright per
process at a time, and test_browser_room.py's is open for its whole module.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import browser_support as bs
from .test_browser_room import SCREENS, SHOTS, SIZES, WAIT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

# One committee (five players) and four (twenty), each at the four screens.
FEW = (
    "import io, json, contextlib; from tests.room_scenarios import build; "
    "out = io.StringIO(); quiet = contextlib.redirect_stdout(out); quiet.__enter__(); "
    "[build(('lobby', 'kommissorium', 'ideudvikling', 'byraadsmoede'), names=n, history=False) "
    "for n in (5, 20)]; quiet.__exit__(None, None, None); "
    "one, four = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()][-2:]; "
    "print(json.dumps({'1': one, '4': four}))"
)


@pytest.fixture(scope="module")
def few(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    with bs.room_server(tmp_path_factory.mktemp("few"), FEW) as (url, browser, state, data):
        expect.set_options(timeout=WAIT)
        ctx = browser.new_context(
            viewport=SIZES["1280x720"], device_scale_factor=1, locale="da-DK", storage_state=state
        )
        ctx.set_default_timeout(WAIT)
        yield url, ctx.new_page(), data


@pytest.mark.parametrize("committees", ["1", "4"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_projector_fits_one_screen_with_few_committees_too(few, committees, screen):
    url, page, data = few
    info = data[committees][SCREENS[screen]]
    page.goto(f"{url}/host/{info['code']}/projector/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    if screen != "lobby":
        expect(
            page.locator(
                '[data-testid^="committee-"], [data-testid^="wall-"], [data-testid^="outcome-"]'
            )
        ).to_have_count(int(committees))
    page.wait_for_timeout(300)  # the fit runs after the render
    page.screenshot(path=str(SHOTS / f"test-projector-{screen}-{committees}c-1280x720.png"))
    fits = page.evaluate(bs.FITS_JS)
    width, height, w, h = fits["scroll"]
    assert width <= w and height <= h, f"a scrollbar: {fits['scroll']}"
    assert fits["outside"] == [], f"outside the screen: {fits['outside'][:8]}"
    assert fits["small"] == [], f"text below 20 px: {fits['small'][:8]}"
