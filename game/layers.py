"""The embedded channel layer: Channels' in-memory layer, where a full queue is no silent loss.

Channels' ``InMemoryChannelLayer.group_send`` drops a message for a consumer
whose queue is full and says nothing: that viewer then misses a frame and does
not know it until its next frame or pong. Here a full queue is logged and
counted, and its stale frames are replaced by one ``game.resync``: the consumer
sends a fresh snapshot, which holds every change the dropped frames had. Other
messages in the queue (a seat moved to another device, say) are kept.

A group send also puts the message in each queue in turn instead of one task
per member (``send`` does not wait, and a round change reaches thousands), and
one copy of it in every queue, not one copy per member: consumers only read the
messages they get. And the base class looks through every queue and every group
for expired entries on each receive, which at a thousand connections was the
busiest code of the server (a profile of bench/broadcast.py at 400 players:
41 of 155 s); here that is done at most once a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from copy import deepcopy

from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

FRAMES = ("game.frames", "game.joined", "game.resync")  # what a snapshot makes stale


class InMemoryLayer(InMemoryChannelLayer):
    full = 0  # queues found full and turned into a resync, since the process started
    CLEAN_EVERY = 1.0  # seconds between looks for expired messages and group entries
    _cleaned = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned >= self.CLEAN_EVERY:
            self._cleaned = now
            super()._clean_expired()  # type: ignore[misc]  # the base class has it; its stubs do not

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        shared = (time.time() + self.expiry, deepcopy(message))  # not the sender's dict
        for channel in list(self.groups.get(group, {})):
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            try:
                queue.put_nowait(shared)
            except asyncio.QueueFull:
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
