"""The Redis channel layer, configured as in the settings, delivers a group message."""

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
