"""Delete the personal data of sessions past their retention time (see game/retention.py).

`make run` calls it at start; in production run it daily from cron, e.g.
``17 3 * * * cd /srv/policymaker && .venv/bin/python manage.py purge_sessions``.
"""

from django.core.management.base import BaseCommand, CommandParser

from game import retention


class Command(BaseCommand):
    help = (
        "Pseudonymise names, seat tokens and free texts of sessions that ended more than "
        "RETENTION_DAYS days ago (the pseudonymous research export keeps working)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="Override RETENTION_DAYS for this run."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the sessions that are due; change nothing."
        )

    def handle(self, *args, days: int | None = None, dry_run: bool = False, **options) -> None:
        if days is not None and days < 0:
            self.stderr.write("--days must be 0 or more.")
            raise SystemExit(2)
        if dry_run:
            codes = list(retention.due(days=days).values_list("code", flat=True))
            self.stdout.write(f"{len(codes)} session(s) due: {' '.join(codes) or '-'}")
            return
        codes = retention.purge_due(days=days)
        self.stdout.write(
            f"Personal data deleted from {len(codes)} session(s){': ' if codes else '.'}"
            + " ".join(codes)
        )
