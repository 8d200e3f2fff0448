"""Who sees what: one function per kind of viewer, and the patches between views.

Pure, like the rules. A view is a dict of named parts; a change is sent as a
list of patches ``[path, value]`` that turn each viewer's old view into its new
one (see ``diff`` and ``patch``). Because every message a viewer gets is cut
from that viewer's own view, a private role card or another committee's votes
can only reach a client if the function here puts it in that client's view.

Viewers:
- ``player_view``: the session, the round, the player's own committee (its
  tally, ideas, meters when the host shows them) and ``me`` (the private card).
- ``host_view``: everything of the host's own session.
- ``projector_view``: what the room may see: counts, progress, the idea wall,
  public tallies, and the outcomes at the end.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cases.schema import PLAYED_TYPES, Case, Option, Outcome

from . import rules
from .state import Committee, Decision, Idea

View = dict[str, Any]
Patch = list[Any]  # [[key] or [key, subkey], value]; value None removes a subkey

# Parts whose entries are patched one by one (a vote touches one committee).
SPLIT = ("committees", "players")


# An option as every view shows it, made once per option of a parsed case (a case never
# changes; a round change at 1,000 players shows 14,000 of them). Keyed by the object's
# id, which the entry keeps alive, so an id cannot come back for another option.
_options: dict[int, tuple[Option, dict]] = {}
MAX_OPTIONS = 20_000  # the options of a few dozen cases; then made again


def _option(o: Option) -> dict:
    hit = _options.get(id(o))
    if hit is not None and hit[0] is o:
        return hit[1]
    if len(_options) >= MAX_OPTIONS:
        _options.clear()
    made = {"id": o.id, "label": o.label, "text": o.text, "cost": o.cost}
    _options[id(o)] = (o, made)
    return made


def meters_shown(case: Case, state: rules.State) -> bool:
    """The host may hide the numbers during play; from the council's outcome on, they show."""
    return (
        state["options"]["show_meters"]
        or state["status"] == "ended"
        or any(r.outcome for r in case.rounds[: state["round"] + 1])  # the council and after
    )


# --- one numbering of rounds ---------------------------------------------------------
#
# A politician counts the rounds in which the committee works. The case's first
# round is the lobby and briefing when it has no tasks: it is round 0, not
# counted ("Briefing"), and the first working round is "Runde 1 af 6". A case
# that starts working at once counts from 1. Play, host, projector, debrief,
# chart and export all take the number from here.


def has_briefing(case: Case) -> bool:
    first = case.rounds[0]
    return not first.tasks and not first.outcome and not first.reflection


def round_number(case: Case, index: int) -> int:
    """The number a round is shown with: 0 is the briefing, the rest count from 1."""
    return index if has_briefing(case) else index + 1


def rounds_counted(case: Case) -> int:
    """How many rounds are counted ("af 6"): the briefing is not."""
    return len(case.rounds) - (1 if has_briefing(case) else 0)


def is_briefing(case: Case, index: int) -> bool:
    return index == 0 and has_briefing(case)


def stance_word(stance: int) -> str:
    """A stance as a word, for when the host hides the numbers: "for", "against" or "unsure"."""
    return "for" if stance >= 60 else "against" if stance <= 40 else "unsure"


def session_part(case: Case, state: rules.State, meta: dict) -> dict:
    round_ = case.rounds[state["round"]]
    lead = case.role(round_.lead) if round_.lead else None
    t = state["timer"]
    return {
        "code": meta["code"],
        "title": case.title,
        "setting": case.setting,
        "status": state["status"],
        "round": state["round"],
        # The round as a person counts it (see round_number): "Runde 1 af 6".
        "round_number": round_number(case, state["round"]),
        "round_total": rounds_counted(case),
        "briefing": is_briefing(case, state["round"]),
        "rounds": [
            {"id": r.id, "title": r.title, "number": round_number(case, i)}
            for i, r in enumerate(case.rounds)
        ],
        "round_info": {
            "id": round_.id,
            "title": round_.title,
            "intro": round_.intro,
            "lead": round_.lead,
            "lead_name": lead.name if lead else None,
            "outcome": round_.outcome,
            "reflection": round_.reflection,
            "show_voices": round_.show_voices,
        },
        "timer": {
            "remaining": t["remaining"],
            "ends_at": t["ends_at"],
            "fired": t["fired"],
            # Never started this round: the clocks say "not started", not "paused".
            "started": state.get("timer_started", True),
        },
        "message": state["message"],
        "message_keep": state.get("message_keep", False),
        # The host stepped back to this round: the phones say so until the next one.
        "stepped_back": state.get("stepped_back", False),
        "show_meters": meters_shown(case, state),
    }


def role_name(case: Case, role: str | None, member: str = "member") -> str:
    """A seat's name: a leadership role's, a persona's, or ``member``."""
    if role is None:
        return ""
    if role == rules.MEMBER:
        return member
    found = case.role(role) or case.persona(role)
    return found.name if found else role


def outcome_part(outcome: Outcome | None) -> dict | None:
    """The council's outcome as everyone sees it, once decided."""
    if outcome is None:
        return None
    return {
        "id": outcome.id,
        "title": outcome.title,
        "headline": outcome.headline,
        "text": outcome.text,
    }


def _meters(case: Case, c: Committee) -> list[dict]:
    return [{"id": m.id, "label": m.label, "value": c["meters"][m.id]} for m in case.meters]


def _decision(case: Case, state: rules.State, c: Committee, key: str, d: Decision) -> dict:
    """A decision as the committee's members and the host see it."""
    task = rules.task_of(case, d)
    card = case.card(d["card"]) if d["card"] else None
    lead = rules.lead_of(case, c, d)
    out = {
        "key": key,
        "task": task.id,
        "type": task.type,
        "prompt": card.title if card and not d["task"] else task.prompt,
        "help": task.help,
        "min": task.min,
        "max": task.max,
        "dots": task.dots,
        "max_ideas": task.max_ideas,
        "required": task.required,
        "public": task.public,
        "lead": lead,
        "lead_name": role_name(case, lead) if lead else None,
        "card": {"id": card.id, "title": card.title, "text": card.text, "source": card.source}
        if card
        else None,
        "options": _seat_options(case, state, c)
        if task.type == "seats"
        else [_option(o) for o in rules.options_of(case, c, d)],
        "voted": sorted(d["votes"], key=int),
        # Votes are open, like a show of hands in a committee meeting: the
        # members (and the host) see who voted what. The projector's cut below
        # leaves them out, and no other committee gets this committee at all.
        "votes": {pid: d["votes"][pid] for pid in sorted(d["votes"], key=int)},
        "tally": rules.tally(case, c, d),
        "majority": rules.plurality(case, c, d),
        "locked": d["locked"],
        "politician_card": d["politician_card"],
    }
    if task.type == "budget":
        out["budget"] = {"total": case.budget.total, "unit": case.budget.unit}
    return out


def _room_decision(case: Case, c: Committee, d: Decision, full: dict) -> dict:
    """The projector's cut of a decision (``full``: as the members see it): the
    tally only where the case calls it public."""
    task = rules.task_of(case, d)
    keep = ("key", "type", "prompt", "locked", "public")
    out = {k: v for k, v in full.items() if k in keep} | (
        {"tally": full["tally"], "options": full["options"]} if task.public else {}
    )
    return out | _room_part(case, c, d, task)


def _seat_options(case: Case, state: rules.State, c: Committee) -> list[dict]:
    """The seats task's options: each stakeholder with its interests and its stance now.

    What a choice needs: who wants what, and who is for or against the work.
    The stance's number only where the meters show; otherwise a word.
    """
    numbers = meters_shown(case, state)
    out = []
    for o, s in zip(case.seat_options, case.stakeholders, strict=True):
        now = c["stakeholders"][s.id]
        out.append(
            _option(o)
            | {
                "text": s.interests,
                "stance": now["stance"] if numbers else None,
                "engagement": now["engagement"] if numbers else None,
                "word": stance_word(now["stance"]),
            }
        )
    return out


def _direction(before: int, after: int) -> str:
    return "up" if after > before else "down" if after < before else "same"


def stakeholder_map(case: Case, state: rules.State, c: Committee, *, numbers: bool) -> dict:
    """Each stakeholder's stance and engagement, round by round: the committee's map.

    Points: the case's start, the end of each round played, and now. Without
    ``numbers`` (the host hides the meters) a point is only a word for the
    stance ("for", "against", "unsure") and the directions since the last one.
    """
    recorded = c.get("stances") or {}
    # The briefing changes nobody's stance: its end is the start again.
    rounds = sorted(int(r) for r in recorded if not is_briefing(case, int(r)))
    labels = ["start"] + [str(round_number(case, r)) for r in rounds]
    now_too = state["status"] == "running" and state["round"] not in rounds
    if now_too:
        labels.append("now")
    seated = c["seated"]
    # The committee's own start: the briefing's end where there is one (a session's
    # draws may give each committee its own local mood), else the case's.
    in_briefing = is_briefing(case, state["round"])
    start = recorded.get("0") if has_briefing(case) else None
    if start is None and in_briefing:
        start = c["stakeholders"]
    columns = [recorded[str(r)] for r in rounds]
    if now_too and not in_briefing:
        columns.append(c["stakeholders"])
    elif now_too:
        labels.pop()  # in the briefing, now is the start
    rows = []
    for s in case.stakeholders:
        first = (start or {}).get(s.id) or {"stance": s.stance, "engagement": s.engagement}
        stance = [first["stance"]] + [col[s.id]["stance"] for col in columns if s.id in col]
        engagement = [first["engagement"]] + [
            col[s.id]["engagement"] for col in columns if s.id in col
        ]
        row: dict[str, Any] = {
            "id": s.id,
            "name": s.name,
            "seated": None if seated is None else s.id in seated,
            "word": stance_word(stance[-1]),
            "stance_dir": _direction(stance[-2] if len(stance) > 1 else stance[-1], stance[-1]),
            "engagement_dir": _direction(
                engagement[-2] if len(engagement) > 1 else engagement[-1], engagement[-1]
            ),
        }
        if numbers:
            row["stance"], row["engagement"] = stance, engagement
        else:
            row["words"] = [stance_word(v) for v in stance]
        rows.append(row)
    return {"numbers": numbers, "rounds": labels, "rows": rows}


def _without_numbers(full: dict) -> dict:
    """The map as players see it when the host hides the meters: words and directions."""
    rows = [
        {k: v for k, v in r.items() if k not in ("stance", "engagement")}
        | {"words": [stance_word(v) for v in r["stance"]]}
        for r in full["rows"]
    ]
    return {"numbers": False, "rounds": full["rounds"], "rows": rows}


def _room_part(case: Case, c: Committee, d: Decision, task: Any) -> dict:
    """What the room may know of a decision: how many have voted (no names), and
    once it is locked the split, counts per option (never who voted what)."""
    extra: dict[str, Any] = {"votes": len(d["votes"])}
    if task.type == "ideas":
        extra["keep"] = task.keep
    if d["locked"] is not None and not task.public and task.type != "catalyst":
        extra["tally"] = rules.tally(case, c, d)
        extra["options"] = [_option(o) for o in rules.options_of(case, c, d)]
    return extra


def _ideas(case: Case, state: rules.State, c: Committee, *, authors: bool) -> list[dict]:
    """The committee's idea pool; the room's wall shows ideas, not who wrote them."""
    dots = rules.dots(case, c)
    ideas = rules.ideas_decision(case, c)
    kept = set((ideas["locked"] if ideas else None) or [])
    return [
        {
            "id": str(i["id"]),
            "text": i["text"],
            "card": i["card"],
            "author": state["players"][i["author"]]["name"] if i["author"] and authors else None,
            **idea_facts(case, i, c["seated"]),
            "dots": dots.get(str(i["id"]), 0),
            "kept": str(i["id"]) in kept,
        }
        for i in c["ideas"]
    ]


def idea_facts(case: Case, idea: Idea, seated: list[str] | None) -> dict:
    """What choosing an idea needs: its card's text, its cost, and who brought it.

    An idea card comes with any one of its stakeholders at the table: those
    seated brought it (all of them while the seats are open), in case order.
    """
    card = case.idea_card(idea["card"]) if idea["card"] else None
    brought = []
    if card and card.unlocked_by:
        # In case order, as the seats task lists them (unlocked_by is one or two ids).
        ids = set(card.unlocked_by)
        found = (
            [case.stakeholder(card.unlocked_by[0])]
            if len(ids) == 1
            else [x for x in case.stakeholders if x.id in ids]
        )
        brought = [x.name for x in found if x and (seated is None or x.id in seated)]
    return {
        "card_text": card.text if card else "",
        "cost": card.cost if card else case.budget.free_idea_cost,
        "unit": case.budget.unit,
        "brought_by": brought,
    }


def committee_part(
    case: Case, state: rules.State, cid: str, *, audience: str, maps: dict | None = None
) -> dict:
    """A committee as its members ("player"), the host or the projector see it."""
    c = state["committees"][cid]
    full = audience != "projector"
    show_meters = audience == "host" or meters_shown(case, state)
    # ``maps`` shares what the audiences of one change see alike (the decisions as the
    # members and the host see them, the projector's cut from them; the members; the
    # map; the members' own parts read them too): made once, not once per audience.
    cache = maps if maps is not None else {}
    decisions = _round_decisions(case, state, c, cid, cache)
    outcome = next((o for o in case.outcomes if o.id == c["outcome"]), None)
    common = cache.get(("committee", cid))
    if common is None:
        common = cache[("committee", cid)] = {
            "decisions": [_decision(case, state, c, key, d) for key, d in decisions.items()],
            "members": [
                {
                    "id": p,
                    "name": state["players"][p]["name"],
                    "role": c["roles"].get(p),
                    "role_name": role_name(case, c["roles"].get(p)),
                    "online": state["players"][p].get("online", 0) > 0,
                }
                for p in rules.active_members(state, cid)
            ],
            "done": rules.committee_done(case, state, c),
        }
    shown = common["decisions"]
    part: dict[str, Any] = {
        "id": cid,
        "name": c["name"],
        "members": common["members"],
        "decisions": shown
        if full
        else [
            _room_decision(case, c, d, f) for d, f in zip(decisions.values(), shown, strict=True)
        ],
        "done": common["done"],
        "ideas": _ideas(case, state, c, authors=full),
        "meters": _meters(case, c) if show_meters else None,
        "outcome": outcome_part(outcome),
    }
    if full:
        seated = c["seated"] or []
        part["seated"] = [
            {"id": s.id, "name": s.name, "voice": s.voice}
            for s in case.stakeholders
            if s.id in seated
        ]
        part["log"] = c["log"]
        # The frame the igangsætter set stands through the game, until the council tests it.
        part["frames"] = [
            {"key": key, "label": o.label, "text": o.text, "kept": kept}
            for key, o, kept in rules.frame_tests(case, c)
        ]
        part["politician_cards"] = c["politician_cards"]
        key = (cid, bool(show_meters))
        if key not in cache:
            full_map = cache.get((cid, True)) or stakeholder_map(case, state, c, numbers=True)
            cache[(cid, True)] = full_map
            cache[key] = full_map if show_meters else _without_numbers(full_map)
        part["stakeholder_map"] = cache[key]
    else:  # the room: how many of the committee have answered everything this round
        votable = [d for d in decisions.values() if rules.task_of(case, d).type not in PLAYED_TYPES]
        part["answered"] = sum(
            all(p in d["votes"] for d in votable) for p in rules.active_members(state, cid)
        )
    if audience == "host":
        part["history"] = c["history"]
        part["stakeholders"] = c["stakeholders"]
        part["reflections"] = c["reflections"]
    return part


def _round_decisions(
    case: Case, state: rules.State, c: Committee, cid: str, cache: dict
) -> dict[str, Decision]:
    """``rules.round_decisions``, once per committee per change (``cache``: its ``maps``)."""
    found = cache.get(("round", cid))
    if found is None:
        found = cache[("round", cid)] = rules.round_decisions(case, state, c)
    return found


def _card_for(case: Case, state: rules.State, role: str | None) -> dict | None:
    """The private card of the seat: a leadership role's task and tips this round, or a persona."""
    round_id = case.rounds[state["round"]].id
    if role is None:
        return None
    found = case.role(role)
    if found is not None:
        card = found.cards.get(round_id)
        return {
            "kind": "role",
            "id": found.id,
            "name": found.name,
            "question": found.question,
            "description": found.description,
            "task": card.task if card else "",
            "tips": card.tips if card else [],
        }
    persona = case.persona(role)
    if persona is not None:
        return {
            "kind": "persona",
            "id": persona.id,
            "name": persona.name,
            "description": persona.description,
            "interests": persona.interests,
            "tips": persona.tips,
        }
    return {"kind": "member", "id": rules.MEMBER, "name": "member"}


def _common(case: Case, state: rules.State, meta: dict) -> View:
    """The parts every player sees alike."""
    return {
        "session": session_part(case, state, meta),
        "case": {"brief": case.brief, "mandate": case.mandate},
        # How many have joined, for the waiting room: a part of its own, as it
        # changes with every arrival while the rest of the session does not.
        "joined": joined_count(state),
    }


def player_view(
    case: Case,
    state: rules.State,
    pid: str,
    meta: dict,
    *,
    common: View | None = None,
    committees: dict | None = None,
) -> View:
    """What one player (or a seat waiting to be let in) sees.

    ``common`` and ``committees`` may carry parts already made.
    """
    me = me_part(case, state, pid)
    cid = me["committee"]
    if cid is not None:
        committee = (committees or {}).get(cid) or committee_part(
            case, state, cid, audience="player"
        )
    else:
        committee = None
    return {**(common or _common(case, state, meta)), "committee": committee, "me": me}


def lobby_part(state: rules.State) -> dict:
    """For the host: whether the lobby is locked and who waits to be let in."""
    return {
        "locked": bool(state.get("lobby_locked")),
        "waiting": [
            {"id": pid, "name": w["name"]}
            for pid, w in sorted(state.get("waiting", {}).items(), key=lambda kv: int(kv[0]))
            if not w["refused"]
        ],  # in the order they came (jsonb keeps no key order)
    }


def host_view(case: Case, state: rules.State, meta: dict, *, maps: dict | None = None) -> View:
    return {
        "lobby": lobby_part(state),
        "session": session_part(case, state, meta) | {"options": state["options"]},
        "case": {
            "brief": case.brief,
            "cards": [
                {"id": k.id, "title": k.title, "source": k.source, "deck": deck}
                for deck in ("events", "dilemmas")
                for k in case.deck(deck)
            ],
            "meters": [{"id": m.id, "label": m.label} for m in case.meters],
        },
        "players": {pid: _host_player(p) for pid, p in state["players"].items()},
        "committees": {
            cid: committee_part(case, state, cid, audience="host", maps=maps)
            for cid in state["committees"]
        },
        "claims": claims_part(state),
    }


def claims_part(state: rules.State) -> list[dict]:
    """New devices asking the host for a seat (game.actions keeps the tokens)."""
    return [
        {"id": cid, "player": c["player"], "name": state["players"][c["player"]]["name"]}
        for cid, c in sorted(state.get("claims", {}).items(), key=lambda kv: int(kv[0]))
    ]


def projector_view(case: Case, state: rules.State, meta: dict, *, maps: dict | None = None) -> View:
    return {
        "session": session_part(case, state, meta),
        "lobby": _room_lobby(state),
        "committees": {
            cid: committee_part(case, state, cid, audience="projector", maps=maps)
            for cid in state["committees"]
        },
    }


# --- patches ------------------------------------------------------------------------


def diff(old: View, new: View) -> list[Patch]:
    """The patches that turn ``old`` into ``new``."""
    out: list[Patch] = []
    for key, value in new.items():
        before = old.get(key)
        # A part new to the viewer is sent even when None.
        if key in old and not _differ(before, value):
            continue
        if key in SPLIT and isinstance(before, dict) and isinstance(value, dict):
            # An entry not re-made is the same object: no need to compare it (a vote
            # re-makes one committee of hundreds, and no player).
            out += [[[key, sub], v] for sub, v in value.items() if _differ(before.get(sub), v)]
            out += [[[key, sub], None] for sub in before if sub not in value]
        else:
            out.append([[key], value])
    return out


def patch(view: View, patches: list[Patch]) -> View:
    """Apply patches to a view (the clients do the same in JavaScript).

    Values are copied: a view must not share objects with the patches it came
    from, which the server keeps to diff the next change against.
    """
    for path, value in patches:
        value = copy.deepcopy(value)
        if len(path) == 1:
            view[path[0]] = value
        elif value is None:
            view.setdefault(path[0], {}).pop(path[1], None)
        else:
            view.setdefault(path[0], {})[path[1]] = value
    return view


# --- every viewer's view by part, re-made where a change touched it ---------------------------

LOBBY = "lobby"  # the stream of the seats in no committee (the waiting room, the removed)
UNVERSIONED = ("joined",)  # refreshed a few times a second by a message of its own (game.wire)


def me_part(case: Case, state: rules.State, pid: str, maps: dict | None = None) -> dict:
    """A seat's own part of its view: name, role card, own votes and reflections.

    ``maps``: what the seats of one change share (a role's card, the questions).
    """
    if pid not in state["players"]:
        w = state.get("waiting", {})[pid]
        return {
            "id": pid,
            "name": w["name"],
            "removed": False,
            "waiting": not w["refused"],
            "turned_away": w["refused"],
            "committee": None,
            "role": None,
            "card": None,
            "votes": {},
            "reflections": {},
            "questions": [],
        }
    player = state["players"][pid]
    cid = None if player["removed"] else player["committee"]
    c = state["committees"][cid] if cid else None
    cache = maps if maps is not None else {}
    role = c["roles"].get(pid) if c else None
    if ("card", role) not in cache:
        cache[("card", role)] = _card_for(case, state, role)
    if "questions" not in cache:
        cache["questions"] = (
            [{"id": q.id, "text": q.text} for q in case.reflection]
            if case.rounds[state["round"]].reflection
            else []
        )
    return {
        "id": pid,
        "name": player["name"],
        "removed": player["removed"],
        "committee": cid,
        "role": role,
        "card": cache[("card", role)],
        "votes": {
            k: d["votes"][pid]
            for k, d in _round_decisions(case, state, c, cid, cache).items()
            if pid in d["votes"]
        }
        if c and cid
        else {},
        "reflections": c["reflections"].get(pid, {}) if c else {},
        "questions": cache["questions"],
    }


def stream_of(me: dict) -> str:
    """The stream a seat's frames come in: its committee's, or the lobby's."""
    return me["committee"] or LOBBY


def stream_for(players: dict[str, Any], pid: str) -> str:
    """A seat's stream, from the state's players (no view made)."""
    p = players.get(pid)
    return (p["committee"] if p and not p["removed"] else None) or LOBBY


@dataclass
class Views:
    """Every viewer's view of one state, kept by part (never changed in place)."""

    common: View  # the session as every player sees it
    parts: dict[str, dict]  # cid -> the committee as its members see it
    me: dict[str, dict]  # pid (seated, in the lobby, or waiting) -> the seat's own part
    host: View
    projector: View
    # The seats whose own part was re-made from the views before (None: every seat's).
    remade: frozenset[str] | None = field(default=None, compare=False)

    def player(self, pid: str) -> View | None:
        me = self.me.get(pid)
        if me is None:
            return None
        cid = me["committee"]
        return {**self.common, "committee": self.parts[cid] if cid else None, "me": me}


def views(case: Case, state: rules.State, meta: dict) -> Views:
    """Every viewer's view of one state, made whole."""
    maps: dict = {}
    parts = {
        cid: committee_part(case, state, cid, audience="player", maps=maps)
        for cid in state["committees"]
    }
    me = {
        pid: me_part(case, state, pid, maps)
        for pid in [*state["players"], *state.get("waiting", {})]
    }
    host = host_view(case, state, meta, maps=maps)
    room = projector_view(case, state, meta, maps=maps)
    return Views(_common(case, state, meta), parts, me, host, room)


# Top-level keys of the state that no view shows or that only the host's lobby shows.
_NOT_COMMON = frozenset(
    {"players", "committees", "waiting", "claims", "lobby_locked", "seq", "seed"}
)


@dataclass
class Touched:
    """What a change can have changed, found by comparing the states (no view is made)."""

    common: bool  # the session itself: every view may have changed
    committees: set[str]
    seats: set[str]  # players and waiting seats whose own record changed, came or went
    lobby: bool  # the host's lobby part (waiting seats, claims, the lobby's lock)


def _differ(a: Any, b: Any) -> bool:
    """Unequal; the same object is equal without a look inside (the rules copy only
    what an action changes, so a vote leaves every other committee and player as it was)."""
    return a is not b and a != b


def touched(old: rules.State, new: rules.State) -> Touched:
    o: dict[str, Any] = dict(old)
    n: dict[str, Any] = dict(new)
    common = any(_differ(o.get(k), n.get(k)) for k in (o.keys() | n.keys()) - _NOT_COMMON)
    committees = {
        cid
        for cid in old["committees"].keys() | new["committees"].keys()
        if _differ(old["committees"].get(cid), new["committees"].get(cid))
    }
    seats: set[str] = set()
    for table in ("players", "waiting"):
        a: dict[str, Any] = o.get(table, {})
        b: dict[str, Any] = n.get(table, {})
        for pid in a.keys() | b.keys():
            if _differ(a.get(pid), b.get(pid)):
                seats.add(pid)
                for p in (a.get(pid), b.get(pid)):
                    if p and p.get("committee"):
                        committees.add(p["committee"])
    lobby = any(o.get(k) != n.get(k) for k in ("waiting", "claims", "lobby_locked"))
    return Touched(common, committees, seats, lobby)


def advance(case: Case, old: rules.State, new: rules.State, meta: dict, before: Views) -> Views:
    """The views of ``new``, re-making only the parts the change from ``old`` touched."""
    t = touched(old, new)
    if t.common:
        return views(case, new, meta)
    maps: dict = {}
    parts, me = dict(before.parts), dict(before.me)
    host_c = dict(before.host["committees"])
    room_c = dict(before.projector["committees"])
    remake = set(t.seats)
    for cid in t.committees:
        if cid not in new["committees"]:
            for table in (parts, host_c, room_c):
                table.pop(cid, None)
            continue
        parts[cid] = committee_part(case, new, cid, audience="player", maps=maps)
        host_c[cid] = committee_part(case, new, cid, audience="host", maps=maps)
        room_c[cid] = committee_part(case, new, cid, audience="projector", maps=maps)
        remake.update(rules.active_members(new, cid))
        if cid in old["committees"]:
            remake.update(rules.active_members(old, cid))
    waiting = new.get("waiting", {})
    for pid in remake:
        if pid in new["players"] or pid in waiting:
            me[pid] = me_part(case, new, pid, maps)
        else:
            me.pop(pid, None)
    host = {**before.host, "committees": host_c}
    room = {**before.projector, "committees": room_c}
    if t.seats & (old["players"].keys() | new["players"].keys()):
        host["players"] = dict(before.host["players"])
        for pid in t.seats:
            if pid in new["players"]:
                host["players"][pid] = _host_player(new["players"][pid])
            else:
                host["players"].pop(pid, None)
        room["lobby"] = _room_lobby(new)
    if t.lobby:
        host["lobby"], host["claims"] = lobby_part(new), claims_part(new)
    common = {**before.common, "joined": joined_count(new)} if t.seats else before.common
    return Views(common, parts, me, host, room, frozenset(remake))


@dataclass
class Frames:
    """One change as each stream's patches: what goes to whom (game.actions adds versions).

    ``streams``: stream -> (the patches every seat of it gets, the patches of the
    seats whose own part changed, sent after the shared ones, the seats that left
    it); ``moved``: the seats that changed stream, each with its whole patches;
    ``host``/``projector``: theirs.
    """

    streams: dict[str, tuple[list[Patch], dict[str, list[Patch]], list[str]]]
    moved: dict[str, tuple[str, str, list[Patch]]]  # pid -> (from, to, patches)
    host: list[Patch]
    projector: list[Patch]


def _versioned(common: View) -> View:
    return {k: v for k, v in common.items() if k not in UNVERSIONED}


def frames(before: Views, after: Views) -> Frames:
    """What each viewer must be sent to go from ``before`` to ``after``; nothing for the rest."""
    common = diff(_versioned(before.common), _versioned(after.common))
    streams: dict[str, tuple[list[Patch], dict[str, list[Patch]], list[str]]] = {}
    moved: dict[str, tuple[str, str, list[Patch]]] = {}

    def stream(sid: str) -> tuple[list[Patch], dict[str, list[Patch]], list[str]]:
        if sid not in streams:
            part_b = before.parts.get(sid) if sid != LOBBY else None
            part_a = after.parts.get(sid) if sid != LOBBY else None
            shared = common + ([[["committee"], part_a]] if part_b != part_a else [])
            streams[sid] = (shared, {}, [])
        return streams[sid]

    if common:
        for sid in [*after.parts, LOBBY]:
            stream(sid)
    else:
        for sid, part in after.parts.items():
            if before.parts.get(sid) is not part:
                stream(sid)
    seats = after.me.keys() if after.remade is None else after.remade
    for pid in seats:
        me = after.me.get(pid)
        old_me = before.me.get(pid)
        if me is None:
            if old_me is not None:  # merged away: its sockets are closed (game.actions.arevoke)
                stream(stream_of(old_me))[2].append(pid)
            continue
        if old_me is None:
            continue  # a new seat: its first connection gets a snapshot
        was, now = stream_of(old_me), stream_of(me)
        if was != now:
            patches = diff(before.player(pid) or {}, after.player(pid) or {})
            moved[pid] = (was, now, patches)
            stream(was)[2].append(pid)
        elif me is not old_me and me != old_me:
            # Its own patch only: the consumer sends it after the stream's shared one
            # (game.wire.patch_for), which is serialised once for all its seats.
            stream(now)[1][pid] = [[["me"], me]]
    if after.remade is None:
        for pid, old_me in before.me.items():
            if pid not in after.me:  # merged away: its sockets are closed (game.actions.arevoke)
                stream(stream_of(old_me))[2].append(pid)
    streams = {sid: s for sid, s in streams.items() if s[0] or s[1] or s[2]}
    return Frames(
        streams,
        moved,
        diff(before.host, after.host),
        diff(before.projector, after.projector),
    )


def joined_count(state: rules.State) -> int:
    """How many have joined (seats not removed): the lobby's count."""
    return sum(not p["removed"] for p in state["players"].values())


def _host_player(p: Any) -> dict:
    return {
        "name": p["name"],
        "committee": p["committee"],
        "removed": p["removed"],
        "online": p.get("online", 0) > 0,
        "merged": p.get("merged"),
    }


def _room_lobby(state: rules.State) -> dict:
    active = [p for p in state["players"].values() if not p["removed"]]
    return {"count": len(active), "names": [p["name"] for p in active][-60:]}
