"""A soak: 500 bot players through a whole game on one Daphne process, with faults on.

    .venv/bin/python bench/soak.py [--players 500] [--per-session 25] [--size 5] [--pace 3]

One Daphne process on the embedded defaults (SQLite in WAL mode, the in-memory
channel layer) on a free loopback port; the school case; the players in
committees of five, in workshops of ``--per-session`` (25 by default, twenty workshops; a session holds at most 200),
each workshop run by its own host over the host websocket as `manage.py rehearse`
does (timer, lock_all when a round takes too long, advance, end). The players are
the bots of game/bots.py (real websockets, each knowing only its own view), all in
this one process. Each workshop's phones come from a loopback address of their
own (127.0.0.1, .2, …), as each room sits behind its own router.

While they play:

- every ``--drop-every`` seconds 10 % of the players lose their connection (the
  socket is cut, as when Wi-Fi drops) and reconnect by themselves (backoff with
  jitter);
- one player floods within the limits: besides its own phone it holds three more
  connections of its seat that send ``ping`` at 9 a second each and ``sync`` at
  the rate the server allows per seat.

At the end it checks and prints: every action the server acknowledged is in the
event log (zero lost decisions: every committee has its outcome and every
acknowledged lock and vote is saved), every client's final view equals a fresh
snapshot made from the database at the same version, and the fair players' vote
latency (send to ``ok``) p50/p95/p99/max. Exits non-zero when a check fails.
Loopback only; bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOD_SOCKETS = 3  # extra connections of the flooding seat (a seat may hold 4)
FLOOD_PINGS = 9.0  # per second per connection: under the 10/s a connection may send
FLOOD_SYNCS = 0.5  # per second for the seat: the rate the server allows


def percentiles(samples: list[float]) -> str:
    if len(samples) < 2:
        return "n/a"
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return (
        f"p50 {qs[49]:6.0f} ms  p95 {qs[94]:6.0f} ms  p99 {qs[98]:6.0f} ms  "
        f"max {max(samples):6.0f} ms  (n={len(samples)})"
    )


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    for name in ("REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CONN_MAX_AGE"):
        os.environ.pop(name, None)  # the embedded defaults
    os.environ["DJANGO_SETTINGS_MODULE"] = "policymaker.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_sessions(players: int, per_session: int, size: int) -> list[dict]:
    """Sessions of the school case with their seats, made in the database directly."""
    from django.contrib.auth import get_user_model

    from cases.loader import load_case
    from game import actions
    from game.bots import bot_names
    from game.consumers import seat_cookie
    from game.management.commands.rehearse import login_cookie

    version, _created = load_case(ROOT / "cases" / "skole.yaml")
    out = []
    names = bot_names(players)
    for start in range(0, players, per_session):
        n = min(per_session, players - start)
        user = get_user_model().objects.create_user(f"soak-host-{start}", is_staff=True)
        session = actions.create_session(host=user, case_version=version, options={"size": size})
        seats = []
        for name in names[start : start + n]:
            player, token, _done = actions.join(session, name)
            seats.append((player.pid, f"{seat_cookie(session.code)}={token}"))
        cookie, _store = login_cookie(user)
        out.append({"pk": session.pk, "code": session.code, "seats": seats, "host_cookie": cookie})
    return out


# --- the clients -------------------------------------------------------------------------------


def make_client_class():
    from game.bots import ViewClient

    class Client(ViewClient):
        """The bots' client from a given loopback address, timing its votes."""

        def __init__(self, url: str, path: str, cookie: str, source: str, timings: dict) -> None:
            super().__init__(url, path, cookie)
            self.source, self.timings = source, timings

        def connect_options(self) -> dict:
            return {"compression": None, "local_addr": (self.source, 0)}

        async def open(self, timeout: float = 30.0) -> None:
            await super().open(timeout)  # with its pings: a refused sync is asked again

        async def request(self, message: dict, timeout: float = 120.0) -> dict:
            t0 = time.perf_counter()
            try:
                return await super().request(message, timeout)
            finally:
                self.timings.setdefault(message["type"], []).append(
                    (time.perf_counter() - t0) * 1000
                )

    return Client


def make_bot_class(client_class):
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

    from game.bots import FATAL_CLOSE, Bot

    class SoakBot(Bot):
        """A bot that stays connected after the end (to be compared), logging what was acked."""

        def __init__(self, url, code, name, pid, cookie, source, timings, acked, **kw) -> None:
            super().__init__(url, code, name, **kw)
            self.pid, self.source, self.timings, self.acked = pid, source, timings, acked
            self.cookie = cookie
            self.release = asyncio.Event()
            self.reconnect_ms: list[float] = []
            self.dropped_at: float | None = None
            self.last_error = ""

        async def run(self):
            failures = 0
            while not self.release.is_set():
                self.client = client_class(
                    self.url, f"/ws/play/{self.code}/", self.cookie, self.source, self.timings
                )
                self.client.bot = self  # type: ignore[attr-defined]
                try:
                    await self.client.open()
                    if self.dropped_at is not None:
                        self.reconnect_ms.append((time.monotonic() - self.dropped_at) * 1000)
                        self.dropped_at = None
                    failures = 0
                    if not self.finished:
                        await self._play(self.client)
                    await self._hold(self.client)
                except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                    status = exc.response.status_code if isinstance(exc, InvalidStatus) else None
                    self.last_error = f"{type(exc).__name__} {status or self.client.close_code}"
                    # An HTTP refusal of the handshake (a 403 when the server was too busy to
                    # accept in time) is what a browser sees as 1006 and retries; only the
                    # game's own close codes (no seat, not the host, no session) are final.
                    if self.client.close_code in FATAL_CLOSE:
                        self.stats.errors += 1
                        return self.stats
                if self.release.is_set():
                    break
                await self.client.close()
                failures += 1
                self.stats.reconnects += 1
                await asyncio.sleep(self.timing.uniform(0, min(10.0, 0.2 * 2**failures)))
            return self.stats

        async def _hold(self, client) -> None:
            """After the end: keep the view up to date until released."""
            while not self.release.is_set():
                if client.closed is not None:
                    raise client.closed
                await client.changed(0.5)

        def _count(self, move: dict, view: dict) -> None:
            super()._count(move, view)
            self.acked.append((self.pid, move["type"], move.get("key")))

        def drop(self) -> None:
            """Cut the socket without a close handshake, as a dropped Wi-Fi does."""
            ws = self.client.ws if self.client else None
            if ws is not None and self.client.closed is None and not self.finished:
                self.dropped_at = time.monotonic()
                ws.transport.abort()

    return SoakBot


async def flood(url: str, code: str, cookie: str, source: str, stop: asyncio.Event, counts: dict):
    """Extra connections of one seat sending pings and syncs at the allowed rates."""
    from websockets.asyncio.client import connect

    async def one(i: int) -> None:
        ws = await connect(
            f"{url.replace('http://', 'ws://')}/ws/play/{code}/",
            origin=url,
            additional_headers={"Cookie": cookie},
            proxy=None,
            max_size=None,
            compression=None,
            local_addr=(source, 0),
        )

        async def read() -> None:
            async for raw in ws:
                kind = json.loads(raw).get("type")
                counts[kind] = counts.get(kind, 0) + 1
                if kind == "error":
                    counts["refused"] = counts.get("refused", 0) + 1

        reader = asyncio.create_task(read())
        next_sync = time.monotonic() + i / FLOOD_SYNCS / FLOOD_SOCKETS
        try:
            while not stop.is_set():
                await ws.send('{"type":"ping"}')
                counts["sent"] = counts.get("sent", 0) + 1
                if time.monotonic() >= next_sync:
                    await ws.send('{"type":"sync"}')
                    counts["sent"] += 1
                    next_sync += FLOOD_SOCKETS / FLOOD_SYNCS
                await asyncio.sleep(1 / FLOOD_PINGS)
        finally:
            await ws.close()
            reader.cancel()

    await asyncio.gather(*(one(i) for i in range(FLOOD_SOCKETS)), return_exceptions=True)


async def report_progress(server_pid: int, hosts: list, bots: list, t0: float) -> None:
    """Every 30 s: where the rooms are, and where the CPU goes (the server, the bots)."""
    from bench.broadcast import cpu_seconds, own_cpu

    last = (time.monotonic(), cpu_seconds(server_pid), own_cpu())
    while True:
        await asyncio.sleep(30)
        now = (time.monotonic(), cpu_seconds(server_pid), own_cpu())
        wall = now[0] - last[0]
        rounds = collections.Counter(
            "ended" if h.client.view["session"]["status"] == "ended"
            else h.client.view["session"]["round"]
            for h in hosts
            if h.client.view is not None
        )  # fmt: skip
        print(
            f"  {now[0] - t0:4.0f} s: server CPU {(now[1] - last[1]) / wall:4.0%}, "
            f"bots' CPU {(now[2] - last[2]) / wall:4.0%}, load {os.getloadavg()[0]:.1f}; "
            f"sessions by round {dict(sorted(rounds.items(), key=str))}; "
            f"{sum(b.finished for b in bots)} players saw the end",
            flush=True,
        )
        last = now


# --- the run -------------------------------------------------------------------------------------


def make_host_class():
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    from game.bots import BotError
    from game.management.commands.rehearse import (
        JOIN_TIMEOUT,
        Host,
        RehearsalError,
        _all_done,
        _all_reflected,
        _joined,
        inject_round,
    )

    class SoakHost(Host):
        """The rehearsal's host, who ends the game even if some reflections are missing
        (a player cut off while answering does not hold up the room)."""

        left_open = 0  # required decisions still open when the host moved on
        slowed = 0  # the host's moves refused for their pace (slow_down) and made again

        async def send(self, message: dict) -> dict:
            """A move refused for its pace is made again a moment later, as a person would."""
            for attempt in range(5):
                try:
                    return await self.client.request(message)
                except BotError as exc:
                    if exc.code != "slow_down" or attempt == 4:
                        raise RehearsalError(
                            f"The host's {message['type']} was refused: {exc}"
                        ) from None
                    self.slowed += 1
                    await asyncio.sleep(1.0)
            raise AssertionError("unreachable")

        async def run(self, players: int, size: int) -> dict:
            client = self.client
            for attempt in range(10):  # a busy server may drop a handshake: again, backing off
                try:
                    if client.view is None or client.closed is not None:
                        await client.open()
                    break
                except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake):
                    if attempt == 9:
                        raise
                    await asyncio.sleep(random.uniform(0, min(10.0, 0.5 * 2**attempt)))
            if not await client.wait_until(lambda v: _joined(v) >= players, JOIN_TIMEOUT):
                raise RehearsalError("not every player joined")
            await self.send({"type": "form", "size": size})
            await self.send({"type": "start"})
            last = len(self.case.rounds) - 1
            for index, round_ in enumerate(self.case.rounds):
                if client.view["session"]["timer"]["ends_at"] is None:  # not started by itself
                    try:
                        await self.send({"type": "timer", "op": "start"})
                    except RehearsalError:
                        pass  # it started meanwhile, or the round has no time left
                if index == inject_round(self.case):
                    await self.inject()
                if round_.reflection:
                    questions = [q.id for q in self.case.reflection]
                    await client.wait_until(_all_reflected(questions), self.round_timeout)
                elif not await client.wait_until(_all_done(index), self.round_timeout):
                    await self.send({"type": "lock_all"})
                    if not await client.wait_until(_all_done(index), 30):
                        # a decision nobody voted on stays open; the room moves on
                        self.left_open += sum(
                            1
                            for c in client.view["committees"].values()
                            for d in c["decisions"]
                            if d["locked"] is None and d["required"]
                        )
                if index < last:
                    await self.send({"type": "advance", "from_round": index})
            await self.send({"type": "end"})
            return client.view

    return SoakHost


async def soak(url: str, sessions: list[dict], args) -> dict:
    from bench.broadcast import cpu_seconds, own_cpu
    from cases.models import CaseVersion

    Host = make_host_class()

    Client = make_client_class()
    SoakBot = make_bot_class(Client)
    case = await asyncio.to_thread(
        lambda: CaseVersion.objects.filter(case__slug="skole").latest("pk").parsed()
    )
    timings: dict[str, list[float]] = {}  # fair players' request times by kind
    flooder_timings: dict[str, list[float]] = {}
    acked: list[tuple] = []
    bots = []
    for s_index, s in enumerate(sessions):
        source = f"127.0.0.{s_index + 1}"
        for i, (pid, cookie) in enumerate(s["seats"]):
            flooder = s_index == 0 and i == 0
            bots.append(
                SoakBot(
                    url,
                    s["code"],
                    f"soak {pid}",
                    pid,
                    cookie,
                    source,
                    flooder_timings if flooder else timings,
                    acked,
                    seed=s_index * 1000 + i,
                    pace=args.pace,
                )  # fmt: skip
            )
    hosts = []
    for s_index, s in enumerate(sessions):
        host = Host(url, s["code"], s["host_cookie"], case, round_timeout=args.round_timeout,
                    seed=s_index)  # fmt: skip
        host.client.__class__ = Client  # from its room's address too
        host.client.source, host.client.timings = f"127.0.0.{s_index + 1}", {}
        await host.client.open()
        hosts.append(host)
    t0 = time.monotonic()
    cpu0 = (cpu_seconds(args.server_pid), own_cpu())
    tasks = []
    for start in range(0, len(bots), 5):  # the rooms fill over a minute or two
        tasks += [asyncio.create_task(b.run()) for b in bots[start : start + 5]]
        await asyncio.sleep(1.0)
    while sum(b.client is not None and b.client.view is not None for b in bots) < len(bots):
        if time.monotonic() - t0 > 180:
            break
        await asyncio.sleep(0.5)
    connected = sum(b.client is not None and b.client.view is not None for b in bots)
    why = collections.Counter(
        b.last_error for b in bots if b.client is None or b.client.view is None
    )
    print(
        f"connected: {connected} of {len(bots)} players in {time.monotonic() - t0:.0f} s"
        + (f" (not yet: {dict(why)})" if why else ""),
        flush=True,
    )
    stop_flood = asyncio.Event()
    flood_counts: dict[str, int] = {}
    first = sessions[0]
    flooder = asyncio.create_task(
        flood(url, first["code"], first["seats"][0][1], "127.0.0.1", stop_flood, flood_counts)
    )
    drops = {"waves": 0, "players": 0}

    async def dropper() -> None:
        rng = random.Random(5)
        await asyncio.sleep(args.first_drop)
        while True:
            playing = [b for b in bots if not b.finished and b.client and b.client.closed is None]
            chosen = rng.sample(playing, max(1, len(bots) // 10)) if playing else []
            for b in chosen:
                b.drop()
            drops["waves"] += 1
            drops["players"] += len(chosen)
            await asyncio.sleep(args.drop_every)

    dropping = asyncio.create_task(dropper())
    progress = asyncio.create_task(report_progress(args.server_pid, hosts, bots, t0))
    per_session = [len(s["seats"]) for s in sessions]
    try:
        views = await asyncio.wait_for(
            asyncio.gather(*(h.run(n, args.size) for h, n in zip(hosts, per_session, strict=True))),
            args.timeout,
        )
    finally:
        dropping.cancel()
        progress.cancel()
        stop_flood.set()
    game_s = time.monotonic() - t0
    cpu = (cpu_seconds(args.server_pid) - cpu0[0], own_cpu() - cpu0[1])
    await asyncio.gather(flooder, return_exceptions=True)

    # every bot sees the end, then holds its view until it is compared
    deadline = time.monotonic() + 60
    while not all(b.finished for b in bots):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return {
        "bots": bots,
        "tasks": tasks,
        "hosts": hosts,
        "views": views,
        "timings": timings,
        "flooder_timings": flooder_timings,
        "acked": acked,
        "drops": drops,
        "flood": flood_counts,
        "game_s": game_s,
        "cpu": cpu,
    }


def fresh_snapshots(sessions: list[dict]) -> dict[str, dict]:
    """Every viewer's snapshot as a fresh connection would get it now, from the database."""
    from game import visibility
    from game.models import Session

    out = {}
    for row in Session.objects.select_related("case_version").filter(
        pk__in=[x["pk"] for x in sessions]
    ):
        case, state, meta = row.case, row.state, row.meta()
        out[row.code] = {
            "v": row.version,
            "streams": row.streams,
            "host": visibility.host_view(case, state, meta),
            "players": {
                pid: visibility.player_view(case, state, pid, meta) for pid in state["players"]
            },
        }
    return out


async def compare_views(result: dict, sessions: list[dict]) -> tuple[int, list[str]]:
    """Each connected client's view against a fresh snapshot from the database, once the
    client has the last frame sent to it (a viewer is sent frames only for the changes
    it can see, so that is its stream's version, not the session's: game.wire)."""
    from game import visibility, wire

    bots, hosts = result["bots"], result["hosts"]

    def code_of(host) -> str:
        return host.client.ws_url.rstrip("/").split("/")[-1]

    def last_sent(f: dict, pid: str | None) -> int:
        if pid is None:
            return wire.seen(f["streams"], "host")
        me = f["players"][pid]["me"]
        return wire.seen(f["streams"], "player", pid, visibility.stream_of(me))

    deadline = time.monotonic() + 60
    while True:  # the last changes (the flooder leaving) may still be on their way
        fresh = await asyncio.to_thread(fresh_snapshots, sessions)
        behind = [
            b for b in bots if b.client and b.client.version < last_sent(fresh[b.code], b.pid)
        ]
        behind += [h for h in hosts if h.client.version < last_sent(fresh[code_of(h)], None)]
        if not behind or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    problems = []
    for b in bots:
        f = fresh[b.code]
        if b.client is None or b.client.view is None:
            problems.append(f"{b.name}: no view")
        elif b.client.version < last_sent(f, b.pid):
            problems.append(
                f"{b.name}: at v{b.client.version}, its last frame at v{last_sent(f, b.pid)}"
            )
        elif b.client.view != f["players"][b.pid]:
            problems.append(f"{b.name}: its view differs from a fresh snapshot")
    for h in hosts:
        f = fresh[code_of(h)]
        if h.client.version < last_sent(f, None) or h.client.view != f["host"]:
            problems.append(f"host of {code_of(h)}: differs from a fresh snapshot")
    return len(bots) + len(hosts), problems


def check_saved(result: dict, sessions: list[dict]) -> list[str]:
    """Zero lost decisions: every committee decided, every acknowledged action saved."""
    from game.models import Event, Session

    problems = []
    saved: dict[tuple[str, str, str | None], int] = {}
    for s in sessions:
        session = Session.objects.get(pk=s["pk"])
        if session.status != "ended":
            problems.append(f"{session.code} is {session.status}")
        versions = list(
            Event.objects.filter(session=session)
            .order_by("version")
            .values_list("version", flat=True)
        )
        if versions != list(range(1, session.version + 1)):
            problems.append(f"{session.code}: the event log has holes")
        for c in session.state["committees"].values():
            if c["outcome"] is None:
                problems.append(f"{session.code} committee {c['name']}: no outcome")
        for actor, kind, action in Event.objects.filter(session=session).values_list(
            "actor", "kind", "action"
        ):
            if actor.startswith("player:"):
                key = (actor.removeprefix("player:"), kind, action.get("key"))
                saved[key] = saved.get(key, 0) + 1
    want: dict[tuple, int] = {}
    for pid, kind, key in result["acked"]:
        want[(pid, kind, key)] = want.get((pid, kind, key), 0) + 1
    pids_seen = {pid for s in sessions for pid, _c in s["seats"]}
    lost = 0
    for (pid, kind, key), n in want.items():
        if pid in pids_seen and saved.get((pid, kind, key), 0) < n:
            lost += n - saved.get((pid, kind, key), 0)
    if lost:
        problems.append(f"{lost} acknowledged actions are not in the event log")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=500)
    parser.add_argument("--per-session", type=int, default=25, help="players per session")
    parser.add_argument("--size", type=int, default=5, help="players per committee")
    parser.add_argument("--pace", type=float, default=3.0, help="the bots' mean think time, s")
    parser.add_argument("--round-timeout", type=float, default=40.0)
    parser.add_argument("--drop-every", type=float, default=60.0)
    parser.add_argument("--first-drop", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=1500.0, help="the whole game, s")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pm-soak-") as tmp:
        setup_django(Path(tmp) / "soak.sqlite3")
        from daphne import __version__ as daphne_version
        from django.db import connection

        from game.devserver import Server
        from game.management.commands.rehearse import server_env

        sessions = make_sessions(args.players, args.per_session, args.size)
        connection.close()
        env = server_env() | {"GAME_TIMER_LOOP": "1"}
        server = Server(env)
        url = server.start()
        args.server_pid = server.proc.pid
        print(
            f"machine: load average {os.getloadavg()[0]:.1f} at the start; "
            f"server pid {server.proc.pid}",
            flush=True,
        )
        print(
            f"soak: {args.players} players in {len(sessions)} sessions (committees of "
            f"{args.size}), Daphne {daphne_version} (one process, in-memory layer, SQLite WAL), "
            f"Python {platform.python_version()}, {os.cpu_count()} cores; bots' pace "
            f"{args.pace} s; 10 % dropped every {args.drop_every:.0f} s; one seat flooding",
            flush=True,
        )
        failed = []
        try:
            result = asyncio.run(run_all(url, sessions, args))
        except BaseException:
            print(f"--- server log ---\n{server.tail(60)}")
            raise
        finally:
            server.stop()
        bots, checked, view_problems = result["bots"], result["checked"], result["view_problems"]
        saved_problems = check_saved(result, sessions)
        fair = result["timings"]
        reconnects = [ms for b in bots for ms in b.reconnect_ms]
        errors = sum(b.stats.errors for b in bots)
        print(
            f"game: {result['game_s']:.0f} s for the whole game of {len(sessions)} sessions; "
            f"CPU: the server {result['cpu'][0]:.0f} s, the bots {result['cpu'][1]:.0f} s; "
            f"load average {os.getloadavg()[0]:.1f} at the end"
        )
        print(
            f"acknowledged: {sum(1 for a in result['acked'] if a[1] == 'vote')} votes, "
            f"{sum(1 for a in result['acked'] if a[1] == 'lock')} locks, "
            f"{sum(1 for a in result['acked'] if a[1] == 'idea')} ideas, "
            f"{sum(1 for a in result['acked'] if a[1] == 'reflect')} reflections; "
            f"{errors} refused or failed moves (races are normal play)"
        )
        left_open = sum(h.left_open for h in result["hosts"])
        print(
            f"rounds: {left_open} required decisions were still open (nobody had voted) "
            "when a host moved on after lock_all; "
            f"{sum(h.slowed for h in result['hosts'])} host moves made again after slow_down"
        )
        print(f"fair players' vote   {percentiles(fair.get('vote', []))}")
        print(f"fair players' lock   {percentiles(fair.get('lock', []))}")
        print(
            f"drops: {result['drops']['waves']} waves, {result['drops']['players']} players cut; "
            f"reconnected {percentiles(reconnects)}"
        )
        fl = result["flood"]
        print(
            f"flooder: {fl.get('sent', 0)} frames sent on {FLOOD_SOCKETS} extra sockets, "
            f"{fl.get('pong', 0)} pongs, {fl.get('snapshot', 0)} snapshots, "
            f"{fl.get('refused', 0)} refused (slow_down)"
        )
        print(
            f"final views: {checked - len(view_problems)} of {checked} clients equal a fresh "
            "snapshot"
        )
        lost = [p for p in saved_problems]
        print(f"lost decisions: {len(lost)}" + (": " + "; ".join(lost[:5]) if lost else ""))
        failed = view_problems + saved_problems
        for p in view_problems[:10]:
            print(f"  {p}")
        if failed:
            print(f"soak FAILED: {len(failed)} problems")
            sys.exit(1)
        print("soak ok")


async def run_all(url: str, sessions: list[dict], args) -> dict:
    result = await soak(url, sessions, args)
    checked, problems = await compare_views(result, sessions)
    for b in result["bots"]:
        b.release.set()
        if b.client is not None:
            await b.client.close()
    await asyncio.gather(*result["tasks"], return_exceptions=True)
    result |= {"checked": checked, "view_problems": problems}
    return result


if __name__ == "__main__":
    main()
