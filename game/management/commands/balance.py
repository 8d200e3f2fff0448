"""``manage.py balance CASE``: the balance report of a case (see ``game.balance``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.schema import CaseError, load_case_file
from game import balance


class Command(BaseCommand):
    help = "Play thousands of committees through the rules and print the case's balance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case", help="a case file, e.g. cases/skole.yaml")
        parser.add_argument("--games", type=int, default=1000, help="games per policy")
        parser.add_argument("--size", type=int, default=4, help="committee size (3-8)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts) -> None:
        try:
            case, _raw = load_case_file(opts["case"])
        except CaseError as exc:
            raise CommandError(str(exc)) from None
        if opts["games"] < 1:
            raise CommandError("--games must be at least 1")
        figures = balance.run(case, opts["games"], size=opts["size"], seed=opts["seed"])
        self.stdout.write(balance.report(case, figures))
