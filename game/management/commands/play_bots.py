"""``manage.py play_bots CODE --players N``: bot players join a session and play it to the end."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from game.bots import DEFAULT_PACE, run_bots
from game.limits import join_pass


class Command(BaseCommand):
    help = "Bot players join the session CODE over the server's websockets and play until it ends."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the session's join code")
        parser.add_argument("--players", type=int, default=4)
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
        parser.add_argument(
            "--pace", type=float, default=DEFAULT_PACE, help="mean think time in seconds"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--timeout", type=float, default=4 * 3600, help="give up after this many seconds"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 1 <= opts["players"] <= 200:
            raise CommandError("--players must be 1 to 200.")
        stats = asyncio.run(
            run_bots(
                opts["url"],
                opts["code"],
                opts["players"],
                pace=opts["pace"],
                seed=opts["seed"],
                timeout=opts["timeout"],
                join_pass=join_pass(opts["code"]),
            )
        )
        line = f"bots in {opts['code'].upper()}: {stats.summary()}"
        if stats.players == 0:
            raise CommandError(f"{line}: no bot could join (is the server at {opts['url']}?)")
        self.stdout.write(line)
