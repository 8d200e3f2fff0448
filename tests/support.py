"""Clients for tests: websockets as a browser on this site would open them."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from game import visibility
from game.consumers import seat_cookie
from policymaker.asgi import application


def connect(
    path: str, *, cookies: dict[str, str] | None = None, user=None
) -> WebsocketCommunicator:
    """A websocket client as a browser on this site would open it."""
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    if user is not None:
        communicator.scope["user"] = user
    return communicator


def player_client(session, token: str) -> WebsocketCommunicator:
    return connect(f"/ws/play/{session.code}/", cookies={seat_cookie(session.code): token})


WAIT = 3  # seconds a frame may take to arrive (in-memory layer: milliseconds in practice)
QUIET = 0.1  # seconds of silence that count as "nothing arrived"


class Client:
    """One websocket client, as the browser page keeps it: a view and its version."""

    def __init__(self, communicator, name: str) -> None:
        self.communicator = communicator
        self.name = name
        self.view: dict | None = None
        self.v = 0
        self.events: list[dict] = []  # every event frame, in order
        self.open = False

    async def connect(self) -> dict:
        """Connect and read the first frame (a snapshot, or the refusal)."""
        connected, _ = await self.communicator.connect()
        assert connected
        self.open = True
        return await self.frame()

    async def frame(self, timeout: float = WAIT) -> dict:
        """The next frame; a snapshot or an event also updates the view."""
        frame = json.loads(await self.communicator.receive_from(timeout))
        if frame["type"] == "snapshot":
            self.view, self.v = frame["view"], frame["v"]
        elif frame["type"] == "joined" and self.view is not None:
            self.view["joined"] = frame["n"]  # not versioned (docs/protocol.md)
        elif frame["type"] == "event":
            self.events.append(frame)
            if frame["v"] > self.v:  # an event the snapshot already holds is skipped
                # No frame for this viewer was lost in between (docs/protocol.md).
                assert frame["prev"] <= self.v, f"{self.name}: gap {self.v} -> {frame}"
                visibility.patch(self.view, copy.deepcopy(frame["patch"]))
                self.v = frame["v"]
        return frame

    async def reply(self) -> dict:
        """The answer to a request: the next frame that is not an event."""
        while True:
            frame = await self.frame()
            if frame["type"] not in ("event", "joined"):
                return frame

    async def send(self, **message: Any) -> dict:
        await self.communicator.send_to(text_data=json.dumps(message))
        return await self.reply()

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> dict:
        await self.communicator.send_to(text_data=text, bytes_data=data)
        return await self.reply()

    async def until(self, v: int) -> None:
        """Read events until the view holds every change up to version v that it can see.

        A viewer gets frames only for changes it can see: the session's stream
        versions (what a pong would say, read here from the database so that no
        ping counts against the client's rate limit) say which version that is.
        """
        deadline = asyncio.get_running_loop().time() + WAIT
        while self.v < v:
            made, seen = await database_sync_to_async(self._seen)()
            if made < v:  # the change is not saved yet (a test's action in flight)
                assert asyncio.get_running_loop().time() < deadline, f"{self.name}: no v{v}"
                await asyncio.sleep(0.02)
                continue
            target = min(v, seen)
            if self.v >= target:
                return
            while self.v < target:
                await self.frame()

    def _seen(self) -> tuple[int, int]:
        """The session's version, and the version of the last frame the server sent
        this viewer (game.wire.seen)."""
        from game import wire
        from game.models import Session

        assert self.view is not None
        made, streams = Session.objects.filter(code=self.view["session"]["code"]).values_list(
            "version", "streams"
        )[0]
        if "me" in self.view:
            me = self.view["me"]
            return made, wire.seen(streams, "player", me["id"], visibility.stream_of(me))
        return made, wire.seen(streams, "host" if "players" in self.view else "projector")

    async def event(self) -> dict:
        frame = await self.frame()
        assert frame["type"] == "event", frame
        return frame

    async def nothing(self) -> bool:
        return await self.communicator.receive_nothing(QUIET)

    async def close(self) -> None:
        if self.open:
            self.open = False
            await self.communicator.disconnect()


async def everyone_until(clients: list[Client], v: int) -> None:
    for c in clients:
        await c.until(v)


# --- a whole game through the actions layer ---------------------------------------------------


def play_whole_game(
    session,
    *,
    seed: int = 0,
    text=None,
    politician_rate: float = 0.5,
    catalyst_rate: float = 1.0,
    form: bool = True,
) -> None:
    """Play a session from the lobby to its end through the actions layer, as bots would.

    Every seated player moves like ``game.bots.Brain`` (votes, ideas, locks, the
    politician card now and then, the reflection answers); ``text(pid, move)``
    may give an idea or an answer a text of the test's own. The host forms the
    committees (unless ``form`` is False: formed already), starts, advances every round
    of the case and ends the session.
    """
    import random

    from game import actions, protocol, visibility
    from game.bots import Brain

    def host(action: dict) -> None:
        actions.perform(session.pk, action, actor="host")

    if form:
        host({"kind": "form"})
    host({"kind": "start"})
    session.refresh_from_db()
    case = session.case
    seated = [pid for pid, p in session.state["players"].items() if not p["removed"]]
    brains = {  # seeded by the order of joining, not the ids: the same game in any database
        pid: Brain(
            random.Random(seed * 100 + i),
            grace=10.0,
            politician_rate=politician_rate,
            catalyst_rate=catalyst_rate,
        )
        for i, pid in enumerate(sorted(seated, key=int))
    }
    for index in range(len(case.rounds)):
        now, idle = 0.0, 0
        while idle < 2:  # two quiet passes, the second after every grace period ran out
            moved = False
            for pid, brain in brains.items():
                session.refresh_from_db()
                move = brain.next_move(
                    visibility.player_view(case, session.state, pid, session.meta()), now
                )
                if move is None:
                    continue
                if text is not None and move["type"] in ("idea", "reflect"):
                    move["text"] = text(pid, move)
                action = protocol.to_action(protocol.parse("player", json.dumps(move)))
                action["player"] = pid
                actions.perform(session.pk, action, actor=f"player:{pid}")
                moved = True
            idle = 0 if moved else idle + 1
            now += 0.0 if moved else 100.0
        if index + 1 < len(case.rounds):
            host({"kind": "advance"})
    host({"kind": "end"})
    session.refresh_from_db()
