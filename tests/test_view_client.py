"""The bots' websocket client repairs its view as a phone does (static/js/live.js).

A scripted server stands in for the game: it hands out a snapshot, loses the
last frame of a change, and refuses the first sync for its rate. The client must
notice the loss from its ping's pong (no later frame shows the gap), ask again
after the refusal, and end with the newest view.
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.server import serve

from game import bots


async def test_a_lost_last_frame_and_a_refused_sync_are_repaired(monkeypatch):
    monkeypatch.setattr(bots, "PING_EVERY", 0.05)
    monkeypatch.setattr(bots, "SYNC_RETRY", 0.1)
    syncs: list[dict] = []

    async def game(ws) -> None:
        await ws.send(json.dumps({"type": "snapshot", "v": 1, "view": {"n": 1}}))
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "ping":  # the server has sent v2 to this viewer; it was lost
                await ws.send(json.dumps({"type": "pong", "ref": msg["ref"], "v": 2}))
            elif msg["type"] == "sync":
                syncs.append(msg)
                if len(syncs) == 1:
                    error = {"type": "error", "ref": msg.get("ref"), "code": "slow_down"}
                    await ws.send(json.dumps(error))
                else:
                    await ws.send(json.dumps({"type": "snapshot", "v": 2, "view": {"n": 2}}))

    async with serve(game, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = bots.ViewClient(f"http://127.0.0.1:{port}", "/ws/host/TEST/", "")
        await client.open()
        try:
            assert client.view == {"n": 1}
            assert await client.wait_until(lambda view: view["n"] == 2, 5.0)
        finally:
            await client.close()
    assert client.version == 2
    assert len(syncs) == 2 and all(s["ref"] == bots.SYNC_REF for s in syncs)


async def test_a_late_frame_is_waited_for_not_synced(monkeypatch):
    """A pong can overtake its frame: one pong ahead of the view is no gap yet."""
    monkeypatch.setattr(bots, "PING_EVERY", 0.05)
    syncs: list[dict] = []
    pongs = 0

    async def game(ws) -> None:
        nonlocal pongs
        await ws.send(json.dumps({"type": "snapshot", "v": 1, "view": {"n": 1}}))
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "ping":
                pongs += 1
                await ws.send(json.dumps({"type": "pong", "ref": msg["ref"], "v": 2}))
                if pongs == 1:  # the frame follows its pong
                    patch = [[["n"], 2]]
                    await ws.send(json.dumps({"type": "event", "v": 2, "prev": 1, "patch": patch}))
            elif msg["type"] == "sync":
                syncs.append(msg)

    async with serve(game, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = bots.ViewClient(f"http://127.0.0.1:{port}", "/ws/play/TEST/", "")
        await client.open()
        try:
            assert await client.wait_until(lambda view: view["n"] == 2, 5.0)
            while pongs < 4:
                await asyncio.sleep(0.05)
        finally:
            await client.close()
    assert syncs == []
