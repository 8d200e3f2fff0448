"""The take-home summary: what one player takes from the game to their own council.

One player's own path through the session, read once the session has ended:
the roles they held round by round, their committee's choices and the
consequences that followed, the council's outcome and why (the meters against
the thresholds), the politician cards played, their own reflection answers,
and the five steps of the talk ("Videre frem over isen") each with a sentence
drawn from what happened in their committee and the player's own "our
council's next step".

What a player sees here is what they saw in play, and nothing more: their own
private card and answers, never another player's; the committee's choices (the
committee saw them); no one's individual votes. The host's handout is these
summaries side by side, one per player.

These are this module's own small read functions over the state and the event
log; the debrief's public read model (game/readmodel.py) is not in this branch
yet. Nothing here changes a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, gettext_lazy, ngettext

from cases.schema import Case, Condition

from . import rules
from .models import Event, Player, Session
from .visibility import role_name

MAX_NEXT_STEP = 600  # characters: a few sentences for a note to the council
# A seats decision has a consequence for every stakeholder left out (nine in
# the school case); the first few tell the story and keep the print to two pages.
MAX_CONSEQUENCES = 3


@dataclass(frozen=True)
class Step:
    id: str
    title: Any  # a lazy translation
    hint: Any


# The talk's five steps, "Videre frem over isen" (shared/seed), in its order.
STEPS = (
    Step(
        "vision",
        gettext_lazy(
            "Make a clear vision for the municipality's development that can be used "
            "to identify problems and challenges"
        ),
        gettext_lazy("Where does our municipality want to go, and what stands in the way?"),
    ),
    Step(
        "problems",
        gettext_lazy(
            "Identify and prioritise the problems and challenges that call for policy innovation"
        ),
        gettext_lazy("Which problem first, and who knows it from the inside?"),
    ),
    Step(
        "roles",
        gettext_lazy(
            "Clarify your roles as igangsætter (who, what, why, how and when?), facilitator "
            "(how do we promote collaboration?) and katalysator (how do we promote new thinking "
            "and innovation?)"
        ),
        gettext_lazy("Who of us takes which role in the next committee?"),
    ),
    Step(
        "party",
        gettext_lazy(
            "Consider the room for party politics and the option of playing the politician card"
        ),
        gettext_lazy("When do we let the committee decide, and when do we use our mandate?"),
    ),
    Step(
        "coupling",
        gettext_lazy("Discuss the coupling between the city council and the 17.4 committees"),
        gettext_lazy(
            "How do the council and the standing committee own the recommendation from the start?"
        ),
    ),
)
STEP_IDS = tuple(s.id for s in STEPS)


def _labels(case: Case, c: dict, d: dict, value: Any) -> list[str]:
    """A locked value as the committee saw it: option labels, idea texts."""
    if value is None:
        return []
    task = rules.task_of(case, d)
    if task.type == "ideas":
        texts = {str(i["id"]): i["text"] for i in c["ideas"]}
        return [texts[k] for k in value if k in texts]
    options = {o.id: o.label for o in rules.options_of(case, c, d)}
    ids = value if isinstance(value, list) else [value]
    return [options[i] for i in ids if i in options]


def _prompt(case: Case, d: dict) -> str:
    card = case.card(d["card"]) if d["card"] else None
    return card.title if card else rules.task_of(case, d).prompt


def roles_by_round(log: Sequence[Event], pid: str) -> dict[int, str]:
    """{round index: role id} for one player, as each round began (and as they were seated).

    The rules log a ``roles`` event per committee when a round starts, and a
    ``seat`` event when a player is placed or moved; the latest word wins.
    """
    out: dict[int, str] = {}
    current = 0
    for ev in log:
        for e in ev.events:
            kind = e.get("kind")
            if kind == "round":
                current = e["round"]
            elif kind == "roles" and pid in e["roles"]:  # each committee logs its own
                out[e["round"]] = e["roles"][pid]
            elif kind == "seat" and e.get("player") == pid and e.get("role"):
                out[current] = e["role"]
    return out


def _role_spans(case: Case, by_round: dict[int, str], reached: int) -> list[dict]:
    """Consecutive rounds with the same role as one line: "Round 2–4: Facilitator"."""
    spans: list[dict] = []
    role = None
    for i in range(0, max(reached, 0) + 1):
        role = by_round.get(i, role)
        if role is None:
            continue
        title = case.rounds[i].title
        if spans and spans[-1]["role_id"] == role:
            spans[-1]["last"] = title
            spans[-1]["count"] += 1
        else:
            spans.append(
                {
                    "role_id": role,
                    "role": role_name(case, role, gettext("member")),
                    "first": title,
                    "last": title,
                    "count": 1,
                }
            )
    return spans


def _condition_text(case: Case, cond: Condition) -> str:
    if cond.seated is not None:
        s = case.stakeholder(cond.seated)
        return gettext("%(who)s had a seat at the table") % {"who": s.name if s else cond.seated}
    if cond.absent is not None:
        s = case.stakeholder(cond.absent)
        return gettext("%(who)s was left out") % {"who": s.name if s else cond.absent}
    if cond.chosen is not None:
        return gettext("the committee chose %(what)s") % {"what": cond.chosen}
    if cond.politician_card:
        return gettext("the politician card was played")
    return gettext("the politician card was not played")


def _check(case: Case, c: dict, cond: Condition) -> dict:
    """One threshold of an outcome against the committee's final meters."""
    holds = rules._holds(c, cond)
    if cond.meter is None:
        return {"meter": None, "text": _condition_text(case, cond), "ok": holds}
    meter = next((m for m in case.meters if m.id == cond.meter), None)
    return {
        "meter": cond.meter,
        "label": meter.label if meter else cond.meter,
        "value": c["meters"].get(cond.meter),
        "min": cond.min,
        "max": cond.max,
        "ok": holds,
    }


def outcome_reasons(case: Case, c: dict) -> list[dict]:
    """Why the council decided as it did: the nearest better outcome missed, and the one reached.

    The first outcome whose conditions all hold is the council's; the better
    outcome just before it failed on at least one threshold: those are shown
    (its failed ones; the reached outcome's met ones).
    """
    out = []
    for o in case.outcomes:
        reached = o.id == c["outcome"]
        checks = [_check(case, c, cond) for cond in o.when]
        out.append(
            {
                "id": o.id,
                "title": o.title,
                "reached": reached,
                "checks": checks if reached else [x for x in checks if not x["ok"]],
            }
        )
        if reached:
            break
    # The one just missed and the one reached tell why; the ones further up only repeat it.
    return out[-2:]


def _decisions(case: Case, state: dict, c: dict, by_round: dict[int, dict[str, str]]) -> list[dict]:
    """The committee's locked decisions in round order, each with the consequences that followed."""
    consequences: dict[str, list[str]] = {}
    for entry in c["log"]:
        consequences.setdefault(entry["key"], []).append(entry["text"])
    tasks = {
        t.id: (r, j) for r, round_ in enumerate(case.rounds) for j, t in enumerate(round_.tasks)
    }
    ordered = sorted(
        c["decisions"].items(),
        key=lambda kd: (kd[1]["round"], tasks.get(kd[1]["task"], (0, 99))[1], kd[0]),
    )
    out = []
    for key, d in ordered:
        if d["locked"] is None:
            continue
        task = rules.task_of(case, d)
        labels = _labels(case, c, d, d["locked"])
        if task.type == "rank":
            labels = labels[: max(3, task.apply_top)]
        by = d["by"]
        locker = (
            role_name(case, by_round.get(d["round"], {}).get(by), gettext("member")) if by else ""
        )
        entry = {
            "key": key,
            "round": d["round"],
            "round_title": case.rounds[d["round"]].title,
            "prompt": _prompt(case, d),
            "type": task.type,
            "lg": list(task.lg),
            "labels": labels,
            "card": bool(d["card"]),
            "by_timer": by is None,
            "locker": locker,
            "politician_card": d["politician_card"],
            "majority": [],
            "consequences": consequences.get(key, [])[:MAX_CONSEQUENCES],
            "more": max(0, len(consequences.get(key, [])) - MAX_CONSEQUENCES),
        }
        if d["politician_card"]:
            majority = _labels(case, c, d, rules.plurality(case, c, d))
            entry["majority"] = [x for x in majority if x not in labels] or majority
        out.append(entry)
    return out


def _sentence(step: str, *, decisions: list[dict], spans: list[dict], outcome, cards: int) -> str:
    """One sentence from what happened in the committee, for one of the talk's steps."""
    by_type: dict[str, list[dict]] = {}
    for d in decisions:
        by_type.setdefault(d["type"], []).append(d)

    def first(types: tuple[str, ...], lg: str | None = None) -> dict | None:
        found = [d for d in decisions if d["type"] in types and (lg is None or lg in d["lg"])]
        return found[0] if found else None

    def quote(labels: list[str], n: int = 2) -> str:
        return ", ".join(f"»{x}«" for x in labels[:n])

    if step == "vision":
        d = first(("choice",), "LG1") or first(("choice",))
        if d and d["labels"]:
            return gettext("Your committee set its direction with %(choice)s (%(prompt)s).") % {
                "choice": quote(d["labels"], 1),
                "prompt": d["prompt"],
            }
        return gettext("Your committee never locked a direction of its own.")
    if step == "problems":
        d = first(("rank",)) or first(("seats",))
        if d and d["labels"] and d["type"] == "rank":
            return gettext("Your committee put %(top)s at the top of the problems.") % {
                "top": quote(d["labels"])
            }
        if d and d["labels"]:
            return gettext("Your committee gave the seats at the table to %(who)s.") % {
                "who": ", ".join(d["labels"])
            }
        return gettext("Your committee did not get to rank the problems.")
    if step == "roles":
        held = ", ".join(dict.fromkeys(s["role"] for s in spans)) or gettext("no role")
        cat = by_type.get("catalyst")
        if cat and cat[0]["labels"]:
            return gettext("You were %(roles)s; the katalysator's tool was %(tool)s.") % {
                "roles": held,
                "tool": quote(cat[0]["labels"], 1),
            }
        return gettext("You were %(roles)s; no catalyst tool was played.") % {"roles": held}
    if step == "party":
        played = [d for d in decisions if d["politician_card"]]
        if played:
            return ngettext(
                "The politician card was played once: at %(where)s.",
                "The politician card was played %(n)s times, first at %(where)s.",
                cards,
            ) % {"n": cards, "where": f"»{played[0]['prompt']}«"}
        return gettext("Nobody played the politician card: every lock followed the majority.")
    # coupling: the decision tagged with the coupling goal, else the last choice after the first
    d = first(("choice",), "LG5")
    if d is None:
        choices = by_type.get("choice") or []
        d = choices[-1] if len(choices) > 1 else None
    council = outcome["title"] if outcome else gettext("no decision yet")
    if d and d["labels"]:
        return gettext("You chose %(choice)s, and the council's verdict was: %(outcome)s.") % {
            "choice": quote(d["labels"], 1),
            "outcome": council,
        }
    return gettext("The council's verdict on your recommendation was: %(outcome)s.") % {
        "outcome": council
    }


def player_summary(session: Session, player: Player, log: Sequence[Event] | None = None) -> dict:
    """Everything the player's own summary page shows; see the module docstring."""
    case, state = session.case, session.state
    pid = player.pid
    log = list(Event.objects.filter(session=session).order_by("version")) if log is None else log
    seat = state["players"].get(pid, {"name": player.name, "committee": None, "removed": False})
    cid = seat["committee"]
    c = state["committees"].get(cid) if cid else None
    mine = roles_by_round(log, pid)
    spans = _role_spans(case, mine, state.get("reached", state["round"]))
    final_role = (c["roles"].get(pid) if c else None) or (spans[-1]["role_id"] if spans else None)
    card: dict | None = None
    if final_role:
        role = case.role(final_role)
        persona = case.persona(final_role)
        if role:
            card = {"kind": "role", "name": role.name, "question": role.question}
        elif persona:  # the player's own private card: theirs to take home
            card = {"kind": "persona", "name": persona.name, "interests": persona.interests}
    summary: dict[str, Any] = {
        "code": session.code,
        "title": case.title,
        "setting": case.setting,
        "ended_at": session.ended_at,
        "name": seat["name"],
        "removed": seat["removed"],
        "committee": None,
        "roles": spans,
        "card": card,
        "decisions": [],
        "ideas": [],
        "outcome": None,
        "reasons": [],
        "meters": [],
        "politician_cards": [],
        "politician_card_count": 0,
        "politician_card_text": case.politician_card.text,
        "reflections": [],
    }
    decisions: list[dict] = []
    outcome = None
    cards = 0
    if c is not None:
        # {round: {pid: role}} of the committee, to name the role that locked each decision.
        committee_roles: dict[int, dict[str, str]] = {}
        for ev in log:
            for e in ev.events:
                if e.get("kind") == "roles" and e.get("committee") == cid:
                    committee_roles.setdefault(e["round"], {}).update(e["roles"])
        decisions = _decisions(case, state, c, committee_roles)
        o = next((o for o in case.outcomes if o.id == c["outcome"]), None)
        outcome = {"title": o.title, "headline": o.headline, "text": o.text} if o else None
        cards = c["politician_cards"]
        dots = rules.dots(case, c)
        kept = (rules.ideas_decision(case, c) or {}).get("locked") or []
        by_id = {str(i["id"]): i for i in c["ideas"]}
        answers = c["reflections"].get(pid, {})
        summary |= {
            "committee": gettext("Committee %(name)s") % {"name": c["name"]},
            "decisions": [d for d in decisions if d["type"] != "ideas"],
            "ideas": sorted(
                (
                    {
                        "text": by_id[k]["text"],
                        "dots": dots.get(k, 0),
                        "mine": by_id[k]["author"] == pid,
                        "card": bool(by_id[k]["card"]),
                    }
                    for k in kept
                    if k in by_id
                ),
                key=lambda i: -i["dots"],
            ),
            "outcome": outcome,
            "reasons": outcome_reasons(case, c) if o else [],
            "meters": [
                {"id": m.id, "label": m.label, "start": m.start, "value": c["meters"][m.id]}
                for m in case.meters
            ],
            "politician_cards": [d for d in decisions if d["politician_card"]],
            "politician_card_count": cards,
            "reflections": [
                {"question": q.text, "answer": answers[q.id]}
                for q in case.reflection
                if answers.get(q.id, "").strip()
            ],
        }
    notes = player.next_steps if isinstance(player.next_steps, dict) else {}
    summary["steps"] = [
        {
            "id": s.id,
            "number": i,
            "title": str(s.title),
            "hint": str(s.hint),
            "sentence": _sentence(
                s.id, decisions=decisions, spans=spans, outcome=outcome, cards=cards
            ),
            "next_step": str(notes.get(s.id, "")),
        }
        for i, s in enumerate(STEPS, 1)
    ]
    return summary


def all_summaries(session: Session) -> list[dict]:
    """Every seated player's summary (the host's handout), in the order they joined."""
    log = list(Event.objects.filter(session=session).order_by("version"))
    state = session.state
    out = []
    for player in Player.objects.filter(session=session).order_by("pk"):
        seat = state["players"].get(player.pid)
        if seat is None or seat["removed"]:
            continue
        out.append(player_summary(session, player, log))
    return out


def clean_next_steps(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The posted next steps, trimmed; and the errors per step (nothing is saved if any)."""
    steps, errors = {}, {}
    for s in STEPS:
        value = data.get(f"step_{s.id}", "")
        text = value.strip().replace("\r\n", "\n") if isinstance(value, str) else ""
        if "\x00" in text:
            errors[s.id] = gettext("That text holds characters that cannot be saved.")
        elif len(text) > MAX_NEXT_STEP:
            errors[s.id] = gettext("A next step is at most %(n)s characters.") % {
                "n": MAX_NEXT_STEP
            }
        elif text:
            steps[s.id] = text
    return steps, errors
