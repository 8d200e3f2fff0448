"""The server is killed (SIGKILL) in the middle of a round and started again on the same port.

alice's session of the mini case (eight players in two committees of four) is in
round r2: ideas, dots, a dilemma card and the katalysator's tool. Three real browser
pages (Chromium) are open — alice's dashboard and the phones of two players — and
the six other players are bot clients that keep voting, writing ideas and (the
katalysator) locking while the server dies under them. Then:

- every client, page or bot, reconnects by itself (backoff with jitter) within 30 s
  of the server answering again, and sees the same state as a fresh snapshot;
- every vote, idea and lock the server acknowledged before the kill is in the saved
  event log and the saved state (a vote may have been replaced by a later one);
- the game goes on: a vote after the restart is accepted and reaches everyone.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from game.bots import choose_value
from game.devserver import Server

from . import browser_support as bs
from .faults_support import Ledger, Player, read_session, replay, same_as_fresh, setup_session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

async_api = pytest.importorskip("playwright.async_api")

NAMES = ["Bo", "Cai", "Dan", "Eva", "Finn", "Gry", "Hal", "Ida"]
RECONNECT_WITHIN = 30.0  # seconds after the server answers again
PLAY_BEFORE_KILL = 4.0  # seconds of play before the kill


class Page:
    """A browser page and every frame its websockets received, in order."""

    def __init__(self, page, name: str) -> None:
        self.page, self.name = page, name
        self.frames: list[str] = []
        self.sockets = 0
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        self.sockets += 1
        ws.on("framereceived", lambda payload: self.frames.append(payload))

    def current(self) -> tuple[int, dict | None]:
        return replay(self.frames)

    async def online(self, timeout: float) -> None:
        await self.page.wait_for_function(
            "() => document.querySelector('#conn')?.getAttribute('data-state') === 'online'",
            timeout=timeout * 1000,
        )


async def test_a_killed_server_loses_nothing_and_everyone_comes_back(tmp_path: Path) -> None:
    if not Path(bs.CHROMIUM).exists():
        pytest.fail(f"{bs.CHROMIUM} is missing: `make services` installs it")
    env = bs.server_env(tmp_path / "restart.sqlite3")
    env["GAME_TIMER_LOOP"] = "0"
    bs.compile_messages_if_stale(env)
    bs.manage(env, "migrate", "--noinput", "-v", "0")
    bs.manage(env, "load_case", str(bs.ROOT / "tests" / "cases" / "mini.yaml"))
    setup = setup_session(env, NAMES, size=4, rounds=2)  # round r2
    code, cookie_name, seats = setup["code"], setup["cookie"], setup["seats"]
    state = setup["state"]
    role = {
        pid: state["committees"][p["committee"]]["roles"][pid]
        for pid, p in state["players"].items()
    }
    by_name = {name: pid for name, (pid, _token) in seats.items()}
    # the phones in the browser: Bo and Cai (not the katalysator, who locks here)
    browser_names = [n for n in NAMES if role[by_name[n]] not in ("ka",)][:2]

    server = Server(env)
    url = server.start()
    ledger = Ledger()
    bots = [
        Player(
            url,
            f"/ws/play/{code}/",
            f"{cookie_name}={token}",
            pid,
            name,
            ledger,
            seed=i,
            lead=role[pid] == "ka",
        )  # fmt: skip
        for i, (name, (pid, token)) in enumerate(seats.items())
        if name not in browser_names
    ]
    pw = await async_api.async_playwright().start()
    browser = await pw.chromium.launch(executable_path=bs.CHROMIUM, args=bs.CHROMIUM_ARGS)
    pages: list[Page] = []
    try:
        host_ctx = await browser.new_context(viewport=bs.PROJECTOR, locale="da-DK")
        session_cookie, session_key = setup["host_cookie"].split("=", 1)
        await host_ctx.add_cookies([{"name": session_cookie, "value": session_key, "url": url}])
        dash = Page(await host_ctx.new_page(), "dashboard")
        await dash.page.goto(f"{url}/host/{code}/")
        pages.append(dash)
        for name in browser_names:
            ctx = await browser.new_context(viewport=bs.PHONE, is_mobile=True, locale="da-DK")
            await ctx.add_cookies([{"name": cookie_name, "value": seats[name][1], "url": url}])
            phone = Page(await ctx.new_page(), name)
            await phone.page.goto(f"{url}/play/{code}/")
            pages.append(phone)
        for page in pages:
            await page.online(20)
        for bot in bots:
            bot.start()
        deadline = time.monotonic() + 20
        while not all(b.online for b in bots):
            assert time.monotonic() < deadline, "the bots did not connect"
            await asyncio.sleep(0.1)

        # --- play, and a vote tapped on a phone --------------------------------------------
        for bot in bots:
            bot.active = True
        phone = pages[1]
        _v, view = phone.current()
        dilemma = next(d for d in view["committee"]["decisions"] if d["type"] == "card")
        choice = dilemma["options"][0]["id"]
        radio = phone.page.get_by_test_id(f"decision-{dilemma['key']}").locator(
            f'input[type="radio"][value="{choice}"]'
        )
        await radio.click()
        await async_api.expect(radio).to_be_checked(timeout=10_000)
        await async_api.expect(radio).to_be_enabled(timeout=10_000)  # the server's answer came
        await async_api.expect(radio).to_be_checked()  # … and it was a yes
        await asyncio.sleep(PLAY_BEFORE_KILL)

        # --- the crash ----------------------------------------------------------------------
        acked_before = len(ledger.acked)
        server.kill()
        killed = time.monotonic()
        assert acked_before >= 10, f"only {acked_before} actions acknowledged before the kill"
        await asyncio.sleep(1.0)
        for bot in bots:
            bot.active = False  # what was in flight has been answered or lost by now
        bs.manage(env, "reset_presence")  # as `make run` does before it starts the server
        assert server.start() == url  # the same port
        back = time.monotonic()

        # --- everyone comes back by themselves ------------------------------------------------
        for page in pages:
            await page.online(RECONNECT_WITHIN - (time.monotonic() - back))
            assert page.sockets >= 2, f"{page.name} never opened a new connection"
        while not all(b.online and b.snapshots[-1] > back for b in bots):
            assert time.monotonic() - back < RECONNECT_WITHIN, [
                b.name for b in bots if not (b.online and b.snapshots[-1] > back)
            ]
            await asyncio.sleep(0.1)
        came_back = time.monotonic() - back
        print(
            f"restart: server down {back - killed:.1f} s, everyone back {came_back:.1f} s later; "
            f"acknowledged before the kill: {ledger.count('vote')} votes, "
            f"{ledger.count('idea')} ideas, {ledger.count('lock')} locks"
        )

        # --- nothing acknowledged is lost -------------------------------------------------------
        saved = read_session(env, code)
        ledger.check_against(saved)
        assert ledger.count("vote") and ledger.count("idea") and ledger.count("lock"), [
            a["msg"]["type"] for a in ledger.acked
        ]
        phone_pid = by_name[phone.name]
        c = saved["state"]["committees"][saved["state"]["players"][phone_pid]["committee"]]
        assert c["decisions"][dilemma["key"]]["votes"].get(phone_pid) == choice  # the tapped vote

        # --- the same state as a fresh snapshot ---------------------------------------------------
        for bot in bots:
            await same_as_fresh(url, bot.path, bot.cookie, lambda bot=bot: (bot.version, bot.view))
        for page in pages[1:]:
            await same_as_fresh(
                url, f"/ws/play/{code}/", f"{cookie_name}={seats[page.name][1]}", page.current
            )
        await same_as_fresh(url, f"/ws/host/{code}/", setup["host_cookie"], dash.current)

        # --- the game goes on ---------------------------------------------------------------------
        voter = bots[0]
        c = voter.view["committee"]
        d = next(
            d for d in c["decisions"] if d["locked"] is None and d["type"] in ("card", "ideas")
        )
        value = choose_value(d, random.Random(1), c["ideas"])
        answer = await voter.act({"type": "vote", "key": d["key"], "value": value})
        assert answer is not None and answer["type"] == "ok", answer
        deadline = time.monotonic() + 10
        # Its committee and the host see it (the other committees are sent nothing).
        seeing = [b for b in bots if b.view["committee"]["id"] == c["id"]]
        while not all(b.version >= answer["v"] for b in seeing) or dash.current()[0] < answer["v"]:
            assert time.monotonic() < deadline, "the vote after the restart did not reach everyone"
            await asyncio.sleep(0.1)
    except BaseException:
        print(server.tail(80))
        raise
    finally:
        for bot in bots:
            await bot.stop()
        await browser.close()
        await pw.stop()
        server.stop()
