"""What one action costs the server, in process: the rules, the views, the frames.

    .venv/bin/python bench/engine.py [--players 40 1000 2000] [--repeat 50]

For each N: a session of the school case with N players in committees of five,
started and in its first round. Then it times, per action, the steps the actions
layer runs under the session's row lock (no database, no network): the rules
(``rules.apply``, which copies the state), re-making the views the change touched
(``visibility.advance``), cutting the frames per stream (``visibility.frames``)
and serialising them (``wire.messages``), for a vote and for a round change;
and, for comparison, making every view whole (what a process that did not make
the last change, or a round change, pays); and a presence batch of 50 devices
coming online (the rules only, as the presence writer applies them). Prints CPU milliseconds per action
(medians), the bytes sent per vote and how many streams a vote reaches.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cases.schema import load_case_file  # noqa: E402
from game import rules, visibility, wire  # noqa: E402

CASE = load_case_file(ROOT / "cases" / "skole.yaml")[0]
META = {"code": "BENCH1"}


def started(n: int) -> dict:
    state = rules.new_state(CASE, {"size": 5, "max_players": max(n, 200)})
    for i in range(1, n + 1):
        state, _ = rules.apply(CASE, state, {"kind": "join", "player": str(i), "name": f"P{i}"})
    for action in ({"kind": "form"}, {"kind": "start", "now": 1e9}, {"kind": "advance"}):
        state, _ = rules.apply(CASE, state, action)
    return state


def one(n: int, repeat: int) -> dict:
    state = started(n)
    views = visibility.views(CASE, state, META)
    streams: dict = {}
    steps: dict[str, list[float]] = {"rules": [], "views": [], "frames": [], "all": []}
    sent, reached = [], []
    cids = list(state["committees"])
    for i in range(repeat):
        cid = cids[i % len(cids)]
        pid = state["committees"][cid]["members"][i % 2]
        key = next(iter(rules.round_decisions(CASE, state, state["committees"][cid])))
        c = state["committees"][cid]
        options = [o.id for o in rules.options_of(CASE, c, c["decisions"][key])]
        value = [options[(i // len(cids)) % len(options)]]  # a new value each time round
        action = {"kind": "vote", "player": pid, "key": key, "value": value}
        t0 = time.process_time()
        new, _events = rules.apply(CASE, state, action)
        t1 = time.process_time()
        after = visibility.advance(CASE, state, new, META, views)
        t2 = time.process_time()
        messages, streams = wire.messages(1, i + 1, visibility.frames(views, after), streams)
        t3 = time.process_time()
        for step, ms in zip(("rules", "views", "frames"), (t1 - t0, t2 - t1, t3 - t2), strict=True):
            steps[step].append(ms * 1000)
        sent.append(sum(len(str(m)) for _g, m in messages))
        reached.append(len(messages))
        state, views = new, after
    for _ in range(max(3, repeat // 10)):
        t0 = time.process_time()
        visibility.views(CASE, state, META)
        steps["all"].append((time.process_time() - t0) * 1000)
    # A presence batch: 50 devices come or go, applied one by one as the writer does.
    t = time.process_time()
    batch = state
    for pid in list(batch["players"])[:50]:
        batch, _ = rules.apply(CASE, batch, {"kind": "presence", "player": pid, "online": True})
    presence = (time.process_time() - t) * 1000
    advance = {"kind": "advance"}
    t = time.process_time()
    new, _ = rules.apply(CASE, state, advance)
    after = visibility.advance(CASE, state, new, META, views)
    messages, _s = wire.messages(1, repeat + 1, visibility.frames(views, after), streams)
    round_change = (time.process_time() - t) * 1000
    return {
        "n": n,
        **{k: statistics.median(v) for k, v in steps.items()},
        "round_change": round_change,
        "presence": presence,
        "round_change_bytes": sum(len(str(m)) for _g, m in messages),
        "vote_bytes": statistics.median(sent),
        "vote_messages": statistics.median(reached),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[40, 1000, 2000])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rows = [one(n, args.repeat) for n in args.players]
    print("CPU ms per action, medians (in process: rules, views re-made where touched, frames)")
    for r in rows:
        vote = r["rules"] + r["views"] + r["frames"]
        print(
            f"N={r['n']:<5} vote {vote:6.2f} ms (rules {r['rules']:.2f}, views {r['views']:.2f}, "
            f"frames {r['frames']:.2f}); {r['vote_messages']:.0f} messages, "
            f"{r['vote_bytes']:,.0f} bytes | round change {r['round_change']:7.1f} ms, "
            f"{r['round_change_bytes']:,} bytes | every view whole {r['all']:7.1f} ms"
            f" | 50 presence changes {r['presence']:6.1f} ms"
        )
    first, last = rows[0], rows[-1]
    ratio = (last["rules"] + last["views"] + last["frames"]) / max(
        1e-6, first["rules"] + first["views"] + first["frames"]
    )
    print(f"vote cost N={last['n']} / N={first['n']}: {ratio:.1f}x")


if __name__ == "__main__":
    main()
