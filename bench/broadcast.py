"""How long a change takes to reach every player: Daphne + the in-memory channel layer.

    .venv/bin/python bench/broadcast.py [--players 40 200] [--repeat 30]

For each N it creates a session of the school case on a fresh SQLite file, seats N
players (committees of 4), starts a Daphne server on a free loopback port with
that database, connects the N players and the host over real websockets (all
clients in this one process) and measures, from the moment the action is sent
until each player's socket has the frame of the new version:

- a vote: one player votes; one committee's views change (the others get an
  empty patch, still one frame each);
- a round change: the host sends advance (or back), and every view changes.

As the floor, the same N clients against a minimal ``websockets`` server that
broadcasts a frame of the same size (no Django, no channel layer, no database).
Prints figures only: latency p50/p95/p99 in ms and the bytes per frame.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = 4  # players per committee
CONNECT_BATCH = 25  # open the sockets in batches, as a room of phones does


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {qs[49]:7.1f} ms  p95 {qs[94]:7.1f} ms  p99 {qs[98]:7.1f} ms"


class Player:
    """A raw player socket: records when each version's frame arrived and its size."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.arrived: dict[int, tuple[float, int]] = {}
        self.first = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if "v" in frame and frame.get("type") in ("snapshot", "event"):
                self.arrived[frame["v"]] = (now, len(raw.encode()))
            if not self.first.done():
                self.first.set_result(frame)


async def wait_all(players: list[Player], version: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while any(version not in p.arrived for p in players):
        if time.monotonic() > deadline:
            missing = sum(version not in p.arrived for p in players)
            raise RuntimeError(f"{missing} players never got version {version}")
        await asyncio.sleep(0.002)


async def measure_game(
    url: str, code: str, host_cookie: str, seats: list[tuple[str, str]], repeat: int
) -> dict:
    from websockets.asyncio.client import connect

    from game.bots import ViewClient

    origin = url
    ws_base = url.replace("http://", "ws://")
    players: list[Player] = []
    for start in range(0, len(seats), CONNECT_BATCH):
        batch = []
        for cookie_name, token in seats[start : start + CONNECT_BATCH]:
            ws = await connect(
                f"{ws_base}/ws/play/{code}/",
                origin=origin,
                additional_headers={"Cookie": f"{cookie_name}={token}"},
                proxy=None,
                compression=None,
                max_size=None,
                open_timeout=60,
            )
            batch.append(Player(ws))
        await asyncio.gather(*(p.first for p in batch))
        players += batch
    host = ViewClient(url, f"/ws/host/{code}/", host_cookie)
    await host.open(60)
    await host.request({"type": "form", "size": SIZE}, timeout=120)
    await host.request({"type": "start"}, timeout=120)
    ok = await host.request({"type": "advance"}, timeout=120)  # round 1: the committees decide
    await wait_all(players, ok["v"])

    # one voter in committee "1"; which option ids it can choose
    view = host.view
    committee = view["committees"]["1"]
    voter_pid = committee["members"][0]["id"]
    members = {m["id"] for m in committee["members"]}
    decision = next(d for d in committee["decisions"] if d["type"] == "choice" and d["max"] == 1)
    options = [o["id"] for o in decision["options"]]
    pids = sorted(view["players"], key=int)
    voter = players[pids.index(voter_pid)]
    is_member = [pid in members for pid in pids]

    vote_ms: list[float] = []
    vote_bytes_member: list[int] = []
    vote_bytes_other: list[int] = []
    for i in range(repeat):
        message = {"type": "vote", "key": decision["key"], "value": [options[i % len(options)]]}
        version = host.version + 1  # nothing else changes the session meanwhile
        t0 = time.perf_counter()
        await voter.ws.send(json.dumps(message))
        await wait_all(players, version)
        for p, member in zip(players, is_member, strict=True):
            t, size = p.arrived[version]
            vote_ms.append((t - t0) * 1000)
            (vote_bytes_member if member else vote_bytes_other).append(size)
        await host.wait_until(lambda v, version=version: host.version >= version, 30)
        await asyncio.sleep(0.1)

    round_ms: list[float] = []
    round_bytes: list[int] = []
    for i in range(repeat):
        t0 = time.perf_counter()
        kind = "back" if i % 2 == 0 else "advance"
        shown = host.view["session"]["round"]
        ok = await host.request({"type": kind, "from_round": shown}, timeout=120)
        await wait_all(players, ok["v"])
        for p in players:
            t, size = p.arrived[ok["v"]]
            round_ms.append((t - t0) * 1000)
            round_bytes.append(size)
        await asyncio.sleep(0.1)

    await host.close()
    for p in players:
        await p.ws.close()
    return {
        "vote_ms": vote_ms,
        "vote_bytes_member": vote_bytes_member,
        "vote_bytes_other": vote_bytes_other,
        "round_ms": round_ms,
        "round_bytes": round_bytes,
    }


# --- the floor: a minimal websockets broadcast server ---------------------------------------

FLOOR_SERVER = r"""
import asyncio, sys
from websockets.asyncio.server import broadcast, serve

size = int(sys.argv[1])
clients = set()

async def handler(ws):
    clients.add(ws)
    try:
        async for message in ws:  # any message: broadcast a frame of the round-change size
            broadcast(clients, message + " " * max(0, size - len(message)))
    finally:
        clients.discard(ws)

async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""


async def _stamp(ws) -> float:
    await ws.recv()
    return time.perf_counter()


async def measure_floor(n: int, size: int, repeat: int) -> list[float]:
    from websockets.asyncio.client import connect

    proc = subprocess.Popen(
        [sys.executable, "-c", FLOOR_SERVER, str(size)], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(proc.stdout.readline())
        sockets = [
            await connect(f"ws://127.0.0.1:{port}", proxy=None, compression=None, max_size=None)
            for _i in range(n)
        ]
        samples: list[float] = []
        for i in range(repeat):
            t0 = time.perf_counter()
            await sockets[0].send(json.dumps({"v": i}))
            times = await asyncio.gather(*(_stamp(ws) for ws in sockets))
            samples += [(t - t0) * 1000 for t in times]
            await asyncio.sleep(0.05)
        for ws in sockets:
            await ws.close()
        return samples
    finally:
        proc.terminate()
        proc.wait(10)


# --- setup ------------------------------------------------------------------------------------


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.pop("REDIS_URL", None)  # the in-memory layer: one server process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policymaker.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def new_session(n: int):
    from django.contrib.auth import get_user_model

    from cases.loader import load_case
    from game import actions
    from game.consumers import seat_cookie

    version, _created = load_case(ROOT / "cases" / "skole.yaml")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-host", defaults={"is_staff": True}
    )
    session = actions.create_session(host=user, case_version=version, options={"size": SIZE})
    seats = []
    for i in range(n):
        _player, token, _done = actions.join(session, f"Spiller {i + 1}")
        seats.append((seat_cookie(session.code), token))
    return user, session, seats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--asgi", help="the application to serve, module:attribute (default: the settings')"
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pm-bench-") as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        from daphne import __version__ as daphne_version
        from django.db import connection

        from game.devserver import Server
        from game.management.commands.rehearse import login_cookie, server_env

        print(
            f"broadcast bench: Daphne {daphne_version}, in-memory channel layer, SQLite (WAL), "
            f"one server process; Python {platform.python_version()}, {os.cpu_count()} cores; "
            f"all clients in one process; {args.repeat} actions per figure"
        )
        server = Server(server_env(), **({"app": args.asgi} if args.asgi else {}))
        url = server.start()
        try:
            for n in args.players:
                user, session, seats = new_session(n)
                cookie, login = login_cookie(user)
                connection.close()
                r = asyncio.run(measure_game(url, session.code, cookie, seats, args.repeat))
                login.delete()
                member = statistics.median(r["vote_bytes_member"])
                other = statistics.median(r["vote_bytes_other"]) if r["vote_bytes_other"] else 0
                vote_total = sum(r["vote_bytes_member"] + r["vote_bytes_other"]) / args.repeat
                round_total = sum(r["round_bytes"]) / args.repeat
                print(f"N={n:<4} vote    {percentiles(r['vote_ms'])}   bytes/frame: "
                      f"committee {member:,.0f}, others {other:,.0f}; {vote_total:,.0f} per vote")  # fmt: skip
                print(f"N={n:<4} advance {percentiles(r['round_ms'])}   bytes/frame: "
                      f"median {statistics.median(r['round_bytes']):,.0f}, "
                      f"max {max(r['round_bytes']):,}; {round_total:,.0f} per round change")  # fmt: skip
                if args.no_floor:
                    continue
                floor = asyncio.run(
                    measure_floor(n, int(statistics.median(r["round_bytes"])), args.repeat)
                )
                print(f"N={n:<4} floor   {percentiles(floor)}   (minimal websockets server, "
                      f"same frame size)")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
