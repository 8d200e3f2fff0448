"""Redis restarts in the middle of a round under two server processes.

Two Daphne processes share one database (a SQLite file in WAL mode) and a Redis
that this test starts itself: a throwaway ``redis-server`` in a temporary folder
on a free port, with nothing saved (``--save "" --appendonly no``), so that a
restart loses everything in it — the group memberships included, as a Redis
without persistence does. The machine's own Redis is never touched.

alice's session of the mini case is in round r2; her eight players are split over
the two processes (Bo on the first, Cai on the second, …), and so are two host
connections. The players keep voting, writing ideas and locking while Redis is
killed, stays away for a few seconds, and comes back empty. Then:

- no client loses its connection: the servers keep the sockets while Redis is
  away (a phone's badge stays "connected", nobody reconnects at once);
- within 10 s of Redis answering again every client has the current state again
  (its view equals a fresh snapshot at the session's current version), and a
  change made after that reaches every client on both processes as a live event
  (the consumers are back in their groups);
- everything the servers acknowledged, before, during and after the outage, is
  in the saved event log and state.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from game.devserver import Server, free_port

from . import browser_support as bs
from .faults_support import Ledger, Player, read_session, same_as_fresh, setup_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]

NAMES = ["Bo", "Cai", "Dan", "Eva", "Finn", "Gry", "Hal", "Ida"]
CATCH_UP = 10.0  # seconds after Redis is back
OUTAGE = 3.0  # seconds Redis is away


class ThrowawayRedis:
    """A redis-server of this test's own: a temp folder, a free port, nothing persisted."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.folder), "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.answers():
            assert self.proc.poll() is None, "redis-server ended at start"
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)

    def answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


async def test_a_redis_restart_loses_nothing_and_everyone_catches_up(tmp_path: Path) -> None:
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    env = bs.server_env(tmp_path / "shared.sqlite3") | {
        "REDIS_URL": redis.url,
        "GAME_TIMER_LOOP": "0",
    }
    servers = [Server(env), Server(env)]
    ledger = Ledger()
    players: list[Player] = []
    try:
        bs.compile_messages_if_stale(env)
        bs.manage(env, "migrate", "--noinput", "-v", "0")
        bs.manage(env, "load_case", str(bs.ROOT / "tests" / "cases" / "mini.yaml"))
        setup = setup_session(env, NAMES, size=4, rounds=2)
        code, cookie_name, state = setup["code"], setup["cookie"], setup["state"]
        urls = [s.start() for s in servers]
        for i, (name, (pid, token)) in enumerate(setup["seats"].items()):
            c = state["committees"][state["players"][pid]["committee"]]
            players.append(
                Player(
                    urls[i % 2],
                    f"/ws/play/{code}/",
                    f"{cookie_name}={token}",
                    pid,
                    name,
                    ledger,
                    seed=i,
                    lead=c["roles"][pid] == "ka",
                )  # fmt: skip
            )
        hosts = [Player(u, f"/ws/host/{code}/", setup["host_cookie"], "host", "alice", ledger,
                        seed=99 + i) for i, u in enumerate(urls)]  # fmt: skip
        everyone = players + hosts
        for p in everyone:
            p.start()
        await until(lambda: all(p.online for p in everyone), 20, "everyone connected")
        for p in players:
            p.active = True
        await asyncio.sleep(2.0)

        # --- Redis goes away, and comes back empty ------------------------------------------
        redis.kill()
        before = len(ledger.acked)
        await asyncio.sleep(OUTAGE)
        redis.start()
        back = time.monotonic()
        await asyncio.sleep(1.0)
        for p in players:
            p.active = False
        await asyncio.sleep(0.5)  # what is in flight is answered

        # --- everyone has the current state again ------------------------------------------------
        await until(
            lambda: all(p.online for p in everyone),
            CATCH_UP - (time.monotonic() - back),
            f"every client online within {CATCH_UP:.0f} s",
            lambda: {p.name: (p.version, p.errors[-3:]) for p in everyone},
        )
        for p in everyone:  # each view as a fresh snapshot has it, within the bound
            await same_as_fresh(
                p.url,
                p.path,
                p.cookie,
                lambda p=p: (p.version, p.view),
                timeout=max(1.0, CATCH_UP - (time.monotonic() - back)),
            )
        caught_up = time.monotonic() - back
        print(
            f"redis restart: {before} actions acknowledged before it, "
            f"{len(ledger.acked) - before} during and just after; every client at the current "
            f"version {caught_up:.1f} s after Redis was back"
        )

        # --- a change now reaches everyone on both processes live --------------------------------
        voter = players[0]
        c = voter.view["committee"]
        d = next(
            d for d in c["decisions"] if d["locked"] is None and d["type"] in ("card", "ideas")
        )
        import random

        from game.bots import choose_value

        answer = await voter.act(
            {
                "type": "vote",
                "key": d["key"],
                "value": choose_value(d, random.Random(3), c["ideas"]),
            }
        )
        assert answer is not None and answer["type"] == "ok", answer
        # The voter's committee and the host see it; the other committees are sent nothing.
        seeing = [
            p for p in everyone if "players" in p.view or p.view["committee"]["id"] == c["id"]
        ]
        assert len(seeing) < len(everyone)
        await until(
            lambda: all(p.client.last_event >= answer["v"] for p in seeing),
            5,
            "the vote reaching its committee and the host as a live event",
            lambda: {p.name: (p.version, p.client.last_event) for p in everyone},
        )
        # nobody's connection ended: the phones stayed connected through the outage
        assert not [p.name for p in everyone if p.lost], {p.name: p.errors for p in everyone}

        # --- nothing acknowledged is lost ---------------------------------------------------------
        ledger.check_against(read_session(env, code))
        assert ledger.count("vote") >= 10 and ledger.count("idea"), len(ledger.acked)
    except BaseException:
        for s in servers:
            print(s.tail(60))
        raise
    finally:
        for p in players + locals().get("hosts", []):
            await p.stop()
        for s in servers:
            s.stop()
        redis.kill()


async def until(predicate, timeout: float, what: str, detail=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not reached: {what} {detail()}"
        await asyncio.sleep(0.05)
