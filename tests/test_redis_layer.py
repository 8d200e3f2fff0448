"""The Redis channel layer, configured as in the settings, delivers a group message."""

import asyncio
import os
import uuid

import pytest
from channels_redis.core import RedisChannelLayer

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (make test sets it)")
async def test_group_send_reaches_a_member() -> None:
    layer = RedisChannelLayer(hosts=[REDIS_URL], capacity=1500, group_expiry=6 * 60 * 60)
    group = f"test-{uuid.uuid4().hex}"  # unique: the Redis server may be shared
    channel = await layer.new_channel()
    try:
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "round.changed", "version": 1})
        assert await layer.receive(channel) == {"type": "round.changed", "version": 1}
    finally:
        await layer.group_discard(group, channel)
        await layer.close_pools()


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (make test sets it)")
@pytest.mark.django_db(transaction=True)
async def test_a_vote_reaches_the_committee_through_redis(settings, formed_session, seats) -> None:
    """The game's broadcast (frames of text in one group message) survives Redis's encoding."""
    from channels.db import database_sync_to_async
    from channels.layers import channel_layers

    from game import actions
    from tests.support import Client, player_client

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"test-{uuid.uuid4().hex[:8]}"},
        }
    }
    channel_layers.backends.clear()  # built anew from the settings above
    try:
        for kind in ("start", "advance"):
            await database_sync_to_async(actions.perform)(
                formed_session.pk, {"kind": kind}, actor="host"
            )
        bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
        dan = Client(player_client(formed_session, seats["Dan"][1]), "Dan")
        for client in (bo, dan):
            assert (await client.connect())["type"] == "snapshot"
        answer = await bo.send(type="vote", key="fokus", value=["f1"], ref=1)
        assert answer == {"type": "ok", "ref": 1, "v": answer["v"], "seen": answer["seen"]}
        await dan.until(answer["v"])
        fokus = next(d for d in dan.view["committee"]["decisions"] if d["key"] == "fokus")
        assert fokus["tally"] == {"f1": 1} and seats["Bo"][0] in fokus["voted"]
        for client in (bo, dan):
            await client.close()
    finally:
        layer = channel_layers.backends.pop("default", None)
        if layer is not None:
            await layer.flush()
            await layer.close_pools()


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (make test sets it)")
async def test_a_change_to_every_committee_of_2000_players_reaches_every_one(monkeypatch) -> None:
    """A round change at 2,000 players is a group send to each of 400 committees' streams:
    through Redis (its pool of 100 connections) every one arrives, none is lost."""
    from game import actions

    layer = RedisChannelLayer(  # as configured in the settings, on a prefix of its own
        hosts=[REDIS_URL], capacity=1500, prefix=f"test-{uuid.uuid4().hex[:8]}"
    )
    monkeypatch.setattr(actions, "get_channel_layer", lambda: layer)
    channels = [await layer.new_channel() for _ in range(400)]
    groups = [f"session.0.c.{i}" for i in range(len(channels))]
    try:
        for group, channel in zip(groups, channels, strict=True):
            await layer.group_add(group, channel)
        frame = {"type": "game.frames", "v": 7, "prev": 6, "shared": "[]"}
        done = actions.Done(10**9 + os.getpid(), 7, [], [(g, frame) for g in groups])
        await actions.broadcast(done)
        for channel in channels:
            assert (await asyncio.wait_for(layer.receive(channel), 5))["v"] == 7
    finally:
        await layer.flush()
        await layer.close_pools()
