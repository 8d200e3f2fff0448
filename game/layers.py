"""The embedded channel layer: Channels' in-memory layer, where a full queue is no silent loss.

Channels' ``InMemoryChannelLayer.group_send`` drops a message for a consumer
whose queue is full and says nothing: that viewer then misses a frame and does
not know it until its next frame or pong. Here a full queue is logged and
counted, and its stale frames are replaced by one ``game.resync``: the consumer
sends a fresh snapshot, which holds every change the dropped frames had. Other
messages in the queue (a seat moved to another device, say) are kept.

A group send also puts the message in each queue in turn instead of one task
per member: ``send`` does not wait, and a round change reaches thousands.

Channels' layer sweeps every queue and every group for expired messages and
memberships on each receive and each group send: with 500 connections in three
groups each, that walk was a sixth of the server's CPU in the soak
(bench/soak.py). Here it runs at most once a second; messages expire after a
minute and memberships after hours, so a second later changes nothing.
"""

from __future__ import annotations

import logging
import time

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

FRAMES = ("game.frames", "game.joined", "game.resync")  # what a snapshot makes stale


CLEAN_EVERY = 1.0  # seconds between two sweeps for expired messages and memberships


class InMemoryLayer(InMemoryChannelLayer):
    full = 0  # queues found full and turned into a resync, since the process started
    cleaned_at = 0.0  # when this layer last swept

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self.cleaned_at >= CLEAN_EVERY:
            self.cleaned_at = now
            super()._clean_expired()  # type: ignore[misc]  # the base class has it; its stubs do not

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            try:
                await self.send(channel, message)
            except ChannelFull:
                self._resync(channel, group)

    def _resync(self, channel: str, group: str) -> None:
        queue = self.channels[channel]
        kept = []
        while not queue.empty():
            expires, queued = queue.get_nowait()
            if queued.get("type") not in FRAMES:
                kept.append((expires, queued))
        for item in [*kept, (time.time() + self.expiry, {"type": "game.resync"})]:
            queue.put_nowait(item)
        InMemoryLayer.full += 1
        log.warning(
            "the queue of %s (group %s) was full: its frames dropped, a snapshot instead "
            "(%s since start; CHANNEL_LAYERS capacity %s)",
            channel,
            group,
            InMemoryLayer.full,
            self.capacity,
        )
