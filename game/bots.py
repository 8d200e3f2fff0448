"""Bot players: real websocket clients that play a session to its end.

Used to rehearse a workshop alone (``manage.py rehearse``, the host dashboard's
"rehearse with bots"), to fill a session (``manage.py play_bots``) and to test
the whole stack end to end. A bot goes through the front door like a phone
would: ``POST /api/join/`` for a seat, then ``/ws/play/<code>/`` with the seat
cookie and an Origin header, and it only knows what its own view tells it.

Three layers:

- ``choose_value``: a random valid value for one decision of a view (pure).
- ``Brain``: given the player's view, the next message to send, or None (pure;
  the tests drive it against the rules directly, without a server).
- ``Bot`` on ``ViewClient``: the network: joining, the snapshot and patches,
  requests answered by ``ok``/``error``, reconnecting with backoff.

No Django here: bots may run in a process that never sets Django up.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from cases.schema import ONE_PICK_TYPES, PLAYED_TYPES

from .visibility import patch as apply_patches

log = logging.getLogger(__name__)

DEFAULT_PACE = 0.4  # mean think time in seconds: a bot pauses 0.2-0.6 s between moves
TICK = 0.1  # how often a waiting bot looks at the clock (grace periods)
REQUEST_TIMEOUT = 15.0  # an action with no ok/error after this is given up
# As static/js/live.js: a ping every 2 s, whose pong names the newest version this
# viewer has a frame of (a lost last frame shows there, as no later frame follows);
# a refused sync (its rate limit) is asked again.
PING_EVERY = 2.0
SYNC_RETRY = 2.0
SYNC_REF = "sync"
POLITICIAN_RATE = 0.1  # how often a lead locks its own vote against the majority
CATALYST_RATE = 0.6  # how often a role plays its move (a tool, an invitation, a frame)
PLAYED = PLAYED_TYPES  # played by one role, not voted on: tool, invitation, frame
# Close codes after which reconnecting cannot help (see game.consumers).
FATAL_CLOSE = {4401, 4403, 4404}

FIRST_NAMES = [
    "Anne", "Mads", "Sofie", "Jonas", "Ida", "Lars", "Mette", "Søren", "Freja", "Kasper",
    "Louise", "Niels", "Camilla", "Rasmus", "Line", "Henrik", "Maja", "Anders", "Karen", "Emil",
]  # fmt: skip

IDEAS = [
    "Lektiecafé med frivillige fra idrætsforeningen",
    "Elevrådet får en fast plads i udvalget",
    "Forældrenetværk på tværs af skolerne",
    "Åben skole: lokale virksomheder underviser i valgfag",
    "Bevægelse i hver eneste lektion",
    "Fælles trivselsmåling hvert halve år",
    "Udeskole én dag om ugen",
    "Valgfag sammen med musikskolen",
    "Borgermøde på skolen om skolens fremtid",
    "Læsevenner: de ældste elever læser med de yngste",
    "Flere tolærertimer i indskolingen",
    "Pensionister som læsementorer",
    "Skolebestyrelserne mødes med udvalget hvert kvartal",
    "Digital idébank, hvor forældre kan foreslå tiltag",
    "Fælles pulje til lærernes efteruddannelse",
    "Mentorordning for nye lærere",
    "Ungdomsskolen åbner efter skoletid",
    "Skolebus til naturskolen for alle klasser",
]

ANSWERS = [
    "Vi skulle have inviteret de unge med fra starten.",
    "Det var svært at være igangsætter og samtidig lytte.",
    "Vi trak politikerkortet én gang, og det kostede ejerskab.",
    "Koblingen til fagudvalget skal tænkes ind tidligt.",
    "Presset udefra fyldte mere, end vi havde regnet med.",
    "Uenighed kan godt være konstruktiv, hvis vi tager den åbent.",
    "Vi fik flere idéer, da forældrene sad med ved bordet.",
    "Næste gang vil jeg bruge mere tid på problemforståelsen.",
]


class BotError(Exception):
    """The server answered a bot's message with ``error``."""

    def __init__(self, code: str, reason: str = "") -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


# --- the moves ------------------------------------------------------------------------


def choose_value(d: dict, rng: random.Random, ideas: list[dict] | None = None) -> Any:
    """A random valid value for decision ``d`` (as a player's view shows it).

    choice/seats: min..max option ids; rank: a permutation; card/catalyst: one
    id; ideas: ``{idea_id: dots}`` with at most ``dots`` in all; budget: kept
    ideas whose costs fit the total.
    """
    ids = [o["id"] for o in d["options"]]
    kind = d["type"]
    if kind in ONE_PICK_TYPES:
        return rng.choice(ids)
    if kind == "rank":
        order = list(ids)
        rng.shuffle(order)
        return order
    if kind == "ideas":
        pool = [str(i["id"]) for i in ideas or []]
        dots: dict[str, int] = {}
        for _i in range(d["dots"] if pool else 0):
            key = rng.choice(pool)
            dots[key] = dots.get(key, 0) + 1
        return dots
    if kind == "budget":
        total = d["budget"]["total"]
        options = list(d["options"])
        rng.shuffle(options)
        want = rng.randint(1, max(1, len(options)))
        chosen: list[str] = []
        spent = 0
        for o in options:
            if len(chosen) < want and spent + o["cost"] <= total:
                chosen.append(o["id"])
                spent += o["cost"]
        return chosen
    high = min(d["max"], len(ids))
    return rng.sample(ids, rng.randint(min(d["min"], high), high))


def _normal(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


class Brain:
    """What a bot does next, given its view; pure apart from its random generator.

    It remembers what it already tried, so that a refused move is not repeated
    forever and a move is not sent twice before the view shows it.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        grace: float = 3.0,
        politician_rate: float = POLITICIAN_RATE,
        catalyst_rate: float = CATALYST_RATE,
    ) -> None:
        self.rng = rng
        self.grace = grace
        self.politician_rate = politician_rate
        self.catalyst_rate = catalyst_rate
        self.tried: set[tuple[str, str]] = set()
        self.first_seen: dict[str, float] = {}
        self.ideas_target: dict[str, int] = {}
        self.ideas_sent: dict[str, int] = {}
        self.lock_tries: dict[str, int] = {}
        self.lock_after: dict[str, float] = {}

    def next_move(self, view: dict, now: float) -> dict | None:
        session, me, c = view["session"], view["me"], view.get("committee")
        if session["status"] != "running" or c is None or me["removed"]:
            return None
        if session["round_info"]["reflection"]:
            move = self._reflect(me)
            if move is not None:  # reflect first; a round may also have decisions
                return move
        open_ = [d for d in c["decisions"] if d["locked"] is None]
        for d in open_:
            self.first_seen.setdefault(d["key"], now)
        for step in (self._idea, self._catalyst, self._vote, self._lock):
            for d in open_:
                move = step(d, c, me, now)
                if move is not None:
                    return move
        return None

    def retry(self, move: dict) -> None:
        """Try ``move`` again later: it was refused for its pace (slow_down), not for what it is."""
        self.tried.discard((move["type"], move.get("question", move.get("key"))))

    # --- one kind of move each; None when there is nothing to do ---------------------

    def _reflect(self, me: dict) -> dict | None:
        for q in me["questions"]:
            if q["id"] not in me["reflections"] and ("reflect", q["id"]) not in self.tried:
                self.tried.add(("reflect", q["id"]))
                text = self.rng.choice(ANSWERS)
                return {"type": "reflect", "question": q["id"], "text": text}
        return None

    def _idea(self, d: dict, c: dict, me: dict, now: float) -> dict | None:
        if d["type"] != "ideas":
            return None
        key = d["key"]
        target = self.ideas_target.setdefault(key, min(d["max_ideas"], self.rng.randint(1, 2)))
        sent = self.ideas_sent.get(key, 0)
        if sent >= target or _own_ideas(c, me) >= target:
            return None
        self.ideas_sent[key] = sent + 1
        return {"type": "idea", "text": self.rng.choice(IDEAS)}

    def _catalyst(self, d: dict, c: dict, me: dict, now: float) -> dict | None:
        if d["type"] not in PLAYED or not _leads(d, c, me) or ("catalyst", d["key"]) in self.tried:
            return None
        self.tried.add(("catalyst", d["key"]))
        if not d["options"] or self.rng.random() >= self.catalyst_rate:
            return None
        return {"type": "lock", "key": d["key"], "value": choose_value(d, self.rng)}

    def _vote(self, d: dict, c: dict, me: dict, now: float) -> dict | None:
        key = d["key"]
        if d["type"] in PLAYED or me["id"] in d["voted"] or ("vote", key) in self.tried:
            return None
        if d["type"] == "budget" and not d["options"]:
            return None  # nothing went forward to choose from
        if d["type"] == "ideas":
            if self.ideas_sent.get(key, 0) < self.ideas_target.get(key, 0):
                return None  # write first
            writers = {i["author"] for i in c["ideas"] if i["author"]}
            everyone = all(m["name"] in writers for m in c["members"])
            if not c["ideas"] or (not everyone and now - self.first_seen[key] < self.grace):
                return None  # give the others time to write before the dots
        self.tried.add(("vote", key))
        return {"type": "vote", "key": key, "value": choose_value(d, self.rng, c["ideas"])}

    def _lock(self, d: dict, c: dict, me: dict, now: float) -> dict | None:
        key = d["key"]
        if d["type"] in PLAYED or not _leads(d, c, me):
            return None
        if self.lock_tries.get(key, 0) >= 3 or now < self.lock_after.get(key, 0.0):
            return None
        everyone = {m["id"] for m in c["members"]} <= set(d["voted"])
        if d["majority"] is None or (not everyone and now - self.first_seen[key] < self.grace):
            return None
        self.lock_tries[key] = self.lock_tries.get(key, 0) + 1
        self.lock_after[key] = now + max(self.grace, 1.0)
        own = me["votes"].get(key)
        if (
            d["type"] != "ideas"
            and own is not None
            and _normal(own) != _normal(d["majority"])
            and self.rng.random() < self.politician_rate
        ):
            return {"type": "lock", "key": key, "value": own}  # the politician card
        return {"type": "lock", "key": key}


def _own_ideas(c: dict, me: dict) -> int:
    return sum(1 for i in c["ideas"] if i["author"] == me["name"] and not i["card"])


def _leads(d: dict, c: dict, me: dict) -> bool:
    """Whether this player locks ``d``: its lead role, or the first member if it has none."""
    if d["lead"] is not None:
        return d["lead"] == me["role"]
    return bool(c["members"]) and c["members"][0]["id"] == me["id"]


# --- the network ----------------------------------------------------------------------


def ws_base(url: str) -> str:
    url = url.rstrip("/")
    if url.startswith("https://"):
        return "wss://" + url.removeprefix("https://")
    return "ws://" + url.removeprefix("http://")


def join_seat(
    url: str, code: str, name: str, *, timeout: float = 15.0, join_pass: str | None = None
) -> dict:
    """``POST /api/join/`` (blocking); returns ``{code, token, cookie}`` or raises BotError.

    ``join_pass`` (``game.limits.join_pass``, made where the SECRET_KEY is) lets
    the host's own bots past the per-address join limit and the locked lobby.
    """
    headers = {"Content-Type": "application/json"}
    if join_pass:
        headers["X-Join-Pass"] = join_pass
    request = urllib.request.Request(
        url.rstrip("/") + "/api/join/",
        data=json.dumps({"code": code, "name": name}).encode(),
        headers=headers,
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = {}
        raise BotError(body.get("error", f"http_{exc.code}"), body.get("reason", "")) from None
    except (urllib.error.URLError, OSError) as exc:
        raise BotError("unreachable", str(exc)) from None


class ViewClient:
    """One websocket viewer: the view from snapshot + patches, and requests matched by ref.

    A frame whose ``prev`` is newer than the view (a lost frame), or a pong ahead
    of it, asks for ``sync`` until a snapshot comes; events older than the view are
    dropped. ``request`` returns the ``ok`` frame once the view has caught up
    with the version it names, or raises BotError for an ``error``.
    """

    def __init__(self, url: str, path: str, cookie: str) -> None:
        self.url = url.rstrip("/")
        self.ws_url = ws_base(url) + path
        self.cookie = cookie
        self.view: dict | None = None
        self.version = -1
        self.ws: ClientConnection | None = None
        self.closed: ConnectionClosed | None = None
        self.close_code: int | None = None
        self.refs = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}
        self._changed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._pinger: asyncio.Task | None = None
        self._syncing = False
        self._synced_at = 0.0
        self._ahead: int | None = None  # the version the last pong named, if the view was behind it
        self.bytes_in = 0

    def connect_options(self) -> dict[str, Any]:
        """More options for ``websockets``' connect (a subclass: the source address, say)."""
        return {}

    async def open(self, timeout: float = 15.0) -> None:
        """Connect and wait for the first snapshot; then ping as a phone does."""
        self.view, self.version, self.closed, self.close_code = None, -1, None, None
        self.ws = await connect(
            self.ws_url,
            origin=self.url,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie},
            proxy=None,
            open_timeout=timeout,
            max_size=None,
            **self.connect_options(),
        )
        self._reader = asyncio.create_task(self._read())
        self._pinger = asyncio.create_task(self._ping())
        await self.wait_until(lambda view: True, timeout)

    async def close(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            try:
                await self._reader
            except Exception:  # noqa: BLE001 - closing: nothing left to report
                pass

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                self.bytes_in += len(raw)
                try:
                    await self._frame(json.loads(raw))
                except (ValueError, KeyError, TypeError):
                    log.exception("%s: a frame that does not fit the protocol", self.ws_url)
                self._notify()
        except ConnectionClosed as exc:
            self.closed = exc
        else:
            self.closed = ConnectionClosed(self.ws.protocol.close_rcvd, self.ws.protocol.close_sent)
        self.close_code = self.ws.close_code
        for future in self.pending.values():
            if not future.done():
                future.set_exception(self.closed)
        self.pending.clear()
        self._notify()

    async def _frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "snapshot":
            self.view, self.version, self._syncing = frame["view"], frame["v"], False
        elif kind == "event":
            if self.view is None or self._syncing or frame["v"] <= self.version:
                return  # before the snapshot, while resyncing, or already in it
            if frame.get("prev", frame["v"] - 1) > self.version:  # a frame of ours was lost
                return await self._sync()
            self.view = apply_patches(self.view, frame["patch"])
            self.version = frame["v"]
        elif kind == "joined" and self.view is not None and not self._syncing:
            self.view = {**self.view, "joined": frame["n"]}  # not versioned
        elif kind == "pong":
            # A pong ahead of the view: the frame may be on its way. Still behind that
            # version at the next pong, the frame is lost.
            if self._ahead is not None and self.version < self._ahead and not self._syncing:
                return await self._sync()
            ahead = frame.get("v")
            self._ahead = ahead if ahead is not None and ahead > self.version else None
        elif kind == "error" and frame.get("ref") == SYNC_REF:
            pass  # refused for its rate: _ping asks again
        elif kind in ("ok", "error"):
            future = self.pending.pop(frame.get("ref"), None)  # type: ignore[arg-type]
            if future is None and kind == "error" and len(self.pending) == 1:
                # a refusal before parsing (slow_down) carries no ref: it is ours
                future = self.pending.pop(next(iter(self.pending)))
            if future is not None and not future.done():
                future.set_result(frame)
            elif kind == "error":
                log.info("%s: unrequested error %s", self.ws_url, frame.get("code"))

    async def _sync(self) -> None:
        self._syncing, self._synced_at, self._ahead = True, time.monotonic(), None
        await self.ws.send(json.dumps({"type": "sync", "ref": SYNC_REF}))  # type: ignore[union-attr]

    async def _ping(self) -> None:
        """A ping every PING_EVERY s; a sync still unanswered after SYNC_RETRY s again."""
        pings = itertools.count(1)
        while self.closed is None and self.ws is not None:
            await asyncio.sleep(PING_EVERY)
            try:
                if self._syncing and time.monotonic() - self._synced_at >= SYNC_RETRY:
                    await self._sync()
                await self.ws.send(json.dumps({"type": "ping", "ref": f"ping-{next(pings)}"}))
            except ConnectionClosed:
                return

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self, timeout: float) -> None:
        """Wait for the next frame (or the timeout)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass

    async def wait_until(self, predicate: Callable[[dict], bool], timeout: float) -> bool:
        """Wait until the view satisfies ``predicate``; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if self.closed is not None:
                raise self.closed
            if self.view is not None and not self._syncing and predicate(self.view):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await self.changed(left)

    async def request(self, message: dict, timeout: float = REQUEST_TIMEOUT) -> dict:
        """Send a message; return its ``ok`` once the view shows it, or raise BotError."""
        if self.closed is not None or self.ws is None:
            raise self.closed or BotError("not_connected")
        ref = next(self.refs)
        future = asyncio.get_running_loop().create_future()
        self.pending[ref] = future
        await self.ws.send(json.dumps(message | {"ref": ref}, ensure_ascii=False))
        try:
            frame = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.pending.pop(ref, None)
            raise BotError("timeout", f"no answer to {message['type']}") from None
        if frame["type"] == "error":
            raise BotError(frame.get("code", "error"), frame.get("reason", ""))
        version = frame.get("seen", frame.get("v"))  # the version this view reaches by it
        if version is not None:
            await self.wait_until(lambda view: self.version >= version, timeout)
        return frame


@dataclass
class BotStats:
    players: int = 0
    votes: int = 0
    ideas: int = 0
    locks: int = 0
    politician_cards: int = 0  # locks with an own value against the view's majority
    catalysts: int = 0
    reflections: int = 0
    errors: int = 0
    reconnects: int = 0
    timed_out: bool = False

    def __iadd__(self, other: BotStats) -> BotStats:
        for f in fields(self):
            if f.type == "int":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.timed_out = self.timed_out or other.timed_out
        return self

    def summary(self) -> str:
        return (
            f"{self.players} players, {self.votes} votes, {self.ideas} ideas, "
            f"{self.locks} locks ({self.politician_cards} politician cards, "
            f"{self.catalysts} catalysts), {self.reflections} reflections, "
            f"{self.errors} errors, {self.reconnects} reconnects"
            + (", timed out" if self.timed_out else "")
        )


class Bot:
    """One bot player over a real websocket, from joining until the session ends."""

    def __init__(
        self,
        url: str,
        code: str,
        name: str,
        *,
        seed: int = 0,
        pace: float = DEFAULT_PACE,
        grace: float | None = None,
    ) -> None:
        self.url, self.code, self.name = url.rstrip("/"), code.strip().upper(), name
        self.pace = pace
        self.brain = Brain(random.Random(seed), grace=grace if grace is not None else 2 + 5 * pace)
        self.timing = random.Random(seed + 7_919)  # think times apart from the moves
        self.stats = BotStats()
        self.token: str | None = None
        self.cookie_name = f"seat_{self.code}"
        self.client: ViewClient | None = None
        self.finished = False
        self.join_pass: str | None = None  # set by run_bots

    def think(self) -> float:
        return self.timing.uniform(self.pace / 2, self.pace * 1.5) if self.pace > 0 else 0.0

    async def join(self) -> None:
        seat = await asyncio.to_thread(
            join_seat, self.url, self.code, self.name, join_pass=self.join_pass
        )
        self.token, self.cookie_name = seat["token"], seat.get("cookie", self.cookie_name)
        self.code = seat.get("code", self.code)
        self.stats.players = 1

    async def run(self) -> BotStats:
        try:
            await self.join()
        except BotError as exc:
            log.warning("bot %s could not join %s: %s", self.name, self.code, exc)
            self.stats.errors += 1
            return self.stats
        failures = 0
        while not self.finished:
            self.client = ViewClient(
                self.url, f"/ws/play/{self.code}/", f"{self.cookie_name}={self.token}"
            )
            try:
                await self.client.open()
                failures = 0
                await self._play(self.client)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                code = self.client.close_code
                if isinstance(exc, InvalidStatus) or code in FATAL_CLOSE:
                    log.warning("bot %s refused (%s): %s", self.name, code, exc)
                    self.stats.errors += 1
                    return self.stats
                log.info("bot %s lost its connection: %s", self.name, exc)
            finally:
                await self.client.close()
            if not self.finished:
                failures += 1
                self.stats.reconnects += 1
                # exponential backoff with full jitter: no thundering herd after a restart
                await asyncio.sleep(self.timing.uniform(0, min(10.0, 0.2 * 2**failures)))
        return self.stats

    async def _play(self, client: ViewClient) -> None:
        while True:
            view = client.view
            if client.closed is not None:
                raise client.closed
            if view is not None and view["session"]["status"] == "ended":
                self.finished = True
                return
            move = self.brain.next_move(view, time.monotonic()) if view is not None else None
            if move is None:
                await client.changed(TICK)
                continue
            try:
                await client.request(move)
            except BotError as exc:
                # a race (someone locked first, the round moved on) is normal play
                self.stats.errors += 1
                log.info("bot %s: %s refused: %s", self.name, move["type"], exc)
                if exc.code == "slow_down":
                    self.brain.retry(move)
                    await asyncio.sleep(1.0)
            else:
                assert view is not None  # the move came from it
                self._count(move, view)
            pause = self.think()
            if pause:
                await asyncio.sleep(pause)

    def _count(self, move: dict, view: dict) -> None:
        kind = move["type"]
        if kind == "vote":
            self.stats.votes += 1
        elif kind == "idea":
            self.stats.ideas += 1
        elif kind == "reflect":
            self.stats.reflections += 1
        elif kind == "lock":
            self.stats.locks += 1
            d = next((d for d in view["committee"]["decisions"] if d["key"] == move["key"]), None)
            if d is not None and d["type"] == "catalyst":
                self.stats.catalysts += 1
            elif "value" in move:
                self.stats.politician_cards += 1


def bot_names(players: int) -> list[str]:
    return [f"Bot {FIRST_NAMES[i % len(FIRST_NAMES)]} {i + 1}" for i in range(players)]


async def run_bots(
    url: str,
    code: str,
    players: int,
    *,
    pace: float = DEFAULT_PACE,
    seed: int = 0,
    timeout: float | None = None,
    grace: float | None = None,
    join_pass: str | None = None,
) -> BotStats:
    """Run ``players`` bots in one session until it ends (or ``timeout`` seconds pass)."""
    bots = [
        Bot(url, code, name, seed=seed * 1000 + i, pace=pace, grace=grace)
        for i, name in enumerate(bot_names(players))
    ]
    for bot in bots:
        bot.join_pass = join_pass
    total = BotStats()
    if not bots:
        return total
    tasks = [asyncio.create_task(bot.run()) for bot in bots]
    try:
        await asyncio.wait_for(asyncio.wait(tasks), timeout)
    except TimeoutError:
        total.timed_out = True
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for bot, result in zip(bots, results, strict=True):
        if isinstance(result, Exception):  # a bug in one bot must not stop the others
            log.error("bot %s failed", bot.name, exc_info=result)
            bot.stats.errors += 1
        total += bot.stats
    return total


def start_bots_thread(url: str, code: str, players: int, **kwargs: Any) -> threading.Thread:
    """Run ``run_bots`` in a daemon thread with its own event loop; ``thread.stats`` at the end."""

    def target() -> None:
        thread.stats = asyncio.run(run_bots(url, code, players, **kwargs))  # type: ignore[attr-defined]
        log.info("bots in %s done: %s", code, thread.stats.summary())  # type: ignore[attr-defined]

    thread = threading.Thread(target=target, name=f"bots-{code}", daemon=True)
    thread.stats = None  # type: ignore[attr-defined]
    thread.start()
    return thread
