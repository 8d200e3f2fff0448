"""The embedded channel layer: a consumer whose queue is full is sent a snapshot, not silence."""

from __future__ import annotations

import asyncio
import logging

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


async def test_an_expired_message_still_takes_its_channel_out_of_its_groups():
    """Looked for at most once a second: a consumer that died with a message waiting
    leaves its groups once that message has expired, and the others stay."""
    layer = InMemoryLayer(capacity=10, expiry=0.2)
    layer.CLEAN_EVERY = 0.1
    dead, alive = await layer.new_channel(), await layer.new_channel()
    for channel in (dead, alive):
        await layer.group_add("g", channel)
    await layer.group_send("g", _frame(1))
    assert (await layer.receive(alive))["v"] == 1  # the dead one never reads its copy
    await asyncio.sleep(0.3)
    await layer.group_send("g", _frame(2))
    assert set(layer.groups["g"]) == {alive}
    assert (await layer.receive(alive))["v"] == 2


async def test_a_group_send_is_not_changed_by_its_sender_afterwards():
    layer = InMemoryLayer(capacity=10)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    message = _frame(1)
    await layer.group_send("g", message)
    message["v"] = 99
    assert (await layer.receive(channel))["v"] == 1
