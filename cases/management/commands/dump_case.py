"""``manage.py dump_case SLUG [-o FILE]``: write a case's latest version as YAML."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.loader import dump_case
from cases.models import Case, CaseVersion


class Command(BaseCommand):
    help = "Write the latest version of a case as YAML (to stdout, or to a file with -o)."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE")

    def handle(self, *args, slug: str, output: str | None = None, **options):
        try:
            text = dump_case(slug)
        except Case.DoesNotExist:
            raise CommandError(f"No case with the slug '{slug}'.") from None
        except CaseVersion.DoesNotExist:
            raise CommandError(f"The case '{slug}' has no version yet.") from None
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
