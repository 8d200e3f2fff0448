"""The debrief: a 20-minute talk about THIS session, per committee and per learning goal.

It reads the session only through ``game.readmodel`` (display names: the
debrief is a conversation between the people in the room, who saw each
other's names on every screen of the game; reflection answers are shown by
committee, not by author). Nothing here changes a session.

What it gives the page (``debrief(session)``):
- per committee: why this outcome (each meter against each outcome's
  threshold, by how much), the meter chart, the consequence log, who was left
  out and what that did, the vote splits of the key decisions, the politician
  cards, the personas' secret interests, the winning ideas;
- across committees: where their paths diverged (the key decisions side by
  side) and the outcome each path led to; the final meters compared;
- a host script: two questions per learning goal with timings (about 20
  minutes), built from what happened in this session;
- slides for the projector mode: one learning goal at a time, with one
  reflection answer per committee.
It is honest about what the session does not hold (no outcome yet, no
stakeholder movement recorded, personas not scored).
"""

from __future__ import annotations

from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop, ngettext

from cases.schema import PLAYED_TYPES

from .charts import meter_chart_svg
from .models import Session
from .readmodel import ReadModel

RANK_SHOWN = 3  # a ranking shows its top three (or more if more have effects)
TALK_MINUTES = 20  # the whole talk, in whole minutes
INTRO_MINUTES = (1, 1)  # the outcomes, then where the paths diverged, before the goals
# What one projector slide of the paths holds, in choices shown per committee:
# four decisions, or one dilemma round's five cards (1280×720).
PATH_LINES = 5
PATH_LINES_MANY = 6  # many committees: lines of grouped choices, two groups a line
PATH_PAGES_MANY = 3  # ... and the first three pages of them
# With more committees than this, a goal takes two projector slides (its
# question on this session with one fact per committee, then the reflection
# with one answer per committee): ten of each do not fit one 1280×720 screen.
ONE_SLIDE_COMMITTEES = 4


# --- per committee -----------------------------------------------------------------------------


def _entry(x: dict, task_apply_top: int = 1) -> dict:
    """A decision as the page shows it: the read model's, with its labels cut to fit."""
    shown = x["labels"]
    if x["type"] == "rank":
        shown = x["labels"][: max(RANK_SHOWN, task_apply_top)]
    entry = dict(x)
    entry["shown"] = shown
    entry["more"] = len(x["labels"]) - len(shown)
    entry["by_timer"] = x["by_pid"] is None
    entry["chosen"], entry["majority"] = [], []
    # A politician card with the plurality's own choice: locked with no majority behind it.
    entry["no_majority"] = x["politician_card"] and sorted(x["ids"]) == sorted(x["majority_ids"])
    if x["politician_card"] and not entry["no_majority"]:
        if isinstance(x["locked"], list) and x["type"] != "rank":
            # Only what differs: a seats decision of five would repeat four names.
            entry["chosen"] = [v for v in x["labels"] if v not in x["majority_labels"]]
            entry["majority"] = [v for v in x["majority_labels"] if v not in x["labels"]]
        else:
            entry["chosen"] = shown
            entry["majority"] = x["majority_labels"][: len(shown)]
    # The split as the room reads it: the options that got votes, most first.
    if x["type"] in ("choice", "card", "seats", "budget"):
        entry["split_shown"] = sorted(
            (o for o in x["split"] if o["votes"] or o["chosen"]), key=lambda o: -o["votes"]
        )
    else:
        entry["split_shown"] = []
    return entry


def _why(c: dict) -> dict:
    """Why this outcome, as sentences and a table of meters against thresholds."""
    why = c["why"]
    checks = why["checks"]
    reached = next((k for k in checks if k["reached"]), None)
    better = [k for k in checks if k["better"]]
    # The table: one row per meter that any outcome tests, one column per outcome that tests meters.
    columns = [k for k in checks if any(x["kind"] == "meter" for x in k["conditions"])]
    rows = []
    for m_id, value in c["final"].items():
        cells = []
        tested = False
        for k in columns:
            cond = next(
                (x for x in k["conditions"] if x["kind"] == "meter" and x["meter"] == m_id), None
            )
            cells.append(cond)
            tested = tested or cond is not None
        if tested:
            label = next(
                x["label"] for k in columns for x in k["conditions"] if x.get("meter") == m_id
            )
            rows.append({"meter": m_id, "label": label, "value": value, "cells": cells})
    missing = []
    if better:
        # What the next better outcome lacked: the step the committee just missed.
        step = better[-1]
        missing = [
            x | ({"short": -x["margin"]} if x["kind"] == "meter" else {})
            for x in step["conditions"]
            if not x["met"]
        ]
    return {
        "reached": reached,
        "next_better": better[-1] if better else None,
        "missing": missing,
        "spare": [x for x in (reached or {}).get("conditions", []) if x["kind"] == "meter"],
        "others": [
            x for k in columns[:1] for x in k["conditions"] if x["kind"] != "meter"
        ],  # the best outcome's tests on choices, seats and cards
        "columns": [{"id": k["id"], "title": k["title"], "reached": k["reached"]} for k in columns],
        "rows": rows,
    }


def _chart_points(c: dict) -> list[tuple[str, dict]]:
    start = gettext("Start")
    return [(start if h["number"] == 0 else str(h["number"]), h["meters"]) for h in c["history"]]


def _committee(rm: ReadModel, c: dict) -> dict:
    case = rm.case
    decisions = []
    for x in c["decisions"]:
        if x["type"] == "ideas":
            continue  # the winning ideas are shown on their own
        found = case.find_task(x["task"]) if x["task"] else None
        decisions.append(_entry(x, found[1].apply_top if found else 1))
    winners = sorted((i for i in c["ideas"] if i["kept"]), key=lambda i: (-i["dots"], int(i["id"])))
    points = _chart_points(c)
    recorded = any(s["by_round"] for s in c["stakeholders"])
    return c | {
        "short": c["name"],
        "name": c["label"],
        "decisions": decisions,
        "key_decisions": [x for x in decisions if x["key_decision"]],
        "politician_cards": [x for x in decisions if x["politician_card"]],
        "ideas": winners,
        "why_view": _why(c),
        # Safe: meter_chart_svg escapes every text it writes.
        "chart": mark_safe(meter_chart_svg(points, case.meters, title=c["label"])),
        "stances_recorded": recorded,
        "personas_scored": any(p["scored"] for p in c["personas"]),
        "council_note": _council_note(rm, c),
    }


def _council_note(rm: ReadModel, c: dict) -> str:
    """When the chart goes on past the council (implementation), when the council weighed it.

    The "why" reads the meters the council weighed; the chart's last points are
    later ones, so the two would disagree without a word.
    """
    at = next((i for i, r in enumerate(rm.case.rounds) if r.outcome), None)
    if at is None or not c["outcome"] or not any(h["round"] > at for h in c["history"]):
        return ""
    return gettext(
        "The council weighed the meters as round %(round)s began; the points after it are the "
        "implementation, so they may differ from the table above."
    ) % {"round": f"{rm.rounds()[at]['number']} ({rm.case.rounds[at].title})"}


# --- across committees -------------------------------------------------------------------------


def _paths(rm: ReadModel, committees: list[dict]) -> list[dict]:
    """Where the committees' paths diverged: each key task side by side, then the outcome.

    One row per task of the case that decides something (in the case's order),
    one row per card task listing the cards each committee met, and a last row
    with the outcome. ``diverged`` marks rows where the committees chose differently.
    """
    case = rm.case
    rows = []
    for index, round_ in enumerate(case.rounds):
        for task in round_.tasks:
            if task.type not in ("choice", "seats", "card", "budget", "rank", *PLAYED_TYPES):
                continue
            cells: list[dict[str, Any]] = []
            for c in committees:
                found = [x for x in c["decisions"] if x["task"] == task.id]
                if task.type == "card":
                    text = [f"{x['prompt']}: {' · '.join(x['labels'])}" for x in found]
                elif task.type == "rank":
                    text = [" › ".join(x["labels"][: task.apply_top]) for x in found]
                else:
                    text = [" · ".join(x["labels"]) for x in found]
                cells.append(
                    {
                        "texts": text,
                        "politician_card": any(x["politician_card"] for x in found),
                        "ids": [
                            tuple(x["ids"]) + (x["card"]["id"] if x["card"] else "",) for x in found
                        ],
                    }
                )
            keys = {tuple(cell["ids"]) for cell in cells}
            rows.append(
                {
                    "round": rm.round_label(index),
                    "prompt": task.prompt,
                    "type": task.type,
                    "cells": cells,
                    "diverged": len(committees) > 1 and len(keys) > 1,
                    "groups": _groups(cells, committees),
                }
            )
    return rows


def _groups(cells: list[dict], committees: list[dict]) -> list[dict]:
    """A row's committees grouped by what they chose, each group with the outcomes it led to.

    Ten columns do not fit a projector: there a row reads "what was chosen —
    by which committees — and where they ended", most chosen first.
    """
    groups: dict[tuple, dict] = {}
    for cell, c in zip(cells, committees, strict=True):
        g = groups.setdefault(
            tuple(cell["ids"]),
            {"text": " / ".join(cell["texts"]) or "–", "committees": [], "outcomes": {}},
        )
        g["committees"].append(c["short"])
        title = c["outcome"]["title"] if c["outcome"] else "–"
        g["outcomes"][title] = g["outcomes"].get(title, 0) + 1
    return sorted(
        (g | {"outcomes": list(g["outcomes"].items())} for g in groups.values()),
        key=lambda g: -len(g["committees"]),
    )


def _comparison(rm: ReadModel, committees: list[dict]) -> list[dict]:
    rows = []
    for m in rm.case.meters:
        values = [{"committee": c["name"], "value": c["final"].get(m.id, 0)} for c in committees]
        best = max((v["value"] for v in values), default=None)
        for v in values:
            v["best"] = len(values) > 1 and v["value"] == best
        rows.append({"id": m.id, "label": m.label, "values": values})
    return rows


def _pages(rows: list[dict], most: int, weight: Any) -> list[list[dict]]:
    """Rows in pages of at most ``most`` lines, by ``weight(row)``, evened out.

    A row heavier than a page has one to itself. The page count is the fewest
    that hold the rows in order; then the rows are shared so pages weigh alike.
    """
    if not rows:
        return []
    weights = [min(most, max(1, weight(r))) for r in rows]
    greedy: list[list[int]] = [[]]
    for i, w in enumerate(weights):  # the fewest pages that fit
        if greedy[-1] and sum(weights[j] for j in greedy[-1]) + w > most:
            greedy.append([])
        greedy[-1].append(i)
    # Even them out: close a page once it holds its share of what is left.
    even: list[list[int]] = []
    at = 0
    for k in range(len(greedy), 0, -1):
        share, load = sum(weights[at:]) / k, 0
        page: list[int] = []
        while at < len(rows) and (not page or (load + weights[at] <= most and load < share)):
            page.append(at)
            load += weights[at]
            at += 1
        even.append(page)
    fits = at == len(rows) and all(sum(weights[i] for i in page) <= most for page in even)
    return [[rows[i] for i in page] for page in (even if fits else greedy) if page]


def _row_lines(row: dict) -> int:
    """How many choices a paths row shows in its fullest cell (a card task lists each card)."""
    return max((len(cell["texts"]) for cell in row["cells"]), default=1)


def _group_lines(row: dict) -> int:
    """A grouped row: its question and its groups two to a line."""
    return 1 + -(-len(row["groups"]) // 2)


# --- the host script ---------------------------------------------------------------------------


def _names(items: list[str]) -> str:
    return _join([f"»{x}«" for x in items if x])


def _outcome_fact(c: dict) -> str:
    w = c["why_view"]
    if not c["outcome"]:
        return gettext("%(c)s: no outcome yet") % {"c": c["name"]}
    text = gettext("%(c)s: %(outcome)s") % {"c": c["name"], "outcome": c["outcome"]["title"]}
    if w["next_better"] and w["missing"]:
        lacks = [
            gettext("%(meter)s lacked %(n)s") % {"meter": x["label"].lower(), "n": -x["margin"]}
            for x in w["missing"]
            if x["kind"] == "meter"
        ]
        if lacks:
            text += " (" + gettext("for %(outcome)s, ") % {"outcome": w["next_better"]["title"]}
            text += ", ".join(lacks) + ")"
    return text


def _facts(goal: str, committees: list[dict]) -> tuple[list[str], list[str]]:
    """What happened in this session that the goal's first question is about, per committee."""
    facts: list[str] = []
    marks: list[int] = []  # where each committee's facts begin
    for c in committees:
        marks.append(len(facts))
        tagged = [x for x in c["key_decisions"] if goal in x["lg"]]
        if goal == "LG1":
            first = next((x for x in c["key_decisions"] if x["type"] == "choice"), None)
            if first:
                facts.append(
                    gettext("%(c)s chose %(what)s for “%(prompt)s”")
                    % {"c": c["name"], "what": _names(first["labels"]), "prompt": first["prompt"]}
                )
        elif goal == "LG2":
            if c["left_out"]:
                # The most engaged of those left out: they are the ones who came back as pressure.
                loud = sorted(c["left_out"], key=lambda s: -s["engagement"])[:2]
                facts.append(
                    ngettext(
                        "%(c)s left out %(n)s stakeholder: %(who)s",
                        "%(c)s left out %(n)s stakeholders, among them %(who)s",
                        len(c["left_out"]),
                    )
                    % {
                        "c": c["name"],
                        "n": len(c["left_out"]),
                        "who": _names([s["name"] for s in loud]),
                    }
                )
                facts.append(
                    gettext("%(who)s: %(did)s")
                    % {"who": loud[0]["name"], "did": loud[0]["absent_text"]}
                )
            ideas = [i for i in c["ideas"] if i["source"] == "card" and i["brought_by"]]
            if ideas:
                facts.append(
                    gettext("%(c)s got ideas only the seated could bring: %(ideas)s")
                    % {"c": c["name"], "ideas": _names([i["text"] for i in ideas[:2]])}
                )
        elif goal == "LG3":
            by_host = sum(1 for x in c["decisions"] if x["by_timer"])
            cat = next((x for x in c["decisions"] if x["type"] == "catalyst"), None)
            invite = next((x for x in c["decisions"] if x["type"] == "invite"), None)
            facts.append(
                ngettext(
                    "%(c)s: %(n)s decision was left to the host or the timer",
                    "%(c)s: %(n)s decisions were left to the host or the timer",
                    by_host,
                )
                % {"c": c["name"], "n": by_host}
                + (
                    "; " + gettext("the catalyst played %(tool)s") % {"tool": _names(cat["labels"])}
                    if cat
                    else "; " + gettext("no catalyst tool was played")
                )
                + (
                    "; "
                    + gettext("the facilitator brought back %(who)s")
                    % {"who": _names(invite["labels"])}
                    if invite and invite["labels"]
                    else ""
                )
                + "".join("; " + _frame_fact(f) for f in c["frames"])
            )
        elif goal == "LG4":
            # Against the majority first: they are the talk's politician card.
            cards = sorted(c["politician_cards"], key=lambda x: x["no_majority"])
            for x in cards[:2]:
                if x["no_majority"]:
                    facts.append(
                        gettext(
                            "%(c)s locked “%(prompt)s” with no majority behind it (%(split)s): a politician card"
                        )
                        % {
                            "c": c["name"],
                            "prompt": x["prompt"],
                            "split": " – ".join(str(o["votes"]) for o in x["split_shown"][:3])
                            or "–",
                        }
                    )
                    continue
                facts.append(
                    gettext(
                        "%(c)s played the politician card on “%(prompt)s”: %(chosen)s, where the majority wanted %(majority)s"
                    )
                    % {
                        "c": c["name"],
                        "prompt": x["prompt"],
                        "chosen": _names(x["chosen"]) or "–",
                        "majority": _names(x["majority"]) or "–",
                    }
                )
            close = _closest(c)
            if close:
                facts.append(
                    gettext("%(c)s split closest on “%(prompt)s”: %(split)s")
                    % {
                        "c": c["name"],
                        "prompt": close["prompt"],
                        "split": " – ".join(str(o["votes"]) for o in close["split_shown"][:2]),
                    }
                )
        elif goal == "LG5":
            facts.append(_outcome_fact(c))
            coupling = [x for x in c["key_decisions"] if x["source"] == "couplings"]
            for x in (coupling or tagged)[:1]:
                facts.append(
                    gettext("%(c)s chose %(what)s for “%(prompt)s”")
                    % {"c": c["name"], "what": _names(x["labels"]), "prompt": x["prompt"]}
                )
        elif goal == "LG6":
            for x in c["key_decisions"]:
                if x["card"] and x["card"]["source"]:
                    facts.append(
                        gettext(
                            "%(c)s met pressure from %(source)s (“%(prompt)s”) and chose %(what)s"
                        )
                        % {
                            "c": c["name"],
                            "source": _source_name(x["card"]["source"]),
                            "prompt": x["prompt"],
                            "what": _names(x["labels"]),
                        }
                    )
        else:
            for x in tagged[:2]:
                facts.append(
                    gettext("%(c)s chose %(what)s for “%(prompt)s”")
                    % {"c": c["name"], "what": _names(x["labels"]), "prompt": x["prompt"]}
                )
    ends = marks[1:] + [len(facts)] if marks else []
    # The projector shows one fact per committee (the first, the most telling).
    firsts = [facts[a] for a, b in zip(marks, ends, strict=True) if b > a]
    return facts, firsts


def _source_name(source: str) -> str:
    return {
        "below": gettext("below"),
        "above": gettext("above"),
        "inside": gettext("inside"),
        "outside": gettext("outside"),
    }.get(source, source)


def _closest(c: dict) -> dict | None:
    """The key decision whose two biggest options were nearest each other (at least two voters)."""
    best, gap = None, None
    for x in c["key_decisions"]:
        top = [o["votes"] for o in x["split_shown"][:2]]
        if x["type"] in ("choice", "card") and len(top) == 2 and sum(top) >= 2:
            if gap is None or top[0] - top[1] < gap:
                best, gap = x, top[0] - top[1]
    return best


QUESTION_ONE = {
    "LG1": gettext_noop("How did you define the problem, and who helped set the direction?"),
    "LG2": gettext_noop(
        "What did those without a seat know that you did not, and what did leaving them out cost?"
    ),
    "LG3": gettext_noop(
        "When did the igangsætter, the facilitator and the katalysator each take the lead?"
    ),
    "LG4": gettext_noop(
        "Was it right to override the committee, or to let the majority decide? What did it cost in ownership?"
    ),
    "LG5": gettext_noop(
        "What decided the council's answer: your work in the committee, or the coupling to the council?"
    ),
    "LG6": gettext_noop(
        "Where did the pressure come from, and when did the administration take over the steering?"
    ),
}
QUESTION_TWO = {
    "LG1": gettext_noop(
        "Which of the three tasks (problem, direction, support) got the least attention?"
    ),
    "LG2": gettext_noop("Whom would you seat next time, and what would you give up for it?"),
    "LG3": gettext_noop("Which role came easiest to you, and which will you practise?"),
    "LG4": gettext_noop("Where did you agree to disagree, and did it show in the recommendation?"),
    "LG5": gettext_noop(
        "What should the standing committee and the party groups have known earlier?"
    ),
    "LG6": gettext_noop("Which pressure would you meet differently in your own municipality?"),
}
NO_FACTS = {
    "LG4": gettext_noop(
        "No committee played the politician card. Was there a moment when someone should have?"
    ),
}


def goal_minutes(goals: int) -> list[tuple[int, int]]:
    """Each goal's two questions' minutes: the talk takes ``TALK_MINUTES`` in whole minutes.

    What the outcomes and the paths leave is shared out evenly (18 minutes over
    six goals: 2 + 1 each); the first question, on this session, gets two thirds.
    More goals than minutes: two each, and the talk runs longer.
    """
    left = TALK_MINUTES - sum(INTRO_MINUTES)
    base, extra = divmod(left, goals) if goals else (0, 0)
    out = []
    for i in range(goals):
        minutes = max(2, base + (1 if i < extra else 0))
        second = max(1, minutes // 3)
        out.append((minutes - second, second))
    return out


def _join(items: list[str]) -> str:
    """ "Udvalg 1, Udvalg 2 og Udvalg 3" """
    items = [x for x in items if x]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " " + gettext("and") + " " + items[-1]


def _answered(c: dict) -> bool | None:
    """Whether the committee's recommendation answered the focus it chose (None: not tested)."""
    for k in c["why"]["checks"]:
        for x in k["conditions"]:
            if x["kind"] == "answered":
                return bool(x["met"])
    return None


def _lead(goal: str, committees: list[dict]) -> str:
    """One sentence on the whole session for a goal's first question: what the room compares.

    It names what stood out across the committees: the focus left unanswered
    or the problems chosen (LG1), the stakeholder left out most often (LG2),
    the committees whose frame broke or held (LG3), the politician cards and
    where most were played (LG4), the council's outcomes and the committee
    nearest a better one (LG5), where the pressure came from (LG6).
    """
    names = {c["id"]: c["name"] for c in committees}
    if goal == "LG1":
        missed = [c["name"] for c in committees if _answered(c) is False]
        if missed:
            return gettext(
                "In %(committees)s the recommendation did not answer the problem the committee itself chose."
            ) % {"committees": _join(missed)}
        chosen = []
        for c in committees:
            first = next((x for x in c["key_decisions"] if x["type"] == "choice"), None)
            if first:
                chosen.append(tuple(first["ids"]))
        if len(chosen) > 1 and len(set(chosen)) == 1:
            return gettext("Every committee chose the same problem to solve first.")
        if len(chosen) > 1:
            return gettext("%(n)s committees chose %(k)s different problems to solve first.") % {
                "n": len(chosen),
                "k": len(set(chosen)),
            }
        return ""
    if goal == "LG2":
        decided = [c for c in committees if c["seated"] or c["left_out"]]
        counts: dict[str, list[str]] = {}
        label: dict[str, str] = {}
        loud: dict[str, int] = {}
        for c in decided:
            for st in c["left_out"]:
                counts.setdefault(st["id"], []).append(c["id"])
                label[st["id"]] = st["name"]
                loud[st["id"]] = loud.get(st["id"], 0) + st["engagement"]
        if not counts:
            return ""
        # The most often left out; on a tie, the most engaged (the loudest from outside),
        # as the facts below name them; then the first in the case's order.
        sid = max(counts, key=lambda k: (len(counts[k]), loud[k]))
        return gettext("%(who)s had no seat in %(n)s of %(m)s committees.") % {
            "who": f"»{label[sid]}«",
            "n": len(counts[sid]),
            "m": len(decided),
        }
    if goal == "LG3":
        broke = [c["name"] for c in committees if any(f["kept"] is False for f in c["frames"])]
        held = [
            c["name"]
            for c in committees
            if c["frames"] and all(f["kept"] is True for f in c["frames"])
        ]
        if broke and held:
            return gettext("The initiator's frame broke in %(broke)s and held in %(held)s.") % {
                "broke": _join(broke),
                "held": _join(held),
            }
        if broke:
            return gettext("The initiator's frame broke in %(broke)s.") % {"broke": _join(broke)}
        if held:
            return gettext("The initiator's frame held in %(held)s.") % {"held": _join(held)}
        return ""
    if goal == "LG4":
        played = {c["id"]: len(c["politician_cards"]) for c in committees}
        total = sum(played.values())
        if not total:
            return gettext("No committee played the politician card.")
        most = max(played.values())
        top = [names[k] for k, n in played.items() if n == most]
        return ngettext(
            "%(n)s politician card in all, most in %(where)s (%(most)s).",
            "%(n)s politician cards in all, most in %(where)s (%(most)s).",
            total,
        ) % {"n": total, "where": _join(top), "most": most}
    if goal == "LG5":
        by_outcome: dict[str, list[str]] = {}
        for c in committees:
            title = c["outcome"]["title"] if c["outcome"] else gettext("no outcome yet")
            by_outcome.setdefault(title, []).append(c["name"])
        text = "; ".join(
            gettext("%(outcome)s for %(committees)s")
            % {"outcome": f"»{t}«", "committees": _join(cs)}
            for t, cs in by_outcome.items()
        )
        # The committee nearest a better outcome: only meters missing, the fewest points short.
        near = [
            (sum(x["short"] for x in c["why_view"]["missing"]), c)
            for c in committees
            if c["why_view"]["next_better"]
            and c["why_view"]["missing"]
            and all(x["kind"] == "meter" for x in c["why_view"]["missing"])
        ]
        if near:
            short, c = min(near, key=lambda p: p[0])
            text += ". " + gettext(
                "Nearest a better outcome: %(c)s, %(n)s points short of %(outcome)s"
            ) % {
                "c": c["name"],
                "n": short,
                "outcome": f"»{c['why_view']['next_better']['title']}«",
            }
        return text + "." if text else ""
    if goal == "LG6":
        by_source: dict[str, list[str]] = {}
        for c in committees:
            for x in c["key_decisions"]:
                if x["card"] and x["card"]["source"]:
                    met = by_source.setdefault(x["card"]["source"], [])
                    if c["name"] not in met:
                        met.append(c["name"])
        if not by_source:
            return ""
        return gettext("The pressure came %(where)s.") % {
            "where": _join(
                [
                    gettext("%(source)s in %(committees)s")
                    % {"source": _source_name(src), "committees": _join(cs)}
                    for src, cs in by_source.items()
                ]
            )
        }
    return ""


def _paths_lead(rows: list[dict], committees: list[dict]) -> str:
    diverged = [r for r in rows if r["diverged"]]
    if len(committees) < 2:
        return ""
    if not diverged:
        return gettext("The committees chose alike in every key decision.")
    first = diverged[0]
    return gettext(
        "The paths diverged first at %(prompt)s (%(round)s), and in %(n)s of %(m)s decisions in all."
    ) % {
        "prompt": f"»{first['prompt']}«",
        "round": first["round"],
        "n": len(diverged),
        "m": len(rows),
    }


def _question(text: str, minutes: int, at: int, **parts: Any) -> dict:
    return {
        "text": text,
        "minutes": minutes,
        "start": at,
        "end": at + minutes,
        "lead": parts.get("lead", ""),
        "facts": parts.get("facts", []),
        "slide": parts.get("slide", []),
    }


def _script(
    rm: ReadModel, committees: list[dict], slides: dict[str, dict], paths: list[dict]
) -> list[dict]:
    """The host's script: the outcomes and the paths, then two questions per goal, timed."""
    outcomes, diverged = INTRO_MINUTES
    intro = [
        _question(
            gettext("What did the council decide for each committee, and why?"),
            outcomes,
            0,
            facts=[_outcome_fact(c) for c in committees],
        ),
        _question(
            gettext("Where did your paths diverge, and where did each path lead?"),
            diverged,
            outcomes,
            lead=_paths_lead(paths, committees),
        ),
    ]
    steps = [
        {
            "id": "intro",
            "title": gettext("The outcomes and the paths"),
            "start": 0,
            "end": outcomes + diverged,
            "questions": intro,
        }
    ]
    at = outcomes + diverged
    goals = rm.case.learning_goals
    for g, (first, second) in zip(goals, goal_minutes(len(goals)), strict=True):
        facts, firsts = _facts(g.id, committees)
        reflection = slides.get(g.id, {}).get("reflection") or []
        one = (
            gettext(QUESTION_ONE[g.id])
            if g.id in QUESTION_ONE
            else gettext("What in this session shows this goal?")
        )
        if not facts and g.id in NO_FACTS:
            one = gettext(NO_FACTS[g.id])
        two = (
            reflection[0]["text"]
            if reflection
            else (
                gettext(QUESTION_TWO[g.id])
                if g.id in QUESTION_TWO
                else gettext("What will you take home?")
            )
        )
        steps.append(
            {
                "id": g.id,
                "title": f"{g.id} · {g.title}",
                "start": at,
                "end": at + first + second,
                "questions": [
                    _question(
                        one, first, at, lead=_lead(g.id, committees), facts=facts, slide=firsts
                    ),
                    _question(two, second, at + first),
                ],
            }
        )
        at += first + second
    return steps


def _one_per_committee(answers: list[dict], committees: list[dict]) -> list[dict]:
    """One answer per committee for the projector: the fullest, so the room reads a thought."""
    out = []
    for c in committees:
        own = [a for a in answers if a["committee"] == c["id"]]
        if own:
            pick = max(
                own, key=lambda a: (len(a["text"]), -int(a["pid"]) if a["pid"].isdigit() else 0)
            )
            out.append({"committee": c["name"], "text": pick["text"], "of": len(own)})
    return out


# --- the page ----------------------------------------------------------------------------------


def debrief(session: Session) -> dict[str, Any]:
    """Everything the debrief page shows; see the module docstring."""
    rm = ReadModel(session)
    case = rm.case
    committees = [_committee(rm, c) for c in rm.committees()]
    questions = rm.questions()
    goals = []
    slides: dict[str, dict] = {}
    for g in case.learning_goals:
        qs = [q for q in questions if g.id in q["lg"]]
        prompts: dict[str, dict] = {}
        for c in committees:
            for x in c["decisions"]:
                if g.id in x["frame"]:
                    item = prompts.setdefault(
                        x["prompt"], {"prompt": x["prompt"], "committees": []}
                    )
                    if c["short"] not in item["committees"]:
                        item["committees"].append(c["short"])
        slides[g.id] = {
            "reflection": [
                {
                    "id": q["id"],
                    "text": q["text"],
                    "count": len(q["answers"]),
                    "answers": _one_per_committee(q["answers"], committees),
                }
                for q in qs
            ]
        }
        goals.append(
            {
                "id": g.id,
                "title": g.title,
                "text": g.text,
                "decisions": list(prompts.values()),
                "questions": [q["text"] for q in qs],
            }
        )
    paths = _paths(rm, committees)
    script = _script(rm, committees, slides, paths)
    for step in script:
        if step["id"] in slides:
            step["reflection"] = slides[step["id"]]["reflection"]
    info = rm.info()
    diverged = [row for row in paths if row["diverged"]]
    if len(committees) <= ONE_SLIDE_COMMITTEES:
        path_pages = _pages(diverged, PATH_LINES, _row_lines)
    else:
        # A minute for the paths: the first pages of them; the host's page has them all.
        path_pages = _pages(diverged, PATH_LINES_MANY, _group_lines)[:PATH_PAGES_MANY]
    return {
        "session": info,
        "rounds": rm.rounds(),
        "meters": rm.meters(),
        "learning_goals": goals,
        "committees": committees,
        "paths": paths,
        # The projector shows the diverging rows a few at a time: a table of ten
        # rows of long labels does not fit a 1280×720 screen.
        "path_pages": path_pages,
        "paths_not_shown": sum(r["diverged"] for r in paths) - sum(len(p) for p in path_pages),
        "comparison": _comparison(rm, committees),
        "reflections": [
            {
                "id": q["id"],
                "text": q["text"],
                "lg": q["lg"],
                # Without names, on purpose: a reflection is shared with the room, not pinned on its author.
                "answers": [
                    {"committee": a["committee_label"], "text": a["text"]} for a in q["answers"]
                ],
                "count": len(q["answers"]),
            }
            for q in questions
        ],
        "script": script,
        "minutes": script[-1]["end"] if script else 0,
        # Many committees: each goal on two slides (see ONE_SLIDE_COMMITTEES).
        "split_goals": len(committees) > ONE_SLIDE_COMMITTEES,
        "any_personas": any(c["personas"] for c in committees),
        "personas_scored": any(c["personas_scored"] for c in committees),
        "stances_recorded": any(c["stances_recorded"] for c in committees),
    }


def _frame_fact(frame: dict) -> str:
    """The igangsætter's frame, and whether it held when the council tested it."""
    if frame["kept"] is None:
        return gettext("the initiator set the frame %(frame)s") % {
            "frame": _names([frame["label"]])
        }
    if frame["kept"]:
        return gettext("the initiator's frame %(frame)s held") % {"frame": _names([frame["label"]])}
    return gettext("the initiator's frame %(frame)s broke") % {"frame": _names([frame["label"]])}
