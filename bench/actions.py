"""What one vote costs the server with its database, in process: ``actions.perform``.

    .venv/bin/python bench/actions.py [--players 40 1000 2000] [--votes 200] [--profile]

For each N: a session of the school case on a SQLite file of its own (a temporary
directory), N players joined through ``actions.join``, formed in committees of
five, started, in round 1. Then ``--votes`` players each vote once through
``actions.perform`` (the row lock, the rules, the views, the frames, the state
written, the log entry, the commit; no broadcast, no network), and it prints the
milliseconds per vote and per join. ``--profile`` prints where a vote's time goes
(cProfile, by own time). bench/engine.py times the same steps without a database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "policymaker.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def first_vote(case, state: dict, pid: str) -> dict | None:
    """A valid vote of ``pid`` on the first choice or card of its committee's round."""
    from game import rules

    c = state["committees"][state["players"][pid]["committee"]]
    for key, d in rules.round_decisions(case, state, c).items():
        task = rules.task_of(case, d)
        if task.type in ("choice", "card"):
            first = rules.options_of(case, c, d)[0].id
            return {"kind": "vote", "player": pid, "key": key, "value": first if task.type == "card" else [first]}  # fmt: skip
    return None


def measure(n: int, votes: int, profile: bool) -> None:
    from django.contrib.auth import get_user_model

    from cases.loader import load_case
    from game import actions
    from game.models import Session

    version = load_case(ROOT / "cases" / "skole.yaml")[0]
    host, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    session = actions.create_session(
        host=host, case_version=version, options={"size": 5, "max_players": max(n, 200)}
    )
    started = time.perf_counter()
    pids = [actions.join(session, f"P{i}", admit=True)[0].pid for i in range(n)]
    joins = (time.perf_counter() - started) / n
    for action in ({"kind": "form"}, {"kind": "start", "now": time.time()}, {"kind": "advance"}):
        actions.perform(session.pk, action, actor="host")
    state = Session.objects.get(pk=session.pk).state
    moves = [m for m in (first_vote(session.case, state, p) for p in pids[:votes]) if m]
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for move in moves:
        actions.perform(session.pk, move, actor=f"player:{move['player']}")
    if profiler:
        profiler.disable()
    per_vote = (time.perf_counter() - started) / len(moves)
    print(
        f"N={n:>5}: join {joins * 1000:6.1f} ms, vote {per_vote * 1000:6.1f} ms ({len(moves)} votes)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[40, 1000, 2000])
    parser.add_argument("--votes", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        print("server time per action with its database, in process (means; a SQLite file),")
        print("the school case, committees of five")
        for n in args.players:
            measure(n, args.votes, args.profile)


if __name__ == "__main__":
    main()
