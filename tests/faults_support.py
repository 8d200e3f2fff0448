"""Helpers for the fault tests: a session on a server's own database, players that keep
playing through a fault, a ledger of what the server acknowledged, and the checks.

The servers are real Daphne processes (game/devserver.py), so the test process does
not share their database through Django: the session is made by ``manage.py shell``
with the servers' environment, and what was saved is read back the same way.

A player here is a ``game.bots.ViewClient`` (the bots' websocket client: snapshot,
patches, a gap asks for a sync) with a loop that reconnects by itself with
exponential backoff and full jitter, as static/js/live.js does. While ``active`` it
votes, writes ideas and (as the round's lead) locks; every ``ok`` is written in the
ledger with the action and the version it made, the moment it arrives.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from game.bots import ViewClient, choose_value

from . import browser_support as bs

PING_EVERY = 2.0  # seconds, as live.js: the pong's version shows a missed event
GAP_GRACE = 1.0  # seconds a pong may be ahead of the view before it counts as a gap (live.js)
MAX_BACKOFF = 8.0  # seconds: the bots' longest wait between two tries (live.js: 15)
ANSWER = 5.0  # seconds an action may wait for its ok

SETUP = r"""
import json, sys
from django.contrib.auth import get_user_model
from cases.models import Case
from game import actions
from game.consumers import seat_cookie
from game.management.commands.rehearse import login_cookie

names, size, rounds = json.loads(sys.stdin.read())
user = get_user_model().objects.create_user("alice", is_staff=True)
version = Case.objects.get(slug="mini").latest()
session = actions.create_session(host=user, case_version=version, options={"size": size})
seats = {}
for name in names:
    player, token, _done = actions.join(session, name)
    seats[name] = [player.pid, token]
actions.perform(session.pk, {"kind": "form"}, actor="host")
actions.perform(session.pk, {"kind": "start"}, actor="host")
for r in range(rounds):
    actions.perform(session.pk, {"kind": "advance", "from_round": r}, actor="host")
session.refresh_from_db()
cookie, _store = login_cookie(user)
print("SETUP " + json.dumps({
    "code": session.code, "cookie": seat_cookie(session.code), "seats": seats,
    "host_cookie": cookie, "state": session.state,
}))
"""

READ = r"""
import json
from game.models import Event, Session
session = Session.objects.get(code=CODE)
print("READ " + json.dumps({
    "version": session.version,
    "state": session.state,
    "events": [[e.version, e.kind, e.actor, e.action]
               for e in Event.objects.filter(session=session).order_by("version")],
}))
"""


def _last_json(out: str, tag: str) -> dict:
    line = next(line for line in reversed(out.splitlines()) if line.startswith(tag + " "))
    return json.loads(line.removeprefix(tag + " "))


def setup_session(env: dict[str, str], names: list[str], size: int, rounds: int) -> dict:
    """A session of the mini case, formed, started and moved ``rounds`` rounds on."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP],
        cwd=bs.ROOT,
        env=env,
        input=json.dumps([names, size, rounds]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return _last_json(result.stdout, "SETUP")


def read_session(env: dict[str, str], code: str) -> dict:
    """The session as saved: version, state and the whole event log."""
    out = bs.manage(env, "shell", "-c", f"CODE = {code!r}\n" + READ)
    return _last_json(out, "READ")


# --- the ledger --------------------------------------------------------------------------


@dataclass
class Ledger:
    """Every action sent, and those the server acknowledged (with the version made)."""

    acked: list[dict] = field(default_factory=list)  # {"pid", "msg", "v", "i": index in sent}
    sent: list[dict] = field(default_factory=list)  # {"pid", "msg"}, acknowledged or not

    def check_against(self, saved: dict) -> None:
        """Nothing acknowledged is missing from the saved log or the saved state."""
        log = {v: (kind, actor, action) for v, kind, actor, action in saved["events"]}
        assert sorted(log) == list(range(1, saved["version"] + 1)), "the event log has a hole"
        for ack in self.acked:
            msg, pid = ack["msg"], ack["pid"]
            assert ack["v"] in log, f"acknowledged v{ack['v']} ({msg['type']}) is not saved"
            kind, actor, action = log[ack["v"]]
            assert (kind, actor) == (msg["type"], f"player:{pid}"), (ack, log[ack["v"]])
            for k, value in msg.items():
                if k != "type":
                    assert action.get(k) == value, (ack, action)
        state = saved["state"]
        for ack in self.acked:
            msg, pid = ack["msg"], ack["pid"]
            c = state["committees"][state["players"][pid]["committee"]]
            if msg["type"] == "idea":
                assert msg["text"] in [i["text"] for i in c["ideas"]], f"idea lost: {msg}"
            elif msg["type"] == "lock":
                assert c["decisions"][msg["key"]]["locked"] is not None, f"lock lost: {msg}"
        # each player's vote on each decision is the last one acknowledged, or one sent after
        # it (applied, but its ok was lost with the connection)
        last: dict[tuple[str, str], dict] = {}
        for ack in self.acked:
            if ack["msg"]["type"] == "vote":
                last[(ack["pid"], ack["msg"]["key"])] = ack
        for (pid, key), ack in last.items():
            c = state["committees"][state["players"][pid]["committee"]]
            saved_vote = c["decisions"][key]["votes"].get(pid)
            later = [
                s["msg"]["value"]
                for s in self.sent[ack["i"] + 1 :]
                if s["pid"] == pid and s["msg"]["type"] == "vote" and s["msg"]["key"] == key
            ]
            assert saved_vote == ack["msg"]["value"] or saved_vote in later, (ack, saved_vote)

    def count(self, kind: str) -> int:
        return sum(a["msg"]["type"] == kind for a in self.acked)


# --- a player that keeps playing through faults ----------------------------------------


class PingingClient(ViewClient):
    """The bots' client, plus the ping of live.js: a pong ahead of the view is a missed event."""

    async def _frame(self, frame: dict) -> None:
        if frame.get("type") == "pong":
            v = frame.get("v")
            if isinstance(v, int) and v > self.version and self.view:
                # the event may be on its way: a gap only if it has not come a second later
                asyncio.get_running_loop().call_later(
                    GAP_GRACE, lambda: asyncio.ensure_future(self._gap(v))
                )
            return
        await super()._frame(frame)
        if frame.get("type") == "event" and frame.get("v") == self.version:
            self.last_event = self.version  # reached by a live event, not by a snapshot

    last_event = -1

    async def _gap(self, v: int) -> None:
        if self.version < v and not self._syncing and self.closed is None and self.ws:
            self._syncing = True
            try:
                await self.ws.send(json.dumps({"type": "sync"}))
            except ConnectionClosed:
                pass

    async def ping(self) -> None:
        if self.ws is not None and self.closed is None:
            await self.ws.send(json.dumps({"type": "ping"}))


class Player:
    """One seat over a real websocket: plays while ``active``, reconnects by itself."""

    def __init__(self, url: str, path: str, cookie: str, pid: str, name: str, ledger: Ledger,
                 *, seed: int, lead: bool = False) -> None:  # fmt: skip
        self.url, self.path, self.cookie = url, path, cookie
        self.pid, self.name, self.ledger, self.lead = pid, name, ledger, lead
        self.rng = random.Random(seed)
        self.client: ViewClient | None = None
        self.active = False
        self.stopped = False
        self.snapshots: list[float] = []  # monotonic time of each (re)connect's snapshot
        self.lost: list[float] = []  # monotonic time each connection was lost
        self.ideas = 0
        self.errors: list[str] = []  # why each connection ended
        self.task: asyncio.Task | None = None

    @property
    def view(self) -> dict | None:
        return self.client.view if self.client else None

    @property
    def version(self) -> int:
        return self.client.version if self.client else -1

    @property
    def online(self) -> bool:
        return self.client is not None and self.client.closed is None and self.view is not None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self.stopped = True
        if self.client is not None:
            await self.client.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while not self.stopped:
            self.client = PingingClient(self.url, self.path, self.cookie)
            try:
                await self.client.open(timeout=10)
                self.snapshots.append(time.monotonic())
                failures = 0
                await self._play()
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                self.errors.append(f"{type(exc).__name__} {self.client.close_code}: {exc}"[:200])
            self.lost.append(time.monotonic())
            await self.client.close()
            failures += 1
            # exponential backoff with full jitter, as live.js: no herd after a restart
            await asyncio.sleep(self.rng.uniform(0, min(MAX_BACKOFF, 0.25 * 2**failures)))

    async def _play(self) -> None:
        client = self.client
        assert isinstance(client, PingingClient)
        pinged = time.monotonic()
        while True:
            if client.closed is not None:
                raise client.closed
            if time.monotonic() - pinged >= PING_EVERY:
                pinged = time.monotonic()
                await client.ping()
            move = self.next_move() if self.active else None
            if move is None:
                await client.changed(0.2)
                continue
            await self.act(move)
            await asyncio.sleep(self.rng.uniform(0.05, 0.25))

    async def act(self, msg: dict) -> dict | None:
        """Send one action; its ok goes in the ledger the moment it arrives."""
        client = self.client
        if client is None or client.ws is None or client.closed is not None:
            return None
        ref = next(client.refs)
        future = asyncio.get_running_loop().create_future()
        client.pending[ref] = future
        self.ledger.sent.append({"pid": self.pid, "msg": msg})
        index = len(self.ledger.sent) - 1
        try:
            await client.ws.send(json.dumps(msg | {"ref": ref}, ensure_ascii=False))
            frame = await asyncio.wait_for(future, ANSWER)
        except (ConnectionClosed, TimeoutError):
            client.pending.pop(ref, None)
            return None
        if frame["type"] == "ok":
            self.ledger.acked.append({"pid": self.pid, "msg": msg, "v": frame["v"], "i": index})
        return frame

    def next_move(self) -> dict | None:
        view = self.view
        if view is None or view["committee"] is None or view["session"]["status"] != "running":
            return None
        c, me = view["committee"], view["me"]
        open_ = [d for d in c["decisions"] if d["locked"] is None]
        ideas = next((d for d in open_ if d["type"] == "ideas"), None)
        if ideas is not None and self.ideas < ideas["max_ideas"] and self.rng.random() < 0.3:
            self.ideas += 1
            return {
                "type": "idea",
                "text": f"{self.name}: idé {self.ideas} ({self.rng.randrange(10**6)})",
            }
        votable = [d for d in open_ if d["type"] not in ("catalyst",)]
        if ideas is not None and not c["ideas"]:
            votable.remove(ideas)
        if self.lead and self.rng.random() < 0.15:
            lockable = [
                d for d in open_ if d["lead"] == me["role"] and d["type"] in ("card", "catalyst")
            ]
            for d in lockable:
                if d["type"] == "catalyst":
                    return {"type": "lock", "key": d["key"], "value": choose_value(d, self.rng)}
                if d["majority"] is not None:
                    return {"type": "lock", "key": d["key"]}
        if not votable:
            return None
        d = self.rng.choice(votable)
        return {"type": "vote", "key": d["key"], "value": choose_value(d, self.rng, c["ideas"])}


async def fresh_view(url: str, path: str, cookie: str) -> ViewClient:
    client = ViewClient(url, path, cookie)
    await client.open(timeout=15)
    return client


async def same_as_fresh(
    url: str, path: str, cookie: str, current: Any, timeout: float = 15
) -> None:
    """``current()`` (a (version, view) pair) equals a fresh snapshot of the same seat.

    A fresh player connection is a presence change itself, and a viewer is sent
    frames only for the changes it can see (so its version need not be the
    session's): both sides are compared once their views agree, within ``timeout``.
    A client that has meanwhile taken a snapshot newer than the fresh one (its
    version is the session's, even with nothing in it for this seat) is compared
    with a fresh snapshot taken again.
    """
    fresh = await fresh_view(url, path, cookie)
    try:
        deadline = time.monotonic() + timeout
        while True:
            version, view = current()
            if view == fresh.view and version <= fresh.version and not fresh._syncing:
                return
            assert time.monotonic() < deadline, (
                f"{path}: the view (v{version}) differs from a fresh snapshot (v{fresh.version})"
            )
            if version > fresh.version and not fresh._syncing:
                await fresh.close()
                fresh = await fresh_view(url, path, cookie)
            await asyncio.sleep(0.05)
    finally:
        await fresh.close()


def replay(frames: list[str]) -> tuple[int, dict | None]:
    """The view a client makes of the frames it received, by the client rule of docs/protocol.md."""
    from game.visibility import patch

    view, version, syncing = None, -1, False
    for text in frames:
        frame = json.loads(text)
        if frame.get("type") == "snapshot":
            view, version, syncing = frame["view"], frame["v"], False
        elif frame.get("type") == "event" and view is not None and not syncing:
            if frame["v"] <= version:
                continue  # the snapshot already holds it
            if frame.get("prev", frame["v"] - 1) <= version:
                view, version = patch(view, frame["patch"]), frame["v"]
            else:
                syncing = True  # the page asks for a sync; the snapshot follows
    return version, view
