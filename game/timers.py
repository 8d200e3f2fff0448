"""The round clock runs on the server: one small loop per server process.

Every process checks once a second for sessions whose timer is due and fires
them through the actions layer; the rules fire a timer once, so a second
process that finds the same session due is refused and does nothing.
"""

from __future__ import annotations

import asyncio
import logging

from . import actions

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds; a round timer shown in whole seconds needs no finer grain

_task: asyncio.Task | None = None


async def _loop() -> None:
    while True:
        try:
            await actions.fire_due_timers()
        except Exception:  # a database hiccup must not stop the clock for good
            log.exception("timer loop")
        await asyncio.sleep(INTERVAL)


def ensure_running() -> None:
    """Start this process's loop the first time a client connects."""
    global _task
    if _task is None or _task.done():
        _task = asyncio.get_running_loop().create_task(_loop())
