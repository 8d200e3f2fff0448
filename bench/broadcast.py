"""The scale bench: join storm, round change, vote storm and the floor, for N players.

    .venv/bin/python bench/broadcast.py [--players 200 1000 2000] [--quick] [--cluster]

For each N it starts the server itself (one Daphne process on the embedded
defaults: SQLite, the in-memory channel layer; or with ``--cluster`` two Daphne
processes behind nginx on Redis and PostgreSQL), creates a session of the school
case and connects a host and N simulated players over real websockets with an
Origin header, all clients in this one process, in committees of five. Each
committee's phones come from a loopback address of their own (127.0.X.Y), as a
room behind its routers, so that the per-address join limit sees rooms, not one
flood. It measures, in one run:

- the join storm: every player takes a seat through ``POST /api/join/`` and opens
  its socket, 64 at a time: the time until every one has its snapshot, and errors;
- the round change: from the host's ``advance`` (or ``back``) until every player
  has a frame of that version: p50, p99, max, and the frame's size;
- the vote storm: every player votes once, spread over 10 s: from each vote until
  every other member of the voter's committee has a frame with a version at least
  the vote's ``ok`` version: p50, p99; the gaps the clients saw; lost votes (an
  ``ok`` whose value is not in a fresh host snapshot at the end); then a second
  storm with two votes per player (``--storms``);
- the server's memory per connected player (RSS from /proc before and after the
  join storm) and its CPU time (utime + stime) per vote;
- the floor: the same clients against a minimal ``websockets`` broadcast server,
  with a frame of the round change's median size.

Every wait is bounded: what does not arrive in time is counted as timed out, and
the run goes on. Prints a table, writes bench/results.json, and as its last line
``ratio: X``: the round change's p99 over the floor's, for 1,000 players on one
process (or the largest N that ran, said on the line before). Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = 5  # players per committee
CONNECT_AT_ONCE = 64  # players joining and opening their sockets at the same time
STORM_SECONDS = 10.0  # every player votes once within this
CLK_TCK = os.sysconf("SC_CLK_TCK")
# An event's head, as the consumers write it: {"type":"event","v":V[,"prev":P],"patch":...}
HEAD = re.compile(rb'^\{"type":\s*"(\w+)",\s*"v":\s*(\d+)(?:,\s*"prev":\s*(\d+))?')


def pct(samples: list[float], q: int) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples),
        "p50_ms": pct(samples, 50),
        "p99_ms": pct(samples, 99),
        "max_ms": max(samples) if samples else None,
    }


# --- the server process, from /proc --------------------------------------------------------


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    # the command may hold spaces and parentheses: the fields start after the last ")"
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


class Procs:
    """The server's processes (one, or the cluster's Daphnes): memory and CPU summed."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def rss(self) -> int:
        return sum(rss_bytes(p) for p in self.pids)

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the clients --------------------------------------------------------------------------


def source_address(index: int) -> str:
    """The loopback address of committee-sized group ``index``: 127.0.1.1, 127.0.1.2, …"""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


async def post_join(url: str, code: str, name: str, source: str, timeout: float) -> tuple:
    """``POST /api/join/`` from ``source``: (status, body as a dict)."""
    host_port = url.split("://", 1)[1]
    host, port = host_port.rsplit(":", 1)
    body = json.dumps({"code": code, "name": name}).encode()
    request = (
        f"POST /api/join/ HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    async def go() -> tuple:
        reader, writer = await asyncio.open_connection(host, int(port), local_addr=(source, 0))
        try:
            writer.write(request)
            raw = await reader.read()
        finally:
            writer.close()
        head, _, rest = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if b"transfer-encoding: chunked" in head.lower():
            out, data = b"", rest
            while data:
                size_text, _, data = data.partition(b"\r\n")
                size = int(size_text, 16)
                if size == 0:
                    break
                out, data = out + data[:size], data[size + 2 :]
            rest = out
        try:
            return status, json.loads(rest or b"{}")
        except ValueError:
            return status, {}

    return await asyncio.wait_for(go(), timeout)


class Stream:
    """One socket's frames: the version as a client keeps it, and when each arrived.

    The gap rule: a frame with V <= the version is old (ignored); with ``prev``,
    P <= the version applies it (version = V) and P > the version is a gap; a
    frame without ``prev`` (the server before streams) is a gap when V is not
    version + 1. A gap asks for ``sync``, as a phone does, and the frames until
    the snapshot are ignored. ``applied`` holds (version, time) for every frame
    that moved the version on: the version a client has at a time.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.version = -1
        self.pid: str | None = None
        self.gaps = 0
        self.syncing = False
        self.versions: list[int] = []  # the versions applied, in order
        self.times: list[float] = []  # when each was applied (perf_counter)
        self.sizes: dict[int, int] = {}  # bytes of the frame that brought each version
        self.refs: dict[int, asyncio.Future] = {}
        self.next_ref = 1
        self.snapshot = asyncio.get_running_loop().create_future()
        self.closed = False
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                data = raw.encode() if isinstance(raw, str) else raw
                self.frame(data, now)
        except Exception:  # noqa: BLE001 - a closed socket: counted by who waits for it
            pass
        finally:
            self.closed = True
            for future in self.refs.values():
                if not future.done():
                    future.set_result({"type": "error", "code": "closed"})

    def frame(self, data: bytes, now: float) -> None:
        m = HEAD.match(data)
        if m is not None and m.group(1) == b"event":
            prev = m.group(3)
            return self._event(int(m.group(2)), None if prev is None else int(prev), now, len(data))
        frame = json.loads(data)
        kind = frame.get("type")
        if kind == "snapshot":
            self.syncing = False
            if frame["v"] >= self.version:
                self._applied(frame["v"], now, len(data))
            me = (frame.get("view") or {}).get("me") or {}
            self.pid = me.get("id", self.pid)
            if not self.snapshot.done():
                self.snapshot.set_result(frame["v"])
        elif kind == "event":  # keys in another order than the consumers write them
            self._event(frame["v"], frame.get("prev"), now, len(data))
        elif kind in ("ok", "error"):
            future = self.refs.pop(frame.get("ref"), None)
            if future is not None and not future.done():
                future.set_result(frame | {"at": now})

    def _event(self, v: int, prev: int | None, now: float, size: int) -> None:
        if self.syncing or self.version < 0 or v <= self.version:
            return  # before the snapshot, while resyncing, or old
        if (prev > self.version) if prev is not None else (v != self.version + 1):
            self.gaps += 1
            self.syncing = True
            asyncio.ensure_future(self._send({"type": "sync"}))
            return
        self._applied(v, now, size)

    def _applied(self, v: int, now: float, size: int) -> None:
        self.version = v
        self.versions.append(v)
        self.times.append(now)
        self.sizes[v] = size

    def reached(self, version: int) -> float | None:
        """When this socket first had ``version`` or a later one; None if not yet."""
        i = bisect.bisect_left(self.versions, version)
        return self.times[i] if i < len(self.times) else None

    async def _send(self, message: dict) -> None:
        try:
            await self.ws.send(json.dumps(message))
        except Exception:  # noqa: BLE001 - closed meanwhile
            pass

    async def request(self, message: dict, timeout: float) -> dict:
        """Send with a ref; the ``ok``/``error`` frame (with ``at``), or a timeout error."""
        ref = self.next_ref
        self.next_ref += 1
        future = asyncio.get_running_loop().create_future()
        self.refs[ref] = future
        await self._send(message | {"ref": ref})
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.refs.pop(ref, None)
            return {"type": "error", "code": "timeout"}

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except Exception:  # noqa: BLE001
            pass
        self.task.cancel()


async def open_stream(ws_url: str, origin: str, cookie: str | None, source: str, timeout: float):
    from websockets.asyncio.client import connect

    ws = await connect(
        ws_url,
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie} if cookie else {},
        proxy=None,
        compression=None,
        max_size=None,
        open_timeout=timeout,
        close_timeout=2,
        local_addr=(source, 0),
    )
    stream = Stream(ws)
    try:
        await asyncio.wait_for(asyncio.shield(stream.snapshot), timeout)
    except BaseException:
        await stream.close()
        raise
    return stream


def host_client_class():
    from game.bots import ViewClient
    from game.visibility import patch as apply_patches

    class HostClient(ViewClient):
        """The bots' viewer with the gap rule of streams (``prev``), falling back to v+1."""

        async def _frame(self, frame: dict) -> None:
            if frame.get("type") != "event" or "prev" not in frame:
                return await super()._frame(frame)
            if self.view is None or self._syncing or frame["v"] <= self.version:
                return
            if frame["prev"] > self.version:
                self._syncing = True
                await self.ws.send(json.dumps({"type": "sync"}))  # type: ignore[union-attr]
                return
            self.view = apply_patches(self.view, frame["patch"])
            self.version = frame["v"]

    return HostClient


async def wait_versions(streams: list[Stream], version: int, timeout: float) -> int:
    """Wait until every stream has ``version``; the number that did not in time."""
    deadline = time.monotonic() + timeout
    while True:
        missing = sum(1 for s in streams if s.version < version)
        if not missing or time.monotonic() > deadline:
            return missing
        await asyncio.sleep(0.005)


# --- the phases --------------------------------------------------------------------------


async def join_storm(url: str, code: str, n: int, args, out: dict) -> list[Stream]:
    """N players join and open their sockets, CONNECT_AT_ONCE at a time."""
    ws_url = url.replace("http://", "ws://") + f"/ws/play/{code}/"
    errors: dict[str, int] = {}
    streams: list[Stream | None] = [None] * n
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    def error(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    async def one(i: int) -> None:
        source = source_address(i // SIZE)
        async with gate:
            cookie = None
            for _attempt in range(4):
                try:
                    status, body = await post_join(url, code, f"Spiller {i + 1}", source, 30)
                except (OSError, TimeoutError) as exc:
                    error(f"join {type(exc).__name__}")
                    continue
                if status == 201:
                    cookie = f"{body['cookie']}={body['token']}"
                    break
                error(f"join http {status} {body.get('error', '')}".strip())
                if status != 429 and status < 500:  # too fast or a busy proxy: again
                    return
                await asyncio.sleep(1.0)
            if cookie is None:
                return
            for _attempt in range(4):  # a phone tries again after a failed handshake
                try:
                    streams[i] = await open_stream(ws_url, url, cookie, source, 30)
                    return
                except Exception as exc:  # noqa: BLE001 - counted
                    status = getattr(getattr(exc, "response", None), "status_code", None)
                    error(f"socket {type(exc).__name__}" + (f" {status}" if status else ""))
                    await asyncio.sleep(0.5)

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    _done, pending = await asyncio.wait(tasks, timeout=args.join_timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    seated = [s for s in streams if s is not None]
    last = max((s.times[0] for s in seated if s.times), default=t0)
    out["join"] = {
        "players": n,
        "seated": len(seated),
        "seconds": last - t0 if not pending else None,
        "timed_out": bool(pending),
        "timeout_s": args.join_timeout,
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }
    return seated


async def setup_round(host, players: list[Stream], args, out: dict) -> None:
    """Committees of five, start, round 1 (the committees decide): within --setup-timeout."""
    from game.bots import BotError

    t0 = time.monotonic()
    deadline = t0 + args.setup_timeout
    steps = [
        {"type": "form", "size": SIZE},
        {"type": "start"},
        {"type": "advance", "from_round": 0},
    ]
    for message in steps:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"setup: no time left for {message['type']}")
        try:
            await host.request(message, timeout=left)
        except BotError as exc:
            if exc.code != "stale":
                raise BotError(exc.code, f"{message['type']}: {exc.reason}") from None
            # the round changed meanwhile (the host's view was behind): look again
            host._syncing = True
            await host.ws.send(json.dumps({"type": "sync"}))
            await host.wait_until(lambda v: True, max(1.0, deadline - time.monotonic()))
            if host.view["session"]["round"] != 1:
                raise BotError("stale", f"{message['type']}: in round "
                               f"{host.view['session']['round']}") from None  # fmt: skip
    missing = await wait_versions(players, host.version, max(1.0, deadline - time.monotonic()))
    out["setup"] = {"seconds": time.monotonic() - t0, "players_not_reached": missing}


async def round_changes(host, players: list[Stream], args, out: dict) -> None:
    """The host goes back and forth between rounds 0 and 1, ending in round 1."""
    samples: list[float] = []
    sizes: list[int] = []
    missing_total = 0
    changes = 0
    timed_out = 0
    gaps0 = sum(p.gaps for p in players)
    phase_end = time.monotonic() + args.round_budget
    for _i in range(2 * args.repeat):
        if time.monotonic() > phase_end and host.view["session"]["round"] == 1:
            break
        shown = host.view["session"]["round"]
        kind = "back" if shown == 1 else "advance"
        t0 = time.perf_counter()
        try:
            ok = await host.request({"type": kind, "from_round": shown}, timeout=args.timeout)
        except Exception as exc:  # noqa: BLE001 - counted, and the phase ends
            out["round_error"] = f"{kind}: {exc}"
            timed_out += 1
            break
        missing = await wait_versions(players, ok["v"], args.timeout)
        changes += 1
        if missing:
            timed_out += 1
            missing_total += missing
        for p in players:
            at = p.reached(ok["v"])
            if at is not None:
                samples.append((at - t0) * 1000)
            if ok["v"] in p.sizes:
                sizes.append(p.sizes[ok["v"]])
        await asyncio.sleep(0.2)
        if timed_out >= 2:
            break
    if host.view["session"]["round"] != 1:  # the votes need round 1
        await host.request({"type": "advance", "from_round": 0}, timeout=args.timeout)
        await wait_versions(players, host.version, args.timeout)
    out["round"] = summary(samples) | {
        "changes": changes,
        "timed_out_changes": timed_out,
        "players_not_reached": missing_total,
        "frame_bytes_median": int(statistics.median(sizes)) if sizes else None,
        "frame_bytes_max": max(sizes) if sizes else None,
        "gaps": sum(p.gaps for p in players) - gaps0,
    }


async def vote_storm(
    url, code, host, players: list[Stream], procs: Procs, args, out: dict, per_player: int = 1
) -> dict:
    """Every player votes ``per_player`` times, spread over STORM_SECONDS, in a random order."""
    from game.bots import choose_value

    view = host.view
    by_pid = {p.pid: p for p in players if p.pid is not None}
    committee_of: dict[str, str] = {}
    decision_of: dict[str, dict] = {}
    for cid, c in view["committees"].items():
        d = next((d for d in c["decisions"] if d["type"] == "choice" and d["locked"] is None), None)
        for m in c["members"]:
            committee_of[m["id"]] = cid
            if d is not None:
                decision_of[cid] = d
    rng = random.Random(7 * per_player)
    voters = [p for p in players if p.pid in committee_of and committee_of[p.pid] in decision_of]
    voters *= per_player
    rng.shuffle(voters)
    members: dict[str, list[Stream]] = {}
    for pid, cid in committee_of.items():
        if pid in by_pid:
            members.setdefault(cid, []).append(by_pid[pid])
    gaps0 = sum(p.gaps for p in players)
    cpu0, own0 = procs.cpu(), own_cpu()
    sent: list[tuple[Stream, dict, float]] = []
    t_start = time.perf_counter()
    storm_end = time.monotonic() + STORM_SECONDS + args.settle

    async def vote(k: int, p: Stream) -> dict:
        await asyncio.sleep(k * STORM_SECONDS / max(1, len(voters)))
        d = decision_of[committee_of[p.pid]]  # type: ignore[index]
        message = {"type": "vote", "key": d["key"], "value": choose_value(d, rng)}
        t0 = time.perf_counter()
        sent.append((p, message, t0))
        left = max(1.0, storm_end - time.monotonic())
        return await p.request(message, timeout=left) | {"t0": t0, "message": message, "p": p}

    answers = await asyncio.gather(*(vote(k, p) for k, p in enumerate(voters)))
    acked = [a for a in answers if a["type"] == "ok"]
    refused: dict[str, int] = {}
    for a in answers:
        if a["type"] != "ok":
            refused[a.get("code", "?")] = refused.get(a.get("code", "?"), 0) + 1
    # every other member of the voter's committee has the vote's version
    top = max((a["v"] for a in acked), default=0)
    await wait_versions(players, top, max(1.0, storm_end - time.monotonic()))
    cpu1, own1 = procs.cpu(), own_cpu()
    samples: list[float] = []
    not_reached = 0
    for a in acked:
        voter = a["p"]
        for m in members[committee_of[voter.pid]]:
            if m is voter:
                continue
            at = m.reached(a["v"])
            if at is None:
                not_reached += 1
            else:
                samples.append(max(0.0, at - a["t0"]) * 1000)
    ok_ms = [(a["at"] - a["t0"]) * 1000 for a in acked]

    # lost votes: an ok whose value is not in a fresh snapshot of the host's view
    fresh = host_client_class()(url, f"/ws/host/{code}/", host.cookie)
    lost: int | None = None
    try:
        await fresh.open(args.timeout)
        votes = [
            (a["p"].pid, a["message"], a.get("v") if a["type"] == "ok" else None) for a in answers
        ]
        lost = lost_votes(votes, fresh.view)
    except Exception as exc:  # noqa: BLE001 - reported
        out["lost_check_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        await fresh.close()
    return summary(samples) | {
        "votes_per_player": per_player,
        "votes_sent": len(sent),
        "acked": len(acked),
        "refused_or_timed_out": refused,
        "members_not_reached": not_reached,
        "votes_per_s": len(voters) / STORM_SECONDS,
        "storm_s": time.perf_counter() - t_start,
        "ok_p50_ms": pct(ok_ms, 50),
        "ok_p99_ms": pct(ok_ms, 99),
        "gaps": sum(p.gaps for p in players) - gaps0,
        "lost": lost,
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_ms_per_vote": (cpu1 - cpu0) * 1000 / len(acked) if acked else None,
        "client_cpu_s": own1 - own0,
    }


def _normal(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def lost_votes(votes: list[tuple[str, dict, int | None]], host_view: dict) -> int:
    """Players whose last acknowledged vote a host's view does not show.

    ``votes``: (pid, message, the ``ok``'s version or None when none came). The view
    must show the value of the player's vote with the highest ``ok`` version, or of
    one that got no answer in time (it may have been applied after).
    """
    where = {}
    for c in host_view["committees"].values():
        decisions = {d["key"]: d for d in c["decisions"]}
        for m in c["members"]:
            where[m["id"]] = decisions
    by_player: dict[tuple[str, str], list[tuple[dict, int | None]]] = {}
    for pid, message, version in votes:
        by_player.setdefault((pid, message["key"]), []).append((message, version))
    lost = 0
    for (pid, key), sent in by_player.items():
        acked = [(v, m) for m, v in sent if v is not None]
        if not acked:
            continue
        allowed = [_normal(max(acked, key=lambda a: a[0])[1]["value"])]
        allowed += [_normal(m["value"]) for m, v in sent if v is None]
        d = where.get(pid, {}).get(key)
        shown = d.get("votes", {}).get(pid, None) if d is not None else None
        if shown is None or _normal(shown) not in allowed:
            lost += 1
    return lost


# --- the floor: a minimal websockets broadcast server --------------------------------------

FLOOR_SERVER = r"""
import asyncio, sys
from websockets.asyncio.server import broadcast, serve

size, port = int(sys.argv[1]), int(sys.argv[2])
clients = set()

async def handler(ws):
    if ws.request.path == "/trigger":
        async for message in ws:  # "v": broadcast the event of that version, of the size
            head = '{"type":"event","v":%s,"patch":["' % message
            broadcast(clients, head + "x" * max(0, size - len(head) - 3) + '"]}')
        return
    await ws.send('{"type":"snapshot","v":0,"ref":null,"view":{"me":{"id":"floor"}}}')
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)

async def main():
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""


async def measure_floor(n: int, size: int, repeat: int, args) -> dict:
    from websockets.asyncio.client import connect

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            FLOOR_SERVER,
            str(size),
            str(args.port_base and args.port_base + 99),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    streams: list[Stream] = []
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)

        async def one(i: int) -> Stream | None:
            async with gate:
                try:
                    return await open_stream(
                        url.replace("http", "ws"), url, None, source_address(i // SIZE), 30
                    )
                except Exception:  # noqa: BLE001 - counted as not connected
                    return None

        streams = [s for s in await asyncio.gather(*(one(i) for i in range(n))) if s]
        trigger = await connect(f"ws://127.0.0.1:{port}/trigger", proxy=None, compression=None)
        samples: list[float] = []
        missing_total = 0
        for v in range(1, repeat + 1):
            t0 = time.perf_counter()
            await trigger.send(str(v))
            missing_total += await wait_versions(streams, v, args.timeout)
            samples += [(at - t0) * 1000 for s in streams if (at := s.reached(v)) is not None]
            await asyncio.sleep(0.2)
        await trigger.close()
        return summary(samples) | {
            "connected": len(streams),
            "frame_bytes": size,
            "changes": repeat,
            "players_not_reached": missing_total,
        }
    finally:
        await asyncio.gather(*(s.close() for s in streams))
        proc.terminate()
        proc.wait(10)


# --- one N ---------------------------------------------------------------------------------


def new_session() -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    from cases.loader import load_case
    from game import actions

    version, _created = load_case(ROOT / "cases" / "skole.yaml")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-host", defaults={"is_staff": True}
    )
    session = actions.create_session(host=user, case_version=version, options={"size": SIZE})
    return user, session


async def measure_n(
    url: str, code: str, warm_code: str, host_cookie: str, n: int, procs: Procs, args
) -> dict:
    HostClient = host_client_class()
    out: dict[str, Any] = {"players": n, "server": {}}
    # warm up: the code paths of a join and a socket, in another session, then gone
    warm = await join_storm(url, warm_code, SIZE, args, {})
    await asyncio.gather(*(p.close() for p in warm))
    host = HostClient(url, f"/ws/host/{code}/", host_cookie)
    await host.open(args.timeout)
    rss0 = procs.rss()
    cpu0 = procs.cpu()
    players = await join_storm(url, code, n, args, out)
    await asyncio.sleep(1.0)  # the last arrivals' frames
    rss1 = procs.rss()
    out["server"] |= {
        "rss_before_mb": rss0 / 2**20,
        "rss_after_mb": rss1 / 2**20,
        "kb_per_player": (rss1 - rss0) / 1024 / len(players) if players else None,
        "cpu_s_join": procs.cpu() - cpu0,
    }
    j = out["join"]
    print(
        f"  N={n}: join storm {j['seated']}/{n} seated"
        + (f" in {j['seconds']:.1f} s" if j["seconds"] is not None else " (timed out)")
        + f", {j['errors']} errors",
        flush=True,
    )
    try:
        await setup_round(host, players, args, out)
        await round_changes(host, players, args, out)
        r = out["round"]
        print(
            f"  N={n}: round change p99 {fmt_ms(r['p99_ms'])} over {r['changes']} changes",
            flush=True,
        )
        for per_player in args.storms:
            v = await vote_storm(url, code, host, players, procs, args, out, per_player)
            out["vote" if per_player == 1 else f"vote_x{per_player}"] = v
            print(
                f"  N={n}: vote storm ({per_player} per player) p99 {fmt_ms(v['p99_ms'])}, "
                f"{v['acked']}/{v['votes_sent']} acked",
                flush=True,
            )
        if "vote" in out:
            out["server"]["cpu_ms_per_vote"] = out["vote"]["server_cpu_ms_per_vote"]
    except Exception as exc:  # noqa: BLE001 - the figures so far are still worth printing
        out["error"] = f"{type(exc).__name__}: {exc}"
        print(f"  N={n}: stopped: {out['error']}", flush=True)
    finally:
        await host.close()
        await asyncio.gather(*(p.close() for p in players))
    return out


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


# --- the servers ---------------------------------------------------------------------------


def fresh_services(pg_url: str, redis_url: str) -> None:
    """An empty PostgreSQL database and Redis database of the bench's own (--cluster)."""
    from urllib.parse import urlsplit

    import psycopg
    import redis

    url = urlsplit(pg_url)
    name = url.path.lstrip("/")
    with psycopg.connect(
        host=url.hostname, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    redis.Redis.from_url(redis_url).flushdb()


def setup_django(args, tmp: Path) -> dict[str, str]:
    """Django in this process on the servers' database; the servers' environment."""
    for name in ("REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CONN_MAX_AGE"):
        os.environ.pop(name, None)  # the embedded defaults
    if args.cluster:
        fresh_services(args.pg_url, args.redis_url)
        os.environ["DATABASE_URL"] = args.pg_url
        os.environ["REDIS_URL"] = args.redis_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "policymaker.settings"
    os.environ.setdefault("MAX_PLAYERS", str(max(2000, *args.players)))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from game.management.commands.rehearse import server_env

    return server_env()


def start_servers(env: dict[str, str], args) -> tuple[Any, str, Procs]:
    from game.devserver import Cluster, Server

    base = args.port_base
    if args.cluster:
        cluster = Cluster(env, args.processes, port=base or None)
        for i, server in enumerate(cluster.servers):
            server.port = base + 1 + i if base else None
        url = cluster.start()
        return cluster, url, Procs([s.proc.pid for s in cluster.servers])  # type: ignore[union-attr]
    server = Server(env, port=base or None)
    url = server.start()
    return server, url, Procs([server.proc.pid])  # type: ignore[union-attr]


def run_one(n: int, env: dict[str, str], args) -> dict:
    from django.db import connection

    from game.management.commands.rehearse import login_cookie

    user, session = new_session()
    _user, warm = new_session()  # a few players first, so that the memory is the players'
    cookie, login = login_cookie(user)
    connection.close()
    server, url, procs = start_servers(env, args)
    t0 = time.monotonic()
    try:
        out = asyncio.run(measure_n(url, session.code, warm.code, cookie, n, procs, args))
    finally:
        servers = getattr(server, "servers", [server])
        tail = "\n".join(s.tail() for s in servers)
        server.stop()
        login.delete()
        connection.close()
    out["seconds"] = time.monotonic() - t0
    if "error" in out:
        out["server_log"] = tail.splitlines()[-20:]
    size = out.get("round", {}).get("frame_bytes_median")
    if not args.no_floor and size:
        out["floor"] = asyncio.run(measure_floor(n, size, out["round"]["changes"], args))
        f = out["floor"]
        print(f"  N={n}: floor p99 {fmt_ms(f['p99_ms'])}", flush=True)
        if f["p99_ms"] and out["round"]["p99_ms"]:
            out["ratio"] = out["round"]["p99_ms"] / f["p99_ms"]
    return out


# --- the table ------------------------------------------------------------------------------


def table(runs: list[dict]) -> str:
    def get(run: dict, *path: str) -> Any:
        value: Any = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def ms(*path: str):
        return lambda run: fmt_ms(get(run, *path))

    def join_cell(run: dict) -> str:
        j = run.get("join", {})
        if not j:
            return "—"
        if j["timed_out"]:
            return f"timed out ({j['seated']}/{j['players']})"
        if j["seated"] < j["players"]:
            return f"{j['seated']}/{j['players']} in {j['seconds']:.1f} s"
        return f"{j['seconds']:.1f} s"

    def count(*path: str):
        return lambda run: "—" if get(run, *path) is None else f"{get(run, *path):,}"

    def num(*path: str, fmt: str = "{:,.1f}"):
        return lambda run: "—" if get(run, *path) is None else fmt.format(get(run, *path))

    def reached(phase: str, key: str):
        def cell(run: dict) -> str:
            value = get(run, phase, key)
            return "—" if value is None else ("all" if value == 0 else f"{value:,} timed out")

        return cell

    def acked(key: str):
        def cell(run: dict) -> str:
            v = get(run, key)
            return "—" if not v else f"{v['acked']:,} / {v['votes_sent']:,}"

        return cell

    def vote_rows(key: str, label: str) -> list:
        return [
            (f"{label} storm, votes/s", num(key, "votes_per_s", fmt="{:,.0f}")),
            (f"{label} -> committee p50", ms(key, "p50_ms")),
            (f"{label} -> committee p99", ms(key, "p99_ms")),
            (f"{label}: acked / sent", acked(key)),
            (f"{label}: members reached", reached(key, "members_not_reached")),
            (f"{label}: gaps", count(key, "gaps")),
            (f"{label}: lost votes", count(key, "lost")),
        ]

    storms = sorted(
        {r.get(k, {}).get("votes_per_player", 1) for r in runs for k in r if k.startswith("vote")}
    )
    rows = [
        ("join storm: all seated", join_cell),
        ("join storm: errors", count("join", "errors")),
        ("round change p50", ms("round", "p50_ms")),
        ("round change p99", ms("round", "p99_ms")),
        ("round change max", ms("round", "max_ms")),
        ("round change: reached", reached("round", "players_not_reached")),
        ("round change frame, bytes", count("round", "frame_bytes_median")),
        *vote_rows("vote", "vote"),
        *[row for k in storms if k != 1 for row in vote_rows(f"vote_x{k}", f"vote x{k}")],
        ("server KB per player", num("server", "kb_per_player", fmt="{:,.0f}")),
        ("server CPU ms per vote", num("server", "cpu_ms_per_vote")),
        ("floor p50", ms("floor", "p50_ms")),
        ("floor p99", ms("floor", "p99_ms")),
        ("round p99 / floor p99", num("ratio")),
    ]
    head = ["N"] + [f"{r['players']:,}" for r in runs]
    body = [[name] + [cell(r) for r in runs] for name, cell in rows]
    width0 = max(len(row[0]) for row in [head, *body])
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(1, len(head))]
    lines = []
    for row in [head, *body]:
        cells = [c.rjust(w) for c, w in zip(row[1:], widths, strict=True)]
        lines.append(row[0].ljust(width0) + "  " + "  ".join(cells))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[200, 1000, 2000])
    parser.add_argument("--quick", action="store_true", help="40 and 200 players, shorter waits")
    parser.add_argument("--repeat", type=int, default=5, help="round changes each way")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for one change")
    parser.add_argument("--join-timeout", type=float, default=60.0)
    parser.add_argument(
        "--setup-timeout", type=float, default=60.0, help="seconds for form, start, round 1"
    )
    parser.add_argument("--round-budget", type=float, default=60.0, help="seconds of round changes")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds after the vote storm")
    parser.add_argument(
        "--storms",
        type=int,
        nargs="+",
        default=[1, 2],
        help="vote storms, each with this many votes per player within 10 s",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal server")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="two Daphne processes behind nginx on Redis and PostgreSQL",
    )
    parser.add_argument("--processes", type=int, default=2, help="Daphne processes of --cluster")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("PG_TEST_URL", "postgres://postgres@127.0.0.1:5432/pm_bench"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/4")
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=int(os.environ.get("BENCH_PORT_BASE", "0")),
        help="the servers' ports from here (0: free ones)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.players, args.repeat, args.join_timeout = [40, 200], 3, 60.0

    with tempfile.TemporaryDirectory(prefix="pm-bench-") as tmp:
        env = setup_django(args, Path(tmp))
        from daphne import __version__ as daphne_version

        mode = (
            f"{args.processes} Daphne processes behind nginx, Redis, PostgreSQL"
            if args.cluster
            else "one Daphne process, in-memory channel layer, SQLite"
        )
        meta = {
            "mode": "cluster" if args.cluster else "one process",
            "description": mode,
            "daphne": daphne_version,
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load_average_start": os.getloadavg()[0],
            "committee_size": SIZE,
            "connect_at_once": CONNECT_AT_ONCE,
            "storm_s": STORM_SECONDS,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        print(
            f"scale bench: {mode}; Daphne {daphne_version}, Python {platform.python_version()}, "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; all clients in one process; "
            f"committees of {SIZE}",
            flush=True,
        )
        runs = []
        for n in args.players:
            runs.append(run_one(n, env, args))
            meta["load_average_end"] = os.getloadavg()[0]
            args.out.write_text(json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n")
    print()
    print(table(runs))
    with_ratio = [r for r in runs if r.get("ratio") is not None]
    chosen = next((r for r in with_ratio if r["players"] == 1000), None)
    if chosen is None and with_ratio:
        chosen = max(with_ratio, key=lambda r: r["players"])
        why = (
            "1,000 players gave no round change"
            if any(r["players"] == 1000 for r in runs)
            else "1,000 players were not run"
        )
        print(f"({why}: the ratio is for {chosen['players']:,} players)")
    where = "on one process" if not args.cluster else f"on {args.processes} processes"
    if chosen is None:
        print("(no ratio: no floor was measured)")
        print("ratio: n/a")
    else:
        print(f"(round change p99 over the floor's, {chosen['players']:,} players {where})")
        print(f"ratio: {chosen['ratio']:.1f}")


if __name__ == "__main__":
    main()
