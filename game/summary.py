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

It reads the session through the public read model (game.readmodel), with
display names: the summary goes to the player it is about. Nothing here
changes a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.utils.translation import gettext, gettext_lazy, ngettext

from . import rules
from .models import Player, Session
from .readmodel import ReadModel
from .visibility import role_name

MAX_NEXT_STEP = 600  # characters: a few sentences for a note to the council
# A seats decision has a consequence for every stakeholder left out (nine in
# the school case); the first few tell the story and keep the print to two pages.
MAX_CONSEQUENCES = 3
# On paper (the phone's print, the host's handout) long texts are cut, so that
# the longest summary a player can have (eight seats, every answer and note at
# its longest) takes two A4 pages at 10 pt; the page on the screen shows them whole.
PAPER_ANSWER = 180
PAPER_NEXT_STEP = 120
PAPER_SENTENCE = 120
PAPER_LABELS = 70
PAPER_CONSEQUENCE = 70
PAPER_IDEA = 50


def paper_cut(text: str, most: int) -> str:
    """A text as it is printed: on one line, at most ``most`` characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= most:
        return text
    cut = text[: most - 1]
    if cut.rfind(" ") > most // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.–-") + "…"


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


def _role_spans(rm: ReadModel, by_round: dict[int, str], reached: int) -> list[dict]:
    """Consecutive rounds with the same role as one line: "2 · Problemforståelse – 4 · …"."""
    spans: list[dict] = []
    role = None
    for i in range(0, max(reached, 0) + 1):
        role = by_round.get(i, role)
        if role is None:
            continue
        label = rm.round_label(i)
        if spans and spans[-1]["role_id"] == role:
            spans[-1]["last"] = label
            spans[-1]["count"] += 1
        else:
            spans.append(
                {
                    "role_id": role,
                    "role": role_name(rm.case, role, gettext("member")),
                    "first": label,
                    "last": label,
                    "count": 1,
                }
            )
    return spans


def _condition(check: dict) -> dict:
    """One threshold of the read model's ``explain_outcome`` as the summary shows it."""
    kind, label = check["kind"], check["label"]
    if kind == "meter":
        return {
            "meter": True,
            "label": label,
            "value": check["value"],
            "min": check["min"],
            "max": check["max"],
            "ok": check["met"],
        }
    if kind == "seated":
        text = gettext("%(who)s had a seat at the table") % {"who": label}
    elif kind == "absent":
        text = gettext("%(who)s was left out") % {"who": label}
    elif kind == "chosen":
        text = gettext("the committee chose %(what)s") % {"what": label}
    elif check.get("wanted"):
        text = gettext("the politician card was played")
    else:
        text = gettext("the politician card was not played")
    return {"meter": False, "text": text, "ok": check["met"]}


def outcome_reasons(why: dict) -> list[dict]:
    """Why the council decided as it did: the nearest better outcome missed, and the one reached.

    The first outcome whose conditions all hold is the council's; the better
    outcome just before it failed on at least one threshold: those are shown
    (its failed ones; the reached outcome's met ones). The ones further up
    only repeat the story.
    """
    checks = why["checks"]
    at = next((i for i, x in enumerate(checks) if x["reached"]), None)
    if at is None:
        return []
    out = []
    for x in checks[max(0, at - 1) : at + 1]:
        conditions = [_condition(c) for c in x["conditions"]]
        out.append(
            {
                "id": x["id"],
                "title": x["title"],
                "reached": x["reached"],
                "checks": conditions if x["reached"] else [c for c in conditions if not c["ok"]],
            }
        )
    return out


def _decisions(rm: ReadModel, committee: dict) -> list[dict]:
    """The committee's locked decisions in round order, each with the consequences that followed."""
    consequences: dict[str, list[str]] = {}
    for entry in committee["log"]:
        consequences.setdefault(entry["key"], []).append(entry["text"])
    out = []
    for d in committee["decisions"]:
        labels = d["labels"]
        if d["type"] == "rank":
            task = rules.task_of(rm.case, cast(rules.Decision, {"task": d["task"]}))  # reads "task"
            labels = labels[: max(3, task.apply_top)]
        by = d["by_pid"]
        role = rm.roles_by_round.get(d["round"], {}).get(by) if by else None
        if by and role is None:
            c = rm.state["committees"][committee["id"]]
            role = c["roles"].get(by)
        said = consequences.get(d["key"], [])
        majority = (
            [x for x in d["majority_labels"] if x not in d["labels"]] or d["majority_labels"]
            if d["politician_card"]
            else []
        )
        out.append(
            {
                "key": d["key"],
                "round": d["round"],
                "round_title": d["round_label"],
                "prompt": d["prompt"],
                "type": d["type"],
                "lg": list(d["frame"]),
                "labels": labels,
                "card": bool(d["card"]),
                "by_timer": by is None,
                "locker": role_name(rm.case, role, gettext("member")) if by else "",
                "politician_card": d["politician_card"],
                "majority": majority,
                "consequences": said[:MAX_CONSEQUENCES],
                "more": max(0, len(said) - MAX_CONSEQUENCES),
                "paper_labels": paper_cut(", ".join(labels), PAPER_LABELS),
                "paper_majority": paper_cut(", ".join(majority), PAPER_LABELS // 2),
                "paper_consequence": paper_cut(said[0], PAPER_CONSEQUENCE) if said else "",
            }
        )
    return out


def _sentence(step: str, *, decisions: list[dict], spans: list[dict], outcome, cards: int) -> str:
    """One sentence from what happened in the committee, for one of the talk's steps."""
    by_type: dict[str, list[dict]] = {}
    for x in decisions:
        by_type.setdefault(x["type"], []).append(x)

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
        held = " / ".join(dict.fromkeys(s["role"] for s in spans)) or gettext("no role")
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


def player_summary(session: Session, player: Player, rm: ReadModel | None = None) -> dict:
    """Everything the player's own summary page shows; see the module docstring."""
    rm = rm or ReadModel(session)
    case, state = rm.case, rm.state
    pid = player.pid
    seat = state["players"].get(
        pid, {"name": player.name, "committee": None, "removed": False, "online": 0}
    )
    cid = seat["committee"]
    committee = rm.committee(cid) if cid in state["committees"] else None
    mine = {r: roles[pid] for r, roles in rm.roles_by_round.items() if pid in roles}
    c = state["committees"].get(cid or "")  # the one ``committee`` reads, or None
    if c and not mine and c["roles"].get(pid):  # seated after the last round began
        mine = {state["round"]: c["roles"][pid]}
    spans = _role_spans(rm, mine, state.get("reached", state["round"]))
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
        "reflections": [],
    }
    decisions: list[dict] = []
    outcome = None
    cards = 0
    if committee is not None:
        decisions = _decisions(rm, committee)
        outcome = committee["outcome"]
        cards = committee["politician_card_count"]
        questions = {q.id: q.text for q in case.reflection}
        order = {q.id: i for i, q in enumerate(case.reflection)}
        answers = sorted(
            (r for r in committee["reflections"] if r["pid"] == pid),  # this player's only
            key=lambda r: order.get(r["question"], len(order)),
        )
        summary |= {
            "committee": committee["label"],
            "decisions": [d for d in decisions if d["type"] != "ideas"],
            "ideas": sorted(
                (
                    {
                        "text": i["text"],
                        "paper": paper_cut(i["text"], PAPER_IDEA),
                        "dots": i["dots"],
                        "mine": i["source"] == "player" and i["author"] == seat["name"],
                        "card": bool(i["card"]),
                    }
                    for i in committee["ideas"]
                    if i["kept"]
                ),
                key=lambda i: -i["dots"],
            ),
            "outcome": outcome,
            "reasons": outcome_reasons(committee["why"]) if outcome else [],
            "meters": [
                {"id": m.id, "label": m.label, "start": m.start, "value": committee["final"][m.id]}
                for m in case.meters
            ],
            "politician_cards": [d for d in decisions if d["politician_card"]],
            "politician_card_count": cards,
            "reflections": [
                {
                    "question": questions.get(r["question"], r["question"]),
                    "answer": r["text"],
                    "paper": paper_cut(r["text"], PAPER_ANSWER),
                }
                for r in answers
            ],
        }
    notes = player.next_steps if isinstance(player.next_steps, dict) else {}
    summary["steps"] = [
        {
            "id": s.id,
            "number": i,
            "title": str(s.title),
            "hint": str(s.hint),
            "sentence": (
                sentence := _sentence(
                    s.id, decisions=decisions, spans=spans, outcome=outcome, cards=cards
                )
            ),
            "paper_sentence": paper_cut(sentence, PAPER_SENTENCE),
            "next_step": str(notes.get(s.id, "")),
            "paper_next_step": paper_cut(str(notes.get(s.id, "")), PAPER_NEXT_STEP),
        }
        for i, s in enumerate(STEPS, 1)
    ]
    # Whether the paper leaves out some of a text: it says so, and where the whole is.
    summary["shortened"] = any(
        r["paper"] != " ".join(r["answer"].split()) for r in summary["reflections"]
    ) or any(x["paper_next_step"] != " ".join(x["next_step"].split()) for x in summary["steps"])
    return summary


def all_summaries(session: Session) -> list[dict]:
    """Every seated player's summary (the host's handout), in the order they joined."""
    rm = ReadModel(session)  # read once for all of them
    state = session.state
    out = []
    for player in Player.objects.filter(session=session).order_by("pk"):
        seat = state["players"].get(player.pid)
        if seat is None or seat["removed"]:
            continue
        out.append(player_summary(session, player, rm))
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
