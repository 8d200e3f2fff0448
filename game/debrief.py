"""The debrief page's data: per committee and per learning goal.

The debrief is shown by the host in the room, to the same people who saw each
other's names on every screen of the game; it shows the display names of
committee members (a deliberate choice: the debrief is a conversation between
the people in the room), but not who wrote which reflection answer.
Nothing here changes a session.
"""

from __future__ import annotations

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from cases.schema import Case

from . import rules
from .charts import meter_chart_svg
from .export import _history, _labels, _prompt, _Report, _round_order
from .models import Session
from .visibility import outcome_part, role_name

RANK_SHOWN = 3  # a ranking shows its top three (or more if more have effects)


def _lg_of(case: Case, d: dict) -> list[str]:
    """The learning goals a locked decision touches: its task's, its card's, its choice's."""
    task = rules.task_of(case, d)
    tags = list(task.lg)
    card = case.card(d["card"]) if d["card"] else None
    if card:
        tags += card.lg
    chosen = d["locked"] if isinstance(d["locked"], list) else [d["locked"]]
    if task.type == "rank":
        chosen = chosen[: task.apply_top]  # only the top of a ranking has effects
    if task.type not in ("ideas", "budget", "seats"):
        by_id = {o.id: o for o in (card.options if card else case.task_options(task))}
        for option_id in chosen:
            if option_id in by_id:
                tags += by_id[option_id].lg
    if task.type == "seats":
        for s in case.stakeholders:
            if s.id in chosen:
                tags += s.lg
    return list(dict.fromkeys(tags))


def _decision_entry(case: Case, c: dict, d: dict) -> dict:
    """A locked decision as the debrief shows it."""
    task = rules.task_of(case, d)
    labels, _ids = _labels(case, c, d, d["locked"])
    shown = labels
    if task.type == "rank":
        shown = labels[: max(RANK_SHOWN, task.apply_top)]
    card = case.card(d["card"]) if d["card"] else None
    entry = {
        "round": d["round"],
        "round_title": case.rounds[d["round"]].title,
        "prompt": _prompt(case, d),
        "type": task.type,
        "labels": shown,
        "more": len(labels) - len(shown),
        "card": bool(card),
        "injected": not d["task"],
        "politician_card": d["politician_card"],
        "by_timer": d["by"] is None,
        # Badges: every goal the decision touches, its choice included.
        "lg": _lg_of(case, d),
        # The frame at the top lists a decision under the goals of its task or
        # card only: a choice's own tag would list e.g. the problem focus under
        # LG6 just because one committee chose the administration's plan.
        "frame": list(dict.fromkeys(task.lg + (card.lg if card else []))),
        "chosen": [],
        "majority": [],
    }
    if d["politician_card"]:
        majority = _labels(case, c, d, rules.plurality(case, c, d))[0]
        if isinstance(d["locked"], list) and task.type != "rank":
            # Only what differs: a seats decision of five would repeat four names.
            entry["chosen"] = [x for x in labels if x not in majority]
            entry["majority"] = [x for x in majority if x not in labels]
        else:
            entry["chosen"] = shown
            entry["majority"] = majority[: len(shown)]
    return entry


def debrief(session: Session) -> dict:
    """Everything the debrief page shows, per committee and per learning goal."""
    report = _Report(session)
    case, state = report.case, report.state
    member = gettext("member")
    goals = {g.id: {"id": g.id, "title": g.title, "text": g.text} for g in case.learning_goals}
    tagged: dict[str, dict[str, dict]] = {g: {} for g in goals}  # lg -> prompt -> entry
    committees = []
    for cid, c in state["committees"].items():
        outcome = next((o for o in case.outcomes if o.id == c["outcome"]), None)
        decisions, cards = [], []
        for _key, d in sorted(c["decisions"].items(), key=_round_order):
            if d["locked"] is None:
                continue
            entry = _decision_entry(case, c, d)
            for g in entry["frame"]:
                if g in tagged:
                    item = tagged[g].setdefault(
                        entry["prompt"], {"prompt": entry["prompt"], "committees": []}
                    )
                    if c["name"] not in item["committees"]:
                        item["committees"].append(c["name"])
            if entry["type"] == "ideas":
                continue  # the winning ideas are shown on their own
            decisions.append(entry)
            if d["politician_card"]:
                cards.append(entry)
        ideas_d = rules.ideas_decision(case, c)
        dots = rules.dots(case, c)
        kept = (ideas_d or {}).get("locked") or []
        by_id = {str(i["id"]): i for i in c["ideas"]}
        winners = sorted(
            (
                {"text": by_id[k]["text"], "dots": dots.get(k, 0), "card": bool(by_id[k]["card"])}
                for k in kept
                if k in by_id
            ),
            key=lambda i: -i["dots"],
        )
        history = [(r, v) for r, v in _history(state, c)]
        name = gettext("Committee %(name)s") % {"name": c["name"]}
        committees.append(
            {
                "id": cid,
                "name": name,
                "short": c["name"],
                # Display names, on purpose: see the module docstring.
                "members": [
                    {
                        "name": state["players"][p]["name"],
                        "role": role_name(case, c["roles"].get(p), member),
                    }
                    for p in rules.active_members(state, cid)
                ],
                "outcome": outcome_part(outcome),
                "history": history,
                "final": dict(c["meters"]),
                # Safe: meter_chart_svg escapes every text it writes.
                "chart": mark_safe(meter_chart_svg(history, case.meters, title=name)),
                "decisions": decisions,
                "politician_cards": cards,
                "politician_card_count": c["politician_cards"],
                "ideas": winners,
            }
        )
    questions = []
    for q in case.reflection:
        # Without names, on purpose: a reflection is shared with the room, not pinned on its author.
        answers = [
            {"committee": gettext("Committee %(name)s") % {"name": c["name"]}, "text": text}
            for c in state["committees"].values()
            for p in c["members"]
            if (text := c["reflections"].get(p, {}).get(q.id, "").strip())
        ]
        questions.append(
            {"id": q.id, "text": q.text, "lg": q.lg, "answers": answers, "count": len(answers)}
        )
        for g in q.lg:
            goals.get(g, {}).setdefault("questions", []).append(q.text)
    learning_goals = [
        goals[g]
        | {"decisions": list(tagged[g].values()), "questions": goals[g].get("questions", [])}
        for g in goals
    ]
    comparison = [
        {
            "id": m.id,
            "label": m.label,
            "values": [
                {"committee": cm["name"], "value": cm["final"].get(m.id, 0)} for cm in committees
            ],
        }
        for m in case.meters
    ]
    for row in comparison:
        best = max((v["value"] for v in row["values"]), default=None)
        for v in row["values"]:
            v["best"] = len(row["values"]) > 1 and v["value"] == best
    return {
        "session": {
            "code": session.code,
            "title": case.title,
            "setting": case.setting,
            "status": state["status"],
            "created": session.created,
        },
        "rounds": [{"index": i, "id": r.id, "title": r.title} for i, r in enumerate(case.rounds)],
        "meters": [
            {"id": m.id, "label": m.label, "description": m.description} for m in case.meters
        ],
        "learning_goals": learning_goals,
        "committees": committees,
        "comparison": comparison,
        "reflections": questions,
    }
