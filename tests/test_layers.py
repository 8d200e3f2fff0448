"""The embedded channel layer: a consumer whose queue is full is sent a snapshot, not silence."""

from __future__ import annotations

import logging
import time

from channels.layers import InMemoryChannelLayer

from game import layers
from game.layers import InMemoryLayer


def _frame(v: int) -> dict:
    return {"type": "game.frames", "v": v, "prev": v - 1, "stream": "1", "shared": "[]"}


async def test_a_full_queue_turns_its_frames_into_one_resync(caplog):
    layer = InMemoryLayer(capacity=3)
    slow, quick = await layer.new_channel(), await layer.new_channel()
    for channel in (slow, quick):
        await layer.group_add("session.1.c.1", channel)
    revoke = {"type": "game.revoke", "players": ["4"]}
    await layer.send(slow, revoke)  # not a frame: a snapshot does not stand in for it
    with caplog.at_level(logging.WARNING, logger="game.layers"):
        for v in range(1, 5):  # the slow consumer reads nothing meanwhile
            await layer.group_send("session.1.c.1", _frame(v))
            if v <= 2:
                assert (await layer.receive(quick))["v"] == v
    assert await layer.receive(slow) == revoke
    assert await layer.receive(slow) == {"type": "game.resync"}  # the frames it missed: gone
    # What came after the resync is queued as usual (the snapshot holds it: skipped).
    assert (await layer.receive(slow))["v"] == 4
    # The consumer that keeps up loses nothing.
    assert [(await layer.receive(quick))["v"] for _ in range(2)] == [3, 4]
    assert InMemoryLayer.full >= 1
    assert "was full" in caplog.text and slow in caplog.text


async def test_a_group_send_reaches_every_member_once():
    layer = InMemoryLayer(capacity=10)
    channels = [await layer.new_channel() for _ in range(5)]
    for channel in channels:
        await layer.group_add("g", channel)
    await layer.group_send("g", _frame(1))
    assert [layer.channels[channel].qsize() for channel in channels] == [1] * 5
    for channel in channels:
        assert (await layer.receive(channel))["v"] == 1


async def test_expired_messages_are_swept_once_a_second_not_at_every_receive(monkeypatch):
    layer = InMemoryLayer(capacity=1000, expiry=60)
    layer.cleaned_at = time.monotonic()  # it has just swept
    sweeps = []
    base = InMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        InMemoryChannelLayer, "_clean_expired", lambda self: sweeps.append(1) or base(self)
    )
    stale, busy = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", stale)
    await layer.group_add("g", busy)
    await layer.send(stale, _frame(1))
    layer.channels[stale]._queue[0] = (time.time() - 1, _frame(1))  # its minute is up
    for v in range(100):  # a busy room: many sends and receives within a second
        await layer.group_send("g", _frame(v))
        assert (await layer.receive(busy))["v"] == v
    assert sweeps == []  # no walk over every queue and group within the second
    assert stale in layer.groups["g"]
    monkeypatch.setattr(layers, "CLEAN_EVERY", 0.0)  # a second later
    await layer.group_send("g", _frame(100))
    # The expired message was swept, and its channel with it (from the group too).
    assert stale not in layer.groups["g"]
    assert (await layer.receive(busy))["v"] == 100
