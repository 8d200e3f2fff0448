"""The public read model: one session, read once, as plain data.

The debrief (``game.debrief``), the research export (``game.export``) and the
take-home summary read a session only through this module, never through each
other's private names, so that a change to the rules' state has one place to
follow. Nothing here changes a session.

Use::

    from game.readmodel import ReadModel
    rm = ReadModel(session)                      # display names (the room's debrief)
    rm = ReadModel(session, pseudonymous=True)   # P01, P02 … (anything that leaves the room)

    rm.info()            session: code, case, title, setting, status, created, options
    rm.rounds()          [{index, number, id, title, label, briefing}]
    rm.meters()          [{id, label, description}]
    rm.outcomes()        [{id, title, headline, text, rank, conditions}]   best first
    rm.committees()      [committee], see ``ReadModel.committee``
    rm.committee(cid)    one committee (below)
    rm.committee_of(pid) the committee a player sits in, or None
    rm.questions()       the reflection questions with their answers
    rm.name(pid)         a player's display name, or pseudonym when pseudonymous
    rm.text(s)           free text as it may be shown (names scrubbed when pseudonymous)
    rm.log               the Event rows, read with one query on first use

A committee is a dict::

    id, name ("1"), label ("Udvalg 1")
    members       [{pid, name, pseudonym, role, role_name, roles [{round, role, role_name}], removed}]
                  (roles per round only when the roles rotated: the log is read then)
    outcome       {id, title, headline, text} or None
    why           why this outcome: see ``explain_outcome``
    history       [{round, number, label, meters {id: value}, final}]   end of each round
    final         {meter id: value}
    decisions     [decision] of every locked decision, in round order (see ``decision``)
    politician_cards   [decision] locked against the majority
    log           the consequence log: [{round, number, key, prompt, text}]
    stakeholders  [{id, name, interests, seated, stance, engagement, start, by_round,
                    absent_text, met}]   seated: True / False / None (not decided yet)
    seated, left_out   the stakeholders split by seat (left_out only once the seats are locked)
    ideas         [{id, text, source, author, card, cost, brought_by, dots, kept, funded}]
    personas      [{pid, name, persona, persona_name, stakeholder, stakeholder_name,
                    stakeholder_seated, interests, goal, met, scored, score}]
                  goal: the persona's scored conditions checked (the case's ``goal``),
                  met: all of them hold (None: the case sets no goal); score: one
                  the rules stored in the committee's ``persona_scores``, if any
    reflections   [{pid, name, question, text}]

All values are JSON-ready except ``info()["created"]`` (a datetime).
Round numbers follow ``game.visibility.round_number``: 0 is the briefing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import Any

from django.utils.translation import gettext

from cases.schema import PLAYED_TYPES, Case, Condition

from . import rules
from .models import Event, Session
from .visibility import (
    has_briefing,
    idea_facts,
    outcome_part,
    role_name,
    round_number,
    stance_word,
)

# Task types whose decisions are "key": a committee's path is the choices it made.
KEY_TYPES = ("choice", "seats", "card", "budget", *PLAYED_TYPES)
# PLAYED_TYPES (cases.schema): played by one role, not voted on: no majority to lock against.


def holds(case: Case, c: rules.Committee, cond: Condition) -> bool:
    """Whether one of the case's conditions holds for a committee, as the rules decide it."""
    return rules.holds(case, c, cond)


# --- pseudonyms and names ---------------------------------------------------------------


def pid_order(pid: str) -> tuple[int, str]:
    """Players in the order they joined (pids are the database's ascending ids)."""
    return (int(pid), pid) if pid.isdigit() else (10**12, pid)


def pseudonyms(state: rules.State) -> dict[str, str]:
    """pid -> "P01", "P02" … in the order the players joined."""
    pids = sorted(state["players"], key=pid_order)
    width = max(2, len(str(len(pids))))
    return {pid: f"P{i:0{width}d}" for i, pid in enumerate(pids, 1)}


def name_scrubber(state: rules.State, pseudo: dict[str, str]) -> Callable[[str], str]:
    """A function that replaces players' display names in free text by their pseudonyms.

    Whole words (or a word and its possessive "s") and case-sensitive, so that
    the Danish verb "bo" survives a player called "Bo". Full names and each
    capitalised part of a name are replaced; a part two players share (two
    "Anne"s) becomes "[name]".
    """
    found: dict[str, set[str]] = {}
    for pid, p in state["players"].items():
        full = p["name"]
        base = re.sub(r" \(\d+\)$", "", full)  # "Bo (2)": the rules told two Bos apart
        for word in {full, base, *(w for w in base.split() if len(w) >= 2 and w[0].isupper())}:
            found.setdefault(word, set()).add(pseudo[pid])
    if not found:
        return lambda text: text
    names = sorted(found, key=len, reverse=True)  # "Anne Marie" before "Anne"
    # A Danish possessive ("Annas idé") is still the name: the "s" may follow it.
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?=(?:s|'s|’s)?(?!\w))"
    )

    def replace(match: re.Match) -> str:
        who = found[match.group(1)]
        return next(iter(who)) if len(who) == 1 else "[name]"

    return lambda text: pattern.sub(replace, text) if text else text


# --- labels -------------------------------------------------------------------------------


def prompt_of(case: Case, d: rules.Decision) -> str:
    """What a decision asked: its card's title, or its task's prompt."""
    card = case.card(d["card"]) if d["card"] else None
    return card.title if card else rules.task_of(case, d).prompt


def labels_of(
    case: Case, c: rules.Committee, d: rules.Decision, value: Any, text: Callable[[str], str] = str
) -> tuple[list[str], list[str]]:
    """A vote's or a lock's value as (labels, ids); ``text`` cleans players' own texts."""
    if value is None:
        return [], []
    task = rules.task_of(case, d)
    if task.type == "ideas":
        ideas = {str(i["id"]): text(i["text"]) for i in c["ideas"]}
        if isinstance(value, dict):  # dots: {idea id: how many}
            return (
                [f"{ideas.get(k, k)} ({n})" for k, n in value.items()],
                [f"{k}:{n}" for k, n in value.items()],
            )
        return [ideas.get(k, k) for k in value], list(value)
    ids = value if isinstance(value, list) else [value]
    options = {o.id: o.label for o in rules.options_of(case, c, d)}
    own = task.type == "budget"  # the options are ideas the players wrote
    return [text(options[i]) if own else options[i] for i in ids if i in options], list(ids)


def history_of(state: rules.State, c: rules.Committee) -> list[tuple[int, dict]]:
    """The meters at the end of each round played, and now if the round is not over."""
    points = sorted(((int(r), v) for r, v in c["history"].items()), key=lambda p: p[0])
    if state["status"] != "ended" and str(state["round"]) not in c["history"]:
        points.append((state["round"], dict(c["meters"])))
    return points


def roles_by_round(log: Sequence[Event]) -> dict[int, dict]:
    """{round index: {pid: role}}: who held which role as each round began.

    The rules log a ``roles`` event per committee whenever a round starts
    (roles may rotate); the latest entry for a round wins after a step back.
    """
    by_round: dict[int, dict] = {}
    for ev in log:
        for e in ev.events:
            if e["kind"] == "roles":
                by_round.setdefault(e["round"], {}).update(e["roles"])
    return by_round


def lg_of(case: Case, d: rules.Decision) -> list[str]:
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


# --- why an outcome came ---------------------------------------------------------------------


def _deck_of(case: Case, card_id: str) -> str:
    """Which deck a card is from: events, dilemmas or (where the case has one) implementation."""
    for deck in ("events", "dilemmas", "implementation"):
        if any(x.id == card_id for x in getattr(case, deck, None) or []):
            return deck
    return ""


def _check(case: Case, c: rules.Committee, cond: Condition) -> dict:
    """One outcome condition against the committee: met or not, and by how much."""
    if cond.meter is not None:
        meter = next((m for m in case.meters if m.id == cond.meter), None)
        value = c["meters"].get(cond.meter, 0)
        margins = []
        if cond.min is not None:
            margins.append(value - cond.min)
        if cond.max is not None:
            margins.append(cond.max - value)
        margin = min(margins) if margins else 0
        return {
            "kind": "meter",
            "meter": cond.meter,
            "label": meter.label if meter else cond.meter,
            "value": value,
            "min": cond.min,
            "max": cond.max,
            "margin": margin,  # > 0: to spare; < 0: missing
            "short": max(0, -margin),
            "met": margin >= 0,
        }
    met = holds(case, c, cond)
    opposed = getattr(cond, "opposed", None)
    if opposed is not None:
        # "At most N stakeholders against": how many are, against how many may be.
        count = sum(1 for x in c["stakeholders"].values() if x["stance"] < opposed)
        most = cond.max or 0
        return {
            "kind": "opposed",
            "label": "",
            "value": count,
            "max": most,
            "below": opposed,
            "margin": most - count,
            "met": met,
        }
    if cond.any is not None:
        parts = [_check(case, c, x) for x in cond.any]
        return {
            "kind": "any",
            "label": " / ".join(x["label"] or x["kind"] for x in parts),
            "parts": parts,
            "margin": None,
            "met": met,
        }
    if cond.answered is not None:
        # The recommendation answers the focus locked in that task.
        d = c["decisions"].get(cond.answered)
        label = " · ".join(labels_of(case, c, d, d["locked"])[0]) if d and d["locked"] else ""
        return {"kind": "answered", "label": label, "margin": None, "met": met}
    if cond.seated is not None or cond.absent is not None:
        sid = cond.seated or cond.absent
        s = case.stakeholder(sid or "")
        label = s.name if s else sid or ""
        kind = "seated" if cond.seated is not None else "absent"
    elif cond.chosen is not None:
        task_id, _sep, option_id = cond.chosen.partition(":")
        found = case.find_task(task_id)
        options = {o.id: o.label for o in (case.task_options(found[1]) if found else [])}
        label, kind = options.get(option_id, cond.chosen), "chosen"
    else:
        label, kind = "", "politician_card"
    return {
        "kind": kind,
        "label": label,
        "met": met,
        "margin": None,
        "wanted": cond.politician_card,
    }


def explain_outcome(case: Case, c: rules.Committee) -> dict:
    """Why the council decided as it did: each outcome's conditions against the committee.

    Returns ``{reached, checks: [{id, title, reached, better, conditions}]}``
    with the case's outcomes best first; ``better`` marks the outcomes above the
    one reached, whose failed conditions say what was missing and by how much.
    ``reached`` is None while the council has not decided.
    """
    reached = c.get("outcome")
    council = c.get("council")
    if council:  # the meters the council weighed, not later ones
        c = {**c, **council}
    order = [o.id for o in case.outcomes]
    at = order.index(reached) if reached in order else None
    checks = []
    for i, o in enumerate(case.outcomes):
        checks.append(
            {
                "id": o.id,
                "title": o.title,
                "reached": o.id == reached,
                "better": at is not None and i < at,
                "conditions": [_check(case, c, cond) for cond in o.when],
            }
        )
    return {"reached": reached, "checks": checks}


# --- the read model --------------------------------------------------------------------------


class ReadModel:
    """One session read once. See the module docstring for what it returns."""

    def __init__(self, session: Session, *, pseudonymous: bool = False) -> None:
        self.session = session
        self.case: Case = session.case
        self.state: rules.State = session.state
        self.pseudonymous = pseudonymous
        self.pseudo = pseudonyms(self.state)
        self._scrub = name_scrubber(self.state, self.pseudo) if pseudonymous else None

    # Names and texts.

    def name(self, pid: str | None) -> str:
        if not pid:
            return ""
        if self.pseudonymous:
            return self.pseudo.get(pid, pid)
        p = self.state["players"].get(pid)
        return p["name"] if p else pid

    def text(self, text: str) -> str:
        """A player's or the host's free text as it may be shown here."""
        return self._scrub(text) if self._scrub and text else text

    # The log.

    @cached_property
    def log(self) -> list[Event]:
        """The whole log, in one query, on first use."""
        return list(Event.objects.filter(session=self.session).order_by("version"))

    def events(self, *kinds: str) -> Iterable[tuple[Event, dict]]:
        for ev in self.log:
            for e in ev.events:
                if not kinds or e.get("kind") in kinds:
                    yield ev, e

    @cached_property
    def roles_by_round(self) -> dict[int, dict]:
        return roles_by_round(self.log)

    # The session and the case.

    def info(self) -> dict:
        s = self.session
        return {
            "code": s.code,
            "case": self.case.slug,
            "title": self.case.title,
            "setting": self.case.setting,
            "status": self.state["status"],
            "created": s.created,
            "options": dict(self.state["options"]),
            "round": self.state["round"],
        }

    def round_label(self, index: int | None) -> str:
        """ "1 · Kommissorium"; the briefing is "0 · Lobby og orientering"."""
        if index is None or not 0 <= index < len(self.case.rounds):
            return ""
        return f"{round_number(self.case, index)} · {self.case.rounds[index].title}"

    def rounds(self) -> list[dict]:
        return [
            {
                "index": i,
                "number": round_number(self.case, i),
                "id": r.id,
                "title": r.title,
                "label": self.round_label(i),
                "briefing": round_number(self.case, i) == 0,
            }
            for i, r in enumerate(self.case.rounds)
        ]

    def meters(self) -> list[dict]:
        return [
            {"id": m.id, "label": m.label, "description": m.description} for m in self.case.meters
        ]

    def outcomes(self) -> list[dict]:
        return [
            {
                "id": o.id,
                "title": o.title,
                "headline": o.headline,
                "text": o.text,
                "rank": i,
                "conditions": [cond.model_dump(exclude_none=True) for cond in o.when],
            }
            for i, o in enumerate(self.case.outcomes)
        ]

    # Committees.

    def committee_of(self, pid: str) -> dict | None:
        player = self.state["players"].get(pid)
        cid = player["committee"] if player else None
        return self.committee(cid) if cid else None

    def committees(self) -> list[dict]:
        return [self.committee(cid) for cid in self.state["committees"]]

    def committee(self, cid: str) -> dict:
        return self._committees[cid]

    @cached_property
    def _committees(self) -> dict[str, dict]:
        return {cid: self._read_committee(cid) for cid in self.state["committees"]}

    def _read_committee(self, cid: str) -> dict:
        case, state = self.case, self.state
        c = state["committees"][cid]
        outcome = next((o for o in case.outcomes if o.id == c["outcome"]), None)
        decisions = [
            self.decision(cid, key, d)
            for key, d in sorted(c["decisions"].items(), key=self._order)
            if d["locked"] is not None
        ]
        stakeholders = self._stakeholders(c, decisions)
        return {
            "id": cid,
            "name": c["name"],
            "label": gettext("Committee %(name)s") % {"name": c["name"]},
            "members": self._members(cid, c),
            "outcome": outcome_part(outcome),
            "why": explain_outcome(case, c),
            "history": [
                {
                    "round": r,
                    "number": round_number(case, r),
                    "label": self.round_label(r),
                    "meters": values,
                    "final": str(r) in c["history"],
                }
                for r, values in history_of(state, c)
            ],
            # The meters the council weighed (implementation may move them later).
            "final": dict((c.get("council") or c)["meters"]),
            "decisions": decisions,
            "politician_cards": [x for x in decisions if x["politician_card"]],
            "politician_card_count": c["politician_cards"],
            # The igangsætter's frames and what the council's test made of them.
            "frames": [
                {"key": key, "option": o.id, "label": o.label, "kept": kept}
                for key, o, kept in rules.frame_tests(case, c)
            ],
            "log": [
                {
                    "round": e["round"],
                    "number": round_number(case, e["round"]),
                    "key": e["key"],
                    "prompt": prompt_of(case, c["decisions"][e["key"]])
                    if e["key"] in c["decisions"]
                    else "",
                    "text": e["text"],
                }
                for e in c["log"]
            ],
            "stakeholders": stakeholders,
            "seated": [s for s in stakeholders if s["seated"] is True],
            "left_out": [s for s in stakeholders if s["seated"] is False],
            "ideas": self._ideas(c),
            "personas": self._personas(cid, c),
            "reflections": [
                {"pid": pid, "name": self.name(pid), "question": qid, "text": self.text(text)}
                for pid in sorted(c["reflections"], key=pid_order)
                for qid, text in c["reflections"][pid].items()
                if text.strip()
            ],
        }

    @cached_property
    def _task_order(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(t for r in self.case.rounds for t in r.tasks)}

    def _order(self, kd: tuple[str, rules.Decision]) -> tuple:
        """Decisions in the order of play: round, the case's task order, then key (cards)."""
        key, d = kd
        return (d["round"], self._task_order.get(d["task"], len(self._task_order)), key)

    def _members(self, cid: str, c: rules.Committee) -> list[dict]:
        member = gettext("member")
        # Roles per round are in the log; read it only when the roles rotated
        # (otherwise each member held one role all game, which the state says).
        rotating = bool(self.state["options"].get("rotate_roles"))
        by_round = self.roles_by_round if rotating else {}
        out = []
        for pid in c["members"]:
            role = c["roles"].get(pid)
            out.append(
                {
                    "pid": pid,
                    "name": self.name(pid),
                    "pseudonym": self.pseudo.get(pid, pid),
                    "role": role,
                    "role_name": role_name(self.case, role, member),
                    "roles": [
                        {
                            "round": r,
                            "role": by_round[r][pid],
                            "role_name": role_name(self.case, by_round[r][pid], member),
                        }
                        for r in sorted(by_round)
                        if pid in by_round[r]
                    ],
                    "removed": self.state["players"][pid]["removed"],
                }
            )
        return out

    def decision(self, cid: str, key: str, d: rules.Decision) -> dict:
        """A locked decision: what was asked, chosen, wanted by the majority, and the split."""
        case = self.case
        c = self.state["committees"][cid]
        task = rules.task_of(case, d)
        card = case.card(d["card"]) if d["card"] else None
        labels, ids = labels_of(case, c, d, d["locked"], self.text)
        majority = (
            rules.plurality(case, c, d) if task.type not in ("ideas", *PLAYED_TYPES) else None
        )
        m_labels, m_ids = labels_of(case, c, d, majority, self.text)
        counts = rules.tally(case, c, d)
        if task.type == "ideas":
            split = []
        else:
            split = [
                {
                    "id": o.id,
                    "label": self.text(o.label) if task.type == "budget" else o.label,
                    "votes": counts.get(o.id, 0),
                    "chosen": o.id in ids,
                }
                for o in rules.options_of(case, c, d)
            ]
        by = d["by"]
        return {
            "key": key,
            "round": d["round"],
            "number": round_number(case, d["round"]),
            "round_title": case.rounds[d["round"]].title,
            "round_label": self.round_label(d["round"]),
            "task": task.id if d["task"] else "",
            "type": task.type,
            "source": task.source,  # framings, couplings, catalysts: where the options come from
            "prompt": prompt_of(case, d),
            "card": {
                "id": card.id,
                "title": card.title,
                "source": card.source,
                "deck": _deck_of(case, card.id),
            }
            if card
            else None,
            "injected": not d["task"],
            "key_decision": task.type in KEY_TYPES,
            "locked": d["locked"],
            "ids": ids,
            "labels": labels,
            "majority_ids": m_ids,
            "majority_labels": m_labels,
            "split": split,
            "voters": len(d["votes"]),
            "members": len(rules.active_members(self.state, cid)),
            "by": self.name(by) if by else None,
            "by_pid": by,
            "politician_card": d["politician_card"],
            "lg": lg_of(case, d),
            "frame": list(dict.fromkeys(task.lg + (card.lg if card else []))),
        }

    def _stakeholders(self, c: rules.Committee, decisions: list[dict]) -> list[dict]:
        case = self.case
        seated = c["seated"]
        met_cards = [x for x in decisions if x["card"]]
        stances = c.get("stances") or {}
        out = []
        for s in case.stakeholders:
            now = c["stakeholders"].get(s.id, {"stance": s.stance, "engagement": s.engagement})
            # What a left-out stakeholder did: the cards it brought on (their
            # conditions name it as absent), besides its own absence text.
            brought = []
            if seated is not None and s.id not in seated:
                for x in met_cards:
                    found = case.card(x["card"]["id"])
                    if found and any(cond.absent == s.id for cond in found.when):
                        brought.append(
                            {"prompt": x["prompt"], "labels": x["labels"], "round": x["round"]}
                        )
            out.append(
                {
                    "id": s.id,
                    "name": s.name,
                    "interests": s.interests,
                    "seated": None if seated is None else s.id in seated,
                    "stance": now["stance"],
                    "engagement": now["engagement"],
                    "word": stance_word(now["stance"]),
                    # The briefing's end is the committee's start (its draws may differ).
                    "start": ((stances.get("0") if has_briefing(case) else None) or {}).get(s.id)
                    or {"stance": s.stance, "engagement": s.engagement},
                    # Recorded at the end of each round since the stakeholder map came;
                    # an older session has none (the debrief says so).
                    "by_round": [
                        {"round": int(r), "number": round_number(case, int(r))} | v[s.id]
                        for r, v in sorted(stances.items(), key=lambda p: int(p[0]))
                        if s.id in v
                    ],
                    "absent_text": s.absent.text,
                    "met": brought,
                }
            )
        return out

    def _ideas(self, c: rules.Committee) -> list[dict]:
        case = self.case
        d = rules.ideas_decision(case, c)
        dots = rules.dots(case, c)
        kept = set((d["locked"] if d else None) or [])
        budget = next(
            (x for x in c["decisions"].values() if rules.task_of(case, x).type == "budget"), None
        )
        funded = set((budget["locked"] if budget else None) or [])
        out = []
        for i in c["ideas"]:
            iid = str(i["id"])
            facts = idea_facts(case, i, c["seated"])
            out.append(
                {
                    "id": iid,
                    "text": self.text(i["text"]) if i["author"] else i["text"],
                    "card_text": facts["card_text"],
                    "source": "player" if i["author"] else "card",
                    "author": self.name(i["author"]) if i["author"] else None,
                    "card": i["card"],
                    "cost": facts["cost"],
                    "brought_by": facts["brought_by"],
                    "dots": dots.get(iid, 0),
                    "kept": iid in kept,
                    "funded": iid in funded,
                }
            )
        return out

    def _personas(self, cid: str, c: rules.Committee) -> list[dict]:
        case = self.case
        scores = c.get("persona_scores") or {}  # from a case that scores secret interests
        seated = c["seated"]
        out = []
        for pid in c["members"]:
            persona = case.persona(c["roles"].get(pid) or "")
            if persona is None:
                continue
            s = case.stakeholder(persona.stakeholder)
            # The secret interest, scored where the case says when it is met
            # (``goal``); a score the rules stored wins; otherwise none.
            goal = list(getattr(persona, "goal", None) or [])
            checks = [_check(case, c, cond) for cond in goal]
            out.append(
                {
                    "pid": pid,
                    "name": self.name(pid),
                    "persona": persona.id,
                    "persona_name": persona.name,
                    "stakeholder": persona.stakeholder,
                    "stakeholder_name": s.name if s else persona.stakeholder,
                    "stakeholder_seated": None if seated is None else persona.stakeholder in seated,
                    "interests": persona.interests,
                    "score": scores.get(persona.id, scores.get(pid)),
                    "goal": checks,
                    "met": all(x["met"] for x in checks) if checks else None,
                    "scored": bool(checks) or persona.id in scores or pid in scores,
                }
            )
        return out

    # Reflections.

    def questions(self) -> list[dict]:
        """The reflection questions, each with its answers (committee, author) in join order."""
        out = []
        for q in self.case.reflection:
            answers = [
                {
                    "committee": cid,
                    "committee_label": gettext("Committee %(name)s") % {"name": c["name"]},
                    "pid": p,
                    "name": self.name(p),
                    "text": self.text(text),
                }
                for cid, c in self.state["committees"].items()
                for p in c["members"]
                if (text := c["reflections"].get(p, {}).get(q.id, "").strip())
            ]
            out.append({"id": q.id, "text": q.text, "lg": list(q.lg), "answers": answers})
        return out
