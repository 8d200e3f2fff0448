"""A whole session of a case played through the actions layer, for the report tests.

``play(host, case_version, players=N)`` joins N players with Danish names,
forms committees, and plays every round: every member votes (a seeded random
choice per committee, so the committees' paths differ), the round's lead locks
(in committee 2 the first decision against the majority: a politician card),
ideas are written and dotted, the catalyst plays a tool, the recommendation is
funded within the budget, and everyone answers the reflection questions.
``stop_at`` stops before advancing past that round (the session stays running);
with ``leave_open`` nothing is voted or locked in that round (ideas are written).
"""

from __future__ import annotations

import random
from typing import Any

from cases.schema import PLAYED_TYPES
from game import actions, rules

NAMES = [
    "Bodil Kjærsgaard",
    "Cæcilie Ørum",
    "Dagmar Åskov",
    "Eskild Brøns",
    "Frode Lærkholm",
    "Gunhild Søe",
    "Hjørdis Bækgaard",
    "Ingolf Østrup",
    "Jytte Mølgaard",
    "Kaj Løvstrup",
    "Lis Ågaard",
    "Mogens Thøgersen",
]


def _value(case, c: dict, d: dict, rng: random.Random) -> Any:
    task = rules.task_of(case, d)
    ids = [o.id for o in rules.options_of(case, c, d)]
    if task.type == "card":
        return rng.choice(ids)
    if task.type == "rank":
        order = ids[:]
        rng.shuffle(order)
        return order
    if task.type == "ideas":
        pool = [str(i["id"]) for i in c["ideas"]]
        picks = rng.sample(pool, min(len(pool), task.dots))
        return {p: 1 for p in picks}
    if task.type == "budget":
        costs = {o.id: o.cost for o in rules.options_of(case, c, d)}
        chosen, spent = [], 0
        for o in rng.sample(ids, len(ids)):
            if spent + costs[o] <= case.budget.total:
                chosen.append(o)
                spent += costs[o]
        return chosen
    n = rng.randint(max(1, task.min), min(task.max, len(ids)))
    return rng.sample(ids, n)


def play(
    host,
    case_version,
    *,
    players: int = 8,
    size: int = 4,
    stop_at: int | None = None,
    options: dict | None = None,
    seed: int = 7,
    leave_open: bool = False,
):
    session = actions.create_session(
        host=host, case_version=case_version, options={"size": size} | (options or {})
    )
    tokens = {}
    # Past the twelve names: numbered players (a room of forty).
    names = NAMES[:players] + [f"Spiller {i}" for i in range(len(NAMES) + 1, players + 1)]
    for name in names:
        player, token, _done = actions.join(session, name)
        tokens[name] = (player.pid, token)

    def do(action: dict, actor: str = "host") -> None:
        actions.perform(session.pk, action, actor=actor)

    def state():
        session.refresh_from_db()
        return session.state

    case = case_version.parsed()
    do({"kind": "form"})
    do({"kind": "start"})
    for index in range(len(case.rounds)):
        if index:
            do({"kind": "advance"})
        s = state()
        for cid in s["committees"]:
            rng = random.Random(f"{seed}:{cid}:{index}")
            members = rules.active_members(s, cid)
            c = s["committees"][cid]
            if any(
                rules.task_of(case, d).type == "ideas"
                for d in rules.round_decisions(case, s, c).values()
            ):
                for i, p in enumerate(members):
                    text = f"Idé {i + 1} fra udvalg {cid}: flere voksne i frikvarteret"
                    do({"kind": "idea", "player": p, "text": text}, f"player:{p}")
            first = True
            if leave_open and index == stop_at:
                continue
            for key in list(rules.round_decisions(case, state(), state()["committees"][cid])):
                s = state()
                c = s["committees"][cid]
                d = c["decisions"][key]
                task = rules.task_of(case, d)
                lead = rules.lead_of(case, c, d)
                locker = next((p for p in members if c["roles"].get(p) == lead), members[0])
                if task.type in PLAYED_TYPES:  # played by one role, not voted on
                    ids = [o.id for o in rules.options_of(case, c, d)]
                    if not ids:
                        continue
                    value = rng.choice(ids)
                    do(
                        {"kind": "lock", "player": locker, "key": key, "value": value},
                        f"player:{locker}",
                    )
                    continue
                if task.type == "budget" and not rules._kept(c, task):
                    continue
                for p in members:
                    s = state()
                    c = s["committees"][cid]
                    value = _value(case, c, c["decisions"][key], rng)
                    do({"kind": "vote", "player": p, "key": key, "value": value}, f"player:{p}")
                lock: dict = {"kind": "lock", "player": locker, "key": key}
                s = state()
                c = s["committees"][cid]
                d = c["decisions"][key]
                if cid == "2" and first and task.type in ("choice", "card"):
                    # The politician card: lock an option the majority did not want.
                    majority = rules.plurality(case, c, d)
                    ids = [o.id for o in rules.options_of(case, c, d)]
                    other = next(
                        o
                        for o in ids
                        if o not in (majority if isinstance(majority, list) else [majority])
                    )
                    lock["value"] = other if task.type == "card" else [other]
                    first = False
                do(lock, f"player:{locker}")
        if case.rounds[index].reflection:
            s = state()
            for cid in s["committees"]:
                for i, p in enumerate(rules.active_members(s, cid)):
                    for q in case.reflection:
                        text = f"Svar {i + 1} fra udvalg {cid} om {q.id}" + (
                            ": de manglende stemmer kom tilbage som pres." if i == 1 else ""
                        )
                        do(
                            {"kind": "reflect", "player": p, "question": q.id, "text": text},
                            f"player:{p}",
                        )
        if stop_at is not None and index == stop_at:
            session.refresh_from_db()
            session.tokens = tokens
            return session
    do({"kind": "end"})
    session.refresh_from_db()
    session.tokens = tokens
    return session
