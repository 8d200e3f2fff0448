"""Sessions of a full room for the big-screen tests, made through the actions layer.

Forty people in eight committees of five, played to a given point by the rules
themselves (no browsers): ``build(screens)`` runs inside the test server's
database (``manage.py shell``) and prints, as JSON, each screen's session code
and what the test needs to know about it. Votes, ideas and dots are chosen so
that every kind of thing the projector shows occurs: open and locked decisions,
a split, an idea pool without dots, ideas going forward and a tie at the cut.
"""

from __future__ import annotations

import json
from typing import Any

HOST_USER = "spilleder"
# Forty Danish names of the lengths a room brings, one of them long.
NAMES = (
    "Anna Bent Carla Dorte Erik Frida Gustav Søren Hanne Ib Jens Karen Lars Mette Niels Ole "
    "Pia Rasmus Sanne Tove Ulla Vagn Winnie Yrsa Åse Birgitte Christian Ditte Elisabeth "
    "Flemming Grethe Henrik Inger Jørgen Kirsten Lone Mogens Nanna Poul"
).split() + ["Marie-Louise Østergaard"]

SCREENS = (
    "lobby",
    "lobby_round",
    "kommissorium",
    "problemforstaaelse",
    "ideudvikling",
    "dilemmaer",
    "anbefaling",
    "byraadsmoede",
    "ended",
)


def _do(session, **action: Any):
    from game import actions

    return actions.perform(session.pk, action, actor="test")


def _state(session) -> dict:
    from game.models import Session

    return Session.objects.get(pk=session.pk).state


def _holder(state: dict, cid: str, role: str) -> str:
    return next(p for p, r in state["committees"][cid]["roles"].items() if r == role)


def _vote_round(session, *, share: float, lock_committees: int) -> None:
    """In committee i, about ``share`` of the members vote (fewer in later committees);
    the first ``lock_committees`` lock every decision their lead may lock."""
    from game import rules, visibility

    state = _state(session)
    case = session.case
    for i, cid in enumerate(sorted(state["committees"], key=int)):
        members = rules.active_members(state, cid)
        voters = members[: max(1, round(len(members) * share) - i // 3)]
        for pid in voters:
            view = visibility.player_view(case, _state(session), pid, {"code": session.code})
            for n, d in enumerate(view["committee"]["decisions"]):
                ids = [o["id"] for o in d["options"]]
                if d["type"] in ("catalyst", "ideas") or not ids or d["locked"] is not None:
                    continue
                k = (int(pid) + n) % len(ids)
                if d["type"] == "card":
                    value: Any = ids[k]
                elif d["type"] == "rank":
                    value = ids[k:] + ids[:k]
                elif d["type"] == "budget":
                    value = [ids[k]]
                else:
                    value = (ids[k:] + ids[:k])[: max(d["min"], 1)]
                try:
                    _do(session, kind="vote", player=pid, key=d["key"], value=value)
                except rules.Refused:
                    pass  # over a budget, say: the room has such votes too
        if i < lock_committees:
            now = _state(session)
            c = now["committees"][cid]
            for key, d in rules.round_decisions(case, now, c).items():
                lead = rules.lead_of(case, c, d)
                if rules.task_of(case, d).type == "catalyst" or not d["votes"]:
                    continue
                by = _holder(now, cid, lead) if lead else members[0]
                try:
                    _do(session, kind="lock", player=by, key=key)
                except rules.Refused:
                    pass


def _ideas(session) -> None:
    """Every member writes an idea; dots: none in committee 2, a tie at the cut in the others,
    and committees 1 and 5 lock their ideas."""
    from game import rules

    state = _state(session)
    texts = [
        "Læsevenner på tværs af årgange",
        "Flere voksne i frikvartererne, så de stille børn også bliver set",
        "Fælles morgenmad i indskolingen",
        "Lektiecafé på biblioteket to dage om ugen",
        "Elevrådet får en plads i skolebestyrelsens budgetmøde",
    ]
    for cid in sorted(state["committees"], key=int):
        for n, pid in enumerate(rules.active_members(state, cid)):
            _do(session, kind="idea", player=pid, text=f"{texts[n % len(texts)]} ({cid})")
    state = _state(session)
    for cid in sorted(state["committees"], key=int):
        if cid == "2":
            continue
        c = state["committees"][cid]
        pool = [str(i["id"]) for i in c["ideas"] if i["author"] is not None][:6]
        pool += [str(i["id"]) for i in c["ideas"] if i["author"] is None][: 6 - len(pool)]
        turn = 0
        for pid in rules.active_members(state, cid):
            dots: dict[str, int] = {}
            for _dot in range(3):  # the case gives three dots: 15 over 6 ideas is 3,3,3,2,2,2
                idea = pool[turn % len(pool)]
                dots[idea] = dots.get(idea, 0) + 1
                turn += 1
            _do(session, kind="vote", player=pid, key="ideer", value=dots)
        if cid in ("1", "5"):
            _do(
                session,
                kind="lock",
                player=_holder(_state(session), cid, "katalysator"),
                key="ideer",
            )


def build(screens: tuple[str, ...] = SCREENS, names: int = 40, history: bool = True) -> None:
    """``history``: the rounds before the screen's are voted too (slower, more like a game)."""
    from django.contrib.auth import get_user_model

    from cases.models import Case
    from game import actions

    host = get_user_model().objects.get(username=HOST_USER)
    version = next(v for v in (c.latest() for c in Case.objects.order_by("pk")) if v is not None)
    out: dict[str, Any] = {}
    rounds = [r.id for r in version.parsed().rounds]
    for screen in screens:
        session = actions.create_session(
            host=host, case_version=version, options={"size": 5, "autostart_timer": False}
        )
        for name in NAMES[:names]:
            actions.join(session, name)
        info: dict[str, Any] = {"code": session.code}
        out[screen] = info
        if screen == "lobby":
            continue
        _do(session, kind="form", size=5)
        _do(session, kind="start")
        if screen == "lobby_round":
            continue
        target = rounds.index(screen) if screen in rounds else len(rounds) - 1
        for index in range(1, target + 1):
            _do(session, kind="advance")
            last = index == target
            if not last and not history:
                continue
            if rounds[index] == "ideudvikling":
                _ideas(session)
                if not last:
                    _do(session, kind="lock_all")
            elif not last:
                _vote_round(session, share=1.0, lock_committees=8)
                _do(session, kind="lock_all")
            else:
                _vote_round(session, share=0.8, lock_committees=3)
        if screen == "ended":
            _do(session, kind="end")
        state = _state(session)
        info["committees"] = len(state["committees"])
        if state["status"] == "running":  # what the host's "advance anyway?" must count
            from game import rules

            case = session.case
            still = [
                sum(
                    d["locked"] is None and rules.task_of(case, d).required
                    for d in rules.round_decisions(case, state, c).values()
                )
                for c in state["committees"].values()
            ]
            info["open"] = {"decisions": sum(still), "committees": sum(1 for n in still if n)}
        info["players"] = {p["name"]: pid for pid, p in state["players"].items()}
        info["roles"] = {
            pid: role for c in state["committees"].values() for pid, role in c["roles"].items()
        }
    print(json.dumps(out))


# --- a conference: hundreds of committees ------------------------------------------------

# What each committee of a large session has done in its round, by its number (mod 5):
# every decision locked, everyone voted (the lead has not locked), some have voted,
# nobody has voted yet ("stuck"). Every seventh committee has a member offline.
LARGE_PATTERN = ("locked", "voted", "some", "none", "some")
LARGE_OFFLINE_EVERY = 7


def _large_state(session, committees: int, size: int, screen: str) -> dict:
    """The state of a session of ``committees`` × ``size`` players at ``screen``, made by
    the rules alone, in memory: the actions layer makes every view after each action,
    and ``rules.apply`` copies the state first; at 2,000 players either takes minutes.
    So each action's handler changes the one state in place (a refusal, checked before
    any change, leaves it as it was)."""
    from game import rules, visibility

    case = session.case
    state = session.state
    n = committees * size

    def do(**action: Any) -> None:
        kind = action.pop("kind")
        try:
            rules._HANDLERS[kind](case, state, **action)
        except rules.Refused:
            pass  # a budget overrun, say: the room has such votes too

    for i in range(n):
        do(kind="join", player=str(i + 1), name=f"{NAMES[i % len(NAMES)]} {i // len(NAMES) + 1}")
    do(kind="form", size=size)
    do(kind="start")
    rounds = [r.id for r in case.rounds]
    for _index in range(1, rounds.index(screen) + 1):
        do(kind="lock_all")
        do(kind="advance")
    for pid in state["players"]:
        do(kind="presence", player=pid, online=True)
    for cid in sorted(state["committees"], key=int):
        k = int(cid) - 1
        kind = LARGE_PATTERN[k % len(LARGE_PATTERN)]
        members = rules.active_members(state, cid)
        if k % LARGE_OFFLINE_EVERY == 0:
            do(kind="presence", player=members[-1], online=False)
        voters = {"locked": members, "voted": members, "some": members[:2], "none": []}[kind]
        c = state["committees"][cid]
        for pid in voters:
            for key, d in rules.round_decisions(case, state, c).items():
                task = rules.task_of(case, d)
                options = (
                    visibility._seat_options(case, state, c)
                    if task.type == "seats"
                    else rules.options_of(case, c, d)
                )
                ids = [o["id"] if isinstance(o, dict) else o.id for o in options]
                if task.type in ("catalyst", "ideas") or not ids:
                    continue
                j = (int(pid) + k) % len(ids)
                value: Any = (
                    ids[j]
                    if task.type == "card"
                    else ids[j:] + ids[:j]
                    if task.type == "rank"
                    else [ids[j]]
                    if task.type == "budget"
                    else (ids[j:] + ids[:j])[: max(task.min, 1)]
                )
                do(kind="vote", player=pid, key=key, value=value)
                c = state["committees"][cid]
        if kind == "locked":
            for key, d in rules.round_decisions(case, state, c).items():
                lead = rules.lead_of(case, c, d)
                if rules.task_of(case, d).type == "catalyst" or not d["votes"]:
                    continue
                by = _holder(state, cid, lead) if lead else members[0]
                do(kind="lock", player=by, key=key)
                c = state["committees"][cid]
    return state


def build_large(committees: int = 400, size: int = 5, screen: str = "kommissorium") -> None:
    """A conference session (2,000 players in 400 committees of five by default) in a
    running round; prints its code and what the test needs to know, as JSON."""
    import time

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from cases.models import Case
    from game import actions, rules, visibility
    from game.models import Event, Player, new_seat_code

    started = time.monotonic()
    host = get_user_model().objects.get(username=HOST_USER)
    version = next(v for v in (c.latest() for c in Case.objects.order_by("pk")) if v is not None)
    session = actions.create_session(
        host=host, case_version=version, options={"size": size, "autostart_timer": False}
    )
    state = _large_state(session, committees, size, screen)
    with transaction.atomic():
        Player.objects.bulk_create(
            Player(
                session=session,
                number=int(pid),
                name=p["name"],
                token_hash=Player.new_token()[1],
                seat_code=new_seat_code(),
            )
            for pid, p in state["players"].items()
        )
        session.state = state
        session.version += 1
        session.status = state["status"]
        session.save()
        Event.objects.create(
            session=session,
            version=session.version,
            kind="fixture",
            actor="test",
            action={"kind": "fixture", "committees": committees},
            events=[],
        )
    case = session.case
    states = {"locked": 0, "voted": 0, "some": 0, "none": 0}
    for cid in state["committees"]:
        states[LARGE_PATTERN[(int(cid) - 1) % len(LARGE_PATTERN)]] += 1
    offline = sum(
        any(state["players"][p]["online"] == 0 for p in rules.active_members(state, cid))
        for cid in state["committees"]
    )
    done = sum(rules.committee_done(case, state, c) for c in state["committees"].values())
    stuck = {
        cid
        for cid in state["committees"]
        if LARGE_PATTERN[(int(cid) - 1) % len(LARGE_PATTERN)] == "none"
    }
    away = {
        cid
        for cid in state["committees"]
        if any(state["players"][p]["online"] == 0 for p in rules.active_members(state, cid))
    }
    room = visibility.projector_view(case, state, session.meta())
    find = str(min(len(state["committees"]), 317))  # the committee the tests look for
    print(
        json.dumps(
            {
                "code": session.code,
                "committees": len(state["committees"]),
                "players": len(state["players"]),
                "patterns": states,
                "done": done,
                "offline": offline,
                "attention": len(stuck | away),
                "answered": sum(c["answered"] for c in room["committees"].values()),
                "find": find,
                "find_members": [
                    state["players"][p]["name"] for p in rules.active_members(state, find)
                ],
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )
