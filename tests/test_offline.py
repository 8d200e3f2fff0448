"""A phone that loses the network, in Chromium: nothing lost, nothing twice, nothing to redo.

Bo's phone plays the mini case on a real Daphne (tests/browser_support.py). In
the first round Dan has voted, and Bo's tally shows Dan's name under the
option he chose (votes are open in the committee). In the idea round Bo's
phone goes offline (Playwright's ``set_offline``): the badge says so within
5 s; Bo writes an idea and sends it; the page says at once that it will be
sent when he is back online. Back online, the idea is there exactly once (on
the page and in the database) and the text field is empty.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from game.devserver import Server

from . import browser_support as bs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

WAIT = 15_000
MINI = bs.ROOT / "tests" / "cases" / "mini.yaml"
QUEUED_DA = "offline – sendes, når du er online igen"
IDEA = "Lektiecafé på biblioteket hver tirsdag"
SHOTS = bs.ROOT / "out" / "ws"

SETUP = """
import json
from django.contrib.auth import get_user_model
from cases.loader import load_case
from game import actions
case = load_case({mini!r})[0]
host = get_user_model().objects.create_user("vært", password="x", is_staff=True)
session = actions.create_session(host=host, case_version=case, options={{"size": 4}})
tokens = {{}}
for name in ["Bo", "Dan", "Finn", "Hal"]:
    player, token, _done = actions.join(session, name)
    tokens[name] = (player.pid, token)
for action in ({{"kind": "form"}}, {{"kind": "start"}}, {{"kind": "advance"}}):
    actions.perform(session.pk, action, actor="host")
dan = tokens["Dan"][0]
actions.perform(
    session.pk, {{"kind": "vote", "player": dan, "key": "fokus", "value": ["f2"]}},
    actor="player:" + dan,
)
print(json.dumps({{"code": session.code, "tokens": tokens}}))
"""

STATE = """
import json
from game.models import Session
s = Session.objects.get(code={code!r})
print(json.dumps([i["text"] for c in s.state["committees"].values() for i in c["ideas"]]))
"""


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    if not Path(bs.CHROMIUM).exists():
        missing = pytest.fail if os.environ.get("CI") else pytest.skip
        missing(f"{bs.CHROMIUM} is missing: `make services` installs it")
    tmp = tmp_path_factory.mktemp("offline")
    env = bs.server_env(tmp / "offline.sqlite3") | {"GAME_TIMER_LOOP": "0"}
    bs.compile_messages_if_stale(env)
    bs.manage(env, "migrate", "--noinput", "-v", "0")
    out = bs.manage(env, "shell", "-c", SETUP.format(mini=str(MINI)))
    data = json.loads(out.strip().splitlines()[-1])
    server = Server(env)
    url = server.start()
    pw = sync_api.sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT)
        yield {"url": url, "env": env, "browser": browser, "server": server, **data}
    finally:
        if browser is not None:
            browser.close()
        pw.stop()
        server.stop()


def ideas_in_db(room) -> list[str]:
    out = bs.manage(room["env"], "shell", "-c", STATE.format(code=room["code"]))
    return json.loads(out.strip().splitlines()[-1])


def test_a_phone_offline_queues_its_idea_and_it_arrives_once(room):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = room["browser"].new_context(
        viewport={"width": 320, "height": 568}, is_mobile=True, has_touch=True, locale="da-DK"
    )
    ctx.set_default_timeout(WAIT)
    host = room["url"].split("//", 1)[1].split(":")[0]
    ctx.add_cookies(
        [
            {
                "name": f"seat_{room['code']}",
                "value": room["tokens"]["Bo"][1],
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = ctx.new_page()
    badge = page.get_by_test_id("connection")
    page.goto(f"{room['url']}/play/{room['code']}/")
    expect(badge).to_have_attribute("data-state", "online")

    # Round 1: the votes are open in the committee: Dan's name is under his option.
    fokus = page.get_by_test_id("decision-fokus")
    expect(fokus.get_by_test_id("tally-names")).to_have_text("Dan")
    page.screenshot(path=str(SHOTS / "open-votes-320x568.png"), full_page=True)

    # The idea round (the host advanced meanwhile; a reload shows it).
    bs.manage(
        room["env"],
        "shell",
        "-c",
        "from game import actions; from game.models import Session; "
        f"s = Session.objects.get(code={room['code']!r}); "
        "actions.perform(s.pk, {'kind': 'advance'}, actor='host')",
    )
    page.reload()
    expect(badge).to_have_attribute("data-state", "online")
    field = page.get_by_test_id("idea-text")
    expect(field).to_be_visible()

    ctx.set_offline(True)
    went = time.monotonic()
    expect(badge).to_have_attribute("data-state", "offline", timeout=5_000)
    shown_after = time.monotonic() - went
    field.fill(IDEA)
    page.get_by_test_id("add-idea").click()
    # At once, on the action itself: it waits for the network.
    expect(page.get_by_test_id("queued")).to_have_text(QUEUED_DA, timeout=1_000)
    page.screenshot(path=str(SHOTS / "offline-queued-320x568.png"), full_page=True)
    time.sleep(3)  # a few pings' worth offline: nothing may give up meanwhile
    expect(page.get_by_test_id("queued")).to_be_visible()
    assert ideas_in_db(room) == []

    ctx.set_offline(False)
    expect(badge).to_have_attribute("data-state", "online")
    expect(page.get_by_test_id("idea")).to_have_count(1)
    expect(page.get_by_test_id("idea").first).to_contain_text(IDEA)
    expect(page.get_by_test_id("queued")).to_have_count(0)
    expect(page.get_by_test_id("toast").filter(has_text=QUEUED_DA)).to_be_hidden()
    expect(page.get_by_test_id("idea-text")).to_have_value("")  # the draft is cleared
    page.screenshot(path=str(SHOTS / "back-online-320x568.png"), full_page=True)
    time.sleep(2.5)  # another ping or two: no resend may follow
    assert ideas_in_db(room) == [IDEA]
    assert page.get_by_test_id("toast").filter(has_text="prøv igen").count() == 0
    print(f"offline shown {shown_after:.1f} s after the network went")
    ctx.close()


def test_a_server_that_stops_answering_shows_as_offline_within_seconds(room):
    """No close and no browser event: only the missing pongs tell (a Wi-Fi that drops
    packets, a server that hangs). The server process is paused, then resumed."""
    ctx = room["browser"].new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
    ctx.set_default_timeout(WAIT)
    host = room["url"].split("//", 1)[1].split(":")[0]
    ctx.add_cookies(
        [
            {
                "name": f"seat_{room['code']}",
                "value": room["tokens"]["Dan"][1],
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = ctx.new_page()
    badge = page.get_by_test_id("connection")
    page.goto(f"{room['url']}/play/{room['code']}/")
    expect(badge).to_have_attribute("data-state", "online")
    pid = room["server"].proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        went = time.monotonic()
        expect(badge).not_to_have_attribute("data-state", "online", timeout=8_000)
        shown_after = time.monotonic() - went
    finally:
        os.kill(pid, signal.SIGCONT)
    expect(badge).to_have_attribute("data-state", "online", timeout=30_000)
    print(f"no answer shown {shown_after:.1f} s after the server stopped answering")
    assert shown_after < 6
    ctx.close()
