"""``manage.py load_case FILE [FILE ...]``: validate case files and store new versions."""

from django.core.management.base import BaseCommand, CommandError

from cases.loader import load_case
from cases.schema import CaseError


class Command(BaseCommand):
    help = "Validate case files (YAML) and store each as a new case version if it changed."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="a case file (YAML)")

    def handle(self, *args, files: list[str], **options):
        for path in files:
            try:
                version, created = load_case(path)
            except CaseError as exc:
                # Exit status 1, the message (file, place, what was expected) on stderr.
                raise CommandError(str(exc)) from exc
            slug = version.case.slug
            if created:
                self.stdout.write(self.style.SUCCESS(f"Loaded {slug} v{version.number}"))
            else:
                self.stdout.write(f"{slug} v{version.number} unchanged")
