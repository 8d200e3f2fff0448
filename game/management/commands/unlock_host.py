"""``manage.py unlock_host [--username host]``: lift a login pause (django-axes) at once."""

from __future__ import annotations

from typing import Any

from axes.utils import reset
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Lift the pause after too many failed logins: for the account (default 'host'), "
        "for an address (--ip), or for everyone (--all)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="host")
        parser.add_argument("--ip", help="also lift the pause for this address")
        parser.add_argument("--all", action="store_true", help="lift every pause")

    def handle(self, *args: Any, username: str, ip: str | None, all: bool, **options: Any) -> None:
        if all:
            count = reset()
        else:
            count = reset(username=username)
            if ip:
                count += reset(ip=ip)
        self.stdout.write(f"Lifted {count} failed-login record(s); logging in works again.")
