"""A close storm on a real Daphne: 480 sockets of 120 seats, all gone at once.

The issue's figures: closing 480 sockets at once left presence counters that
summed to 120 instead of 0, with 120 tracebacks in the log. Here half the
sockets close politely and half simply vanish (the TCP connection is cut, as
when a phone's battery dies), all in the same moment. Afterwards every seat is
offline, every count is 0, and the server's log has no traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from game.devserver import Server

from . import browser_support as bs

pytestmark = [pytest.mark.slow]

websockets = pytest.importorskip("websockets.asyncio.client")
MINI = bs.ROOT / "tests" / "cases" / "mini.yaml"
SEATS, PER_SEAT = 120, 4

SETUP = """
import json
from django.contrib.auth import get_user_model
from cases.loader import load_case
from game import actions
case = load_case({mini!r})[0]
host = get_user_model().objects.create_user("vært", password="x", is_staff=True)
session = actions.create_session(host=host, case_version=case, options={{"size": 4}})
tokens = [actions.join(session, "P%d" % i)[1] for i in range({seats})]
print(json.dumps({{"code": session.code, "tokens": tokens}}))
"""
COUNTS = """
import json
from game.models import Session
s = Session.objects.get(code={code!r})
print(json.dumps([p["online"] for p in s.state["players"].values()]))
"""


def counts(env, code) -> list[int]:
    out = bs.manage(env, "shell", "-c", COUNTS.format(code=code))
    return json.loads(out.strip().splitlines()[-1])


def test_a_close_storm_on_a_real_server_leaves_every_seat_offline(tmp_path: Path):
    env = bs.server_env(tmp_path / "storm.sqlite3") | {"GAME_TIMER_LOOP": "0"}
    bs.manage(env, "migrate", "--noinput", "-v", "0")
    out = bs.manage(env, "shell", "-c", SETUP.format(mini=str(MINI), seats=SEATS), timeout=300)
    data = json.loads(out.strip().splitlines()[-1])
    code, tokens = data["code"], data["tokens"]
    server = Server(env)
    url = server.start()
    try:

        async def storm() -> None:
            async def one(token: str):
                ws = await websockets.connect(
                    url.replace("http", "ws") + f"/ws/play/{code}/",
                    origin=url,
                    additional_headers={"Cookie": f"seat_{code}={token}"},
                    proxy=None,
                    open_timeout=60,
                    max_size=None,
                )
                first = json.loads(await asyncio.wait_for(ws.recv(), 60))
                assert first["type"] == "snapshot", first
                return ws

            sockets = []
            for start in range(0, SEATS, 15):  # in waves, as a room arrives
                wave = [t for t in tokens[start : start + 15] for _ in range(PER_SEAT)]
                sockets += await asyncio.gather(*(one(t) for t in wave))
            assert len(sockets) == SEATS * PER_SEAT
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                now = await asyncio.to_thread(counts, env, code)
                if now == [PER_SEAT] * SEATS:
                    break
                await asyncio.sleep(1)
            assert now == [PER_SEAT] * SEATS
            # All at once: half say goodbye, half just vanish.
            polite, cut = sockets[::2], sockets[1::2]
            for ws in cut:
                ws.transport.abort()
            await asyncio.gather(*(ws.close() for ws in polite), return_exceptions=True)

        asyncio.run(storm())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            left = counts(env, code)
            if left == [0] * SEATS:
                break
            time.sleep(2)
        assert left == [0] * SEATS, f"online counts after the storm: {sum(left)} in all"
        log = server.tail(5000)
        assert "Traceback" not in log, log[-3000:]
    finally:
        server.stop()
        if os.environ.get("KEEP_LOG"):
            print(server.tail(200))
