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
from typing import Any

from cases.schema import Case, Option, Outcome

from . import rules

View = dict[str, Any]
Patch = list[Any]  # [[key] or [key, subkey], value]; value None removes a subkey

# Parts whose entries are patched one by one (a vote touches one committee).
SPLIT = ("committees", "players")


def _option(o: Option) -> dict:
    return {"id": o.id, "label": o.label, "text": o.text, "cost": o.cost}


def meters_shown(case: Case, state: rules.State) -> bool:
    """The host may hide the numbers during play; from the council's outcome on, they show."""
    return (
        state["options"]["show_meters"]
        or state["status"] == "ended"
        or case.rounds[state["round"]].outcome
    )


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
        "rounds": [{"id": r.id, "title": r.title} for r in case.rounds],
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
        "timer": {"remaining": t["remaining"], "ends_at": t["ends_at"], "fired": t["fired"]},
        "message": state["message"],
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


def _meters(case: Case, c: dict) -> list[dict]:
    return [{"id": m.id, "label": m.label, "value": c["meters"][m.id]} for m in case.meters]


def _decision(case: Case, state: rules.State, c: dict, key: str, d: dict, *, full: bool) -> dict:
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
        "options": [_option(o) for o in rules.options_of(case, c, d)],
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
    if not full:  # the projector: the tally only where the case calls it public
        keep = ("key", "type", "prompt", "locked", "public")
        out = {k: v for k, v in out.items() if k in keep} | (
            {"tally": out["tally"], "options": out["options"]} if task.public else {}
        )
    return out


def _ideas(case: Case, state: rules.State, c: dict, *, authors: bool) -> list[dict]:
    """The committee's idea pool; the room's wall shows ideas, not who wrote them."""
    dots = rules.dots(case, c)
    kept = set((rules.ideas_decision(case, c) or {}).get("locked") or [])
    return [
        {
            "id": str(i["id"]),
            "text": i["text"],
            "card": i["card"],
            "author": state["players"][i["author"]]["name"] if i["author"] and authors else None,
            "dots": dots.get(str(i["id"]), 0),
            "kept": str(i["id"]) in kept,
        }
        for i in c["ideas"]
    ]


def committee_part(case: Case, state: rules.State, cid: str, *, audience: str) -> dict:
    """A committee as its members ("player"), the host or the projector see it."""
    c = state["committees"][cid]
    full = audience != "projector"
    show_meters = audience == "host" or meters_shown(case, state)
    decisions = rules.round_decisions(case, state, c)
    outcome = next((o for o in case.outcomes if o.id == c["outcome"]), None)
    part: dict[str, Any] = {
        "id": cid,
        "name": c["name"],
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
        "decisions": [_decision(case, state, c, key, d, full=full) for key, d in decisions.items()],
        "done": rules.committee_done(case, state, c),
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
        part["politician_cards"] = c["politician_cards"]
    if audience == "host":
        part["history"] = c["history"]
        part["stakeholders"] = c["stakeholders"]
        part["reflections"] = c["reflections"]
    return part


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
        "joined": sum(not p["removed"] for p in state["players"].values()),
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
    """What one player sees. ``common`` and ``committees`` may carry parts already made."""
    player = state["players"][pid]
    cid = None if player["removed"] else player["committee"]
    c = state["committees"][cid] if cid else None
    if cid is not None:
        committee = (committees or {}).get(cid) or committee_part(
            case, state, cid, audience="player"
        )
    else:
        committee = None
    return {
        **(common or _common(case, state, meta)),
        "committee": committee,
        "me": {
            "id": pid,
            "name": player["name"],
            "removed": player["removed"],
            "committee": cid,
            "role": c["roles"].get(pid) if c else None,
            "card": _card_for(case, state, c["roles"].get(pid)) if c else None,
            "votes": {
                k: d["votes"][pid]
                for k, d in rules.round_decisions(case, state, c).items()
                if pid in d["votes"]
            }
            if c
            else {},
            "reflections": c["reflections"].get(pid, {}) if c else {},
            "questions": [{"id": q.id, "text": q.text} for q in case.reflection]
            if case.rounds[state["round"]].reflection
            else [],
        },
    }


def host_view(case: Case, state: rules.State, meta: dict) -> View:
    return {
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
        "players": {
            pid: {
                "name": p["name"],
                "committee": p["committee"],
                "removed": p["removed"],
                "online": p.get("online", 0) > 0,
            }
            for pid, p in state["players"].items()
        },
        "committees": {
            cid: committee_part(case, state, cid, audience="host") for cid in state["committees"]
        },
    }


def projector_view(case: Case, state: rules.State, meta: dict) -> View:
    active = [p for p in state["players"].values() if not p["removed"]]
    return {
        "session": session_part(case, state, meta),
        "lobby": {"count": len(active), "names": [p["name"] for p in active][-60:]},
        "committees": {
            cid: committee_part(case, state, cid, audience="projector")
            for cid in state["committees"]
        },
    }


# --- patches ------------------------------------------------------------------------


def diff(old: View, new: View) -> list[Patch]:
    """The patches that turn ``old`` into ``new``."""
    out: list[Patch] = []
    for key, value in new.items():
        before = old.get(key)
        if key in old and before == value:  # a part new to the viewer is sent even when None
            continue
        if key in SPLIT and isinstance(before, dict) and isinstance(value, dict):
            out += [[[key, sub], v] for sub, v in value.items() if before.get(sub) != v]
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


def all_views(case: Case, state: rules.State, meta: dict) -> dict[str, Any]:
    """Every viewer's view of one state: the host's, the projector's, each player's."""
    common = _common(case, state, meta)
    committees = {
        cid: committee_part(case, state, cid, audience="player") for cid in state["committees"]
    }
    return {
        "host": host_view(case, state, meta),
        "projector": projector_view(case, state, meta),
        "players": {
            pid: player_view(case, state, pid, meta, common=common, committees=committees)
            for pid in state["players"]
        },
    }


def bundle(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The patches for every viewer between two ``all_views`` results."""
    return {
        "host": diff(old["host"], new["host"]),
        "projector": diff(old["projector"], new["projector"]),
        "players": {
            pid: diff(old["players"].get(pid, {}), view) for pid, view in new["players"].items()
        },
    }
