"""Mark every player offline; `make run` calls it before the server starts.

Presence is counted per connection; connections do not survive a restart, so
the counts from before it would show people online who are not (yet) back.
With several server processes, run it only when all of them restart.
"""

from django.core.management.base import BaseCommand

from game import actions
from game.models import Session


class Command(BaseCommand):
    help = "Mark every player of every open session offline (run before the server starts)."

    def handle(self, *args, **options) -> None:
        sessions = Session.objects.exclude(status="ended").only("pk", "base")
        count = 0
        for session in sessions:
            if any(p.get("online") for p in session.state["players"].values()):
                actions.perform(session.pk, {"kind": "reset_presence"}, actor="system")
                count += 1
        self.stdout.write(f"Presence reset in {count} session(s).")
