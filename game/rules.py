"""The rules of the game: a state and an action give a new state and events.

Pure Python: no Django, no Channels, no database, no clock (actions that need
the time are given ``now``). Everything about a particular case comes from the
``Case`` it is given, so a second case plays with no change here.

The state is a JSON-ready dict (it is stored as such; its types are in ``game.state``)::

    status      "lobby" | "running" | "ended"
    round       index into case.rounds
    options     {size, show_meters, rotate_roles, lock_on_timeout, personas,
                 autostart_timer, max_players}
    players     {pid: {name, committee, removed, online}}   pids are strings; online counts tabs
    committees  {cid: committee}                            cids are strings
    timer       {remaining, ends_at, fired}                 seconds; ends_at is epoch
    message     the host's latest message to everyone
    seq         the last idea id handed out
    reached     the furthest round entered (a step back does not set a round up again)

A committee::

    name, members [pid], roles {pid: role or persona id or "member"},
    meters {meter: 0..100}, stakeholders {sid: {stance, engagement}},
    seated [sid] | None, decisions {key: decision}, ideas [idea],
    unlocked [idea card id], log [{round, key, text}], history {round: meters},
    outcome id | None, politician_cards n, reflections {pid: {qid: text}}

A decision is one committee choice: ``{task, round, card, votes {pid: value},
locked, by, politician_card}``; its key is the task id, or ``task:card`` for
a drawn or injected card.

``apply(case, state, action)`` returns ``(new_state, events)`` or raises
``Refused``. The state passed in is never modified.
"""

from __future__ import annotations

import copy
import marshal
import math
import zlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from cases.schema import ONE_PICK_TYPES, PLAYED_TYPES, Case, Condition, Effects, Option, Task

from .state import Committee, Decision, Goal, Idea, Options, Player, State, Waiting
from .text import BadText, clean_text

__all__ = ["State", "Event", "Committee", "Decision"]  # the state's shape: game.state

Event = dict[str, Any]
_JSON = TypeVar("_JSON")  # a state or a part of one (copy_state)

MIN_COMMITTEE = 3
MAX_COMMITTEE = 8
# The cap on a session's players comes with its options (the game layer sets it from
# the MAX_PLAYERS setting); a session stored before that option keeps the old cap.
DEFAULT_MAX_PLAYERS = 200
MAX_IDEA_LENGTH = 280
MAX_REFLECTION_LENGTH = 2000
MAX_MESSAGE_LENGTH = 500
MAX_NAME_LENGTH = 40
MEMBER = "member"  # a seat with no leadership role and no persona
DEFAULT_OPTIONS = {
    "size": 4,
    "show_meters": False,
    "rotate_roles": True,  # every politician leads at least once; the host can turn it off
    "lock_on_timeout": True,
    "personas": True,
    # The round clock starts by itself when a round with decisions begins (the host
    # may still pause it); off, the host starts it by hand as before.
    "autostart_timer": True,
    "max_players": DEFAULT_MAX_PLAYERS,  # seats taken at most (removed players do not count)
}


def _(text: str) -> str:
    """Marks a refusal reason for translation; the game layer translates it."""
    return text


class Refused(Exception):
    """An action the rules do not allow; nothing was changed."""

    def __init__(self, code: str, reason: str, **params: Any) -> None:
        super().__init__(reason % params if params else reason)
        self.code = code
        self.reason = reason
        self.params = params


def new_state(case: Case, options: dict[str, Any] | None = None, *, seed: int = 0) -> State:
    """A session in the lobby.

    ``seed`` decides the draws (personas, cards, the committees' local mood); it
    is kept in the state, so a replayed log gives the same game. The game layer
    gives each session its own.
    """
    opts: dict[str, Any] = dict(DEFAULT_OPTIONS)
    for key, value in (options or {}).items():
        if key not in DEFAULT_OPTIONS or type(value) is not type(DEFAULT_OPTIONS[key]):
            raise Refused("invalid", _("Unknown or malformed option: %(key)s."), key=key)
        opts[key] = value
    if not MIN_COMMITTEE <= opts["size"] <= MAX_COMMITTEE:
        raise Refused("invalid", _("A committee has 3 to 8 members."))
    if opts["max_players"] < 1:
        raise Refused("invalid", _("Unknown or malformed option: %(key)s."), key="max_players")
    return {
        "status": "lobby",
        "round": 0,
        "options": cast(Options, opts),  # every key checked above
        "players": {},
        "committees": {},
        "timer": {"remaining": case.rounds[0].minutes * 60, "ends_at": None, "fired": False},
        "message": "",
        "seq": 0,
        "reached": -1,
        "timer_started": False,
        "stepped_back": False,
        "message_keep": False,
        "seed": seed if type(seed) is int else 0,
    }


def apply(case: Case, state: State, action: dict[str, Any]) -> tuple[State, list[Event]]:
    """Apply one action; the only entry point that changes a state."""
    kind = action.get("kind")
    handler = _HANDLERS.get(kind)  # type: ignore[arg-type]
    if handler is None:
        raise Refused("unknown", _("Unknown action."))
    new = _copy_for(state, action)
    events = handler(case, new, **{k: v for k, v in action.items() if k != "kind"})
    return new, events


# A player's move in their own committee changes that committee and nothing else
# of the players or the other committees; a device coming or going changes that
# seat's record only; a new seat adds its own record and changes no other seat's.
# The rest is shared with the old state, not copied, so a vote, a connection or a
# join costs what it touches (tests/test_rules_properties.py checks that no action
# changes the state it was given).
IN_ONE_COMMITTEE = frozenset({"vote", "lock", "idea", "reflect"})
IN_ONE_SEAT = frozenset({"presence"})
NEW_SEAT = "join"


def _copy_for(state: State, action: dict[str, Any]) -> State:
    kind = action.get("kind")
    if kind == NEW_SEAT:
        new_seat: dict[str, Any] = {
            k: v if k == "players" else copy_state(v) for k, v in state.items()
        }
        new_seat["players"] = dict(state["players"])
        return cast(State, new_seat)
    if kind not in IN_ONE_COMMITTEE and kind not in IN_ONE_SEAT:
        return copy_state(state)
    pid = action.get("player")
    player = state["players"].get(pid) if isinstance(pid, str) else None
    if not isinstance(player, dict):
        return copy_state(state)  # the handler refuses it
    assert isinstance(pid, str)
    # The rest of the state (a few small values) in one copy, not one copy each.
    new: dict[str, Any] = copy_state(
        {k: v for k, v in state.items() if k not in ("players", "committees")}
    )
    new.update(players=state["players"], committees=state["committees"])
    if kind in IN_ONE_SEAT:
        new["players"] = {**state["players"], pid: copy_state(player)}
        return cast(State, new)
    cid = player["committee"]
    if cid not in state["committees"]:
        return copy_state(state)
    new["committees"] = {**state["committees"], cid: copy_state(state["committees"][cid])}
    return cast(State, new)


# --- helpers ------------------------------------------------------------------------


def copy_state(state: _JSON) -> _JSON:
    """A deep copy of a JSON-ready state (or part); marshal is many times faster than deepcopy."""
    try:
        return marshal.loads(marshal.dumps(cast(Any, state)))
    except ValueError:  # something not JSON-like crept in: copy it the slow way
        return copy.deepcopy(state)


def _clamp(value: int) -> int:
    return max(0, min(100, value))


def _apply_effects(c: Committee, effects: Effects, times: int = 1) -> None:
    for meter, delta in effects.meters.items():
        c["meters"][meter] = _clamp(c["meters"][meter] + delta * times)
    for sid, d in effects.stakeholders.items():
        s = c["stakeholders"][sid]
        s["stance"] = _clamp(s["stance"] + d.stance * times)
        s["engagement"] = _clamp(s["engagement"] + d.engagement * times)


def holds(case: Case, c: Committee, cond: Condition) -> bool:
    """Whether one case condition holds for committee ``c`` (the debrief asks too)."""
    return _holds(case, c, cond)


def _holds(case: Case, c: Committee, cond: Condition) -> bool:
    if cond.meter is not None:
        value = c["meters"][cond.meter]
        return (cond.min is None or value >= cond.min) and (cond.max is None or value <= cond.max)
    if cond.seated is not None:
        return cond.seated in (c["seated"] or [])
    if cond.absent is not None:
        return c["seated"] is not None and cond.absent not in c["seated"]
    if cond.chosen is not None:
        task_id, _sep, option_id = cond.chosen.partition(":")
        return option_id in _locked_ids(c, task_id)
    if cond.answered is not None:
        answers = set(_answers(case, c, cond.answered))
        return any(card in answers for card in recommended_cards(case, c))
    if cond.any is not None:
        return any(_holds(case, c, x) for x in cond.any)
    if cond.opposed is not None:
        return opposed(c, cond.opposed) <= (cond.max or 0)
    return (c["politician_cards"] > 0) == cond.politician_card


def opposed(c: Committee, below: int) -> int:
    """How many stakeholders are against the committee's work (stance below ``below``)."""
    return sum(1 for s in c["stakeholders"].values() if s["stance"] < below)


def _locked_ids(c: Committee, task_id: str) -> list[str]:
    """What a task locked, as option ids; a budget's ideas by their idea card ids."""
    d = c["decisions"].get(task_id)
    decisions = [d] if d else [x for x in c["decisions"].values() if x["task"] == task_id]
    values: list[str] = []
    for x in decisions:  # a card task: every card it drew
        locked = x["locked"]
        if locked:
            values += locked if isinstance(locked, list) else [locked]
    cards = {str(i["id"]): i["card"] for i in c["ideas"]}
    return [cards.get(v) or v for v in values]


def recommended_cards(case: Case, c: Committee) -> list[str]:
    """The idea cards in every locked budget: what the recommendation holds."""
    out = []
    for t in case.rounds_tasks:
        if t.type == "budget":
            out += [x for x in _locked_ids(c, t.id) if case.idea_card(x)]
    return out


def _answers(case: Case, c: Committee, task_id: str) -> list[str]:
    """The idea cards that answer what was locked in a task (its options' ``answers``)."""
    found = case.find_task(task_id)
    if found is None:
        return []
    d = c["decisions"].get(task_id)
    options = {o.id: o for o in options_of(case, c, d)} if d else {}
    return [a for x in _locked_ids(c, task_id) if x in options for a in options[x].answers]


def _all_hold(case: Case, c: Committee, when: list[Condition]) -> bool:
    return all(_holds(case, c, cond) for cond in when)


def active_members(state: State, cid: str) -> list[str]:
    return [p for p in state["committees"][cid]["members"] if not state["players"][p]["removed"]]


def _committee_of(state: State, pid: str) -> tuple[str, Committee]:
    player = state["players"].get(pid)
    if player is None or player["removed"]:
        raise Refused("not_allowed", _("You do not have a seat in this session."))
    cid = player["committee"]
    if cid is None:
        raise Refused("not_allowed", _("You have not been placed in a committee yet."))
    return cid, state["committees"][cid]


def _running(state: State) -> None:
    if state["status"] != "running":
        raise Refused("closed", _("The session is not running."))


def lead_of(case: Case, c: Committee, d: Decision) -> str | None:
    """The role that locks decision d, or None when any member may lock it."""
    round_ = case.rounds[d["round"]]
    task = task_of(case, d)
    role = task.actor if task.type in PLAYED_TYPES else round_.lead
    if role is None or role not in c["roles"].values():
        return None  # the role is vacant: anyone in the committee may lock
    return role


def _task(case: Case, task_id: str) -> Task:
    found = case.find_task(task_id)
    assert found is not None, task_id
    return found[1]


_INJECTED = Task(id="inject", type="card", prompt="-", deck="events")


def task_of(case: Case, d: Decision) -> Task:
    """Injected cards have no task of their own; they decide like a card task."""
    return _task(case, d["task"]) if d["task"] else _INJECTED


def options_of(case: Case, c: Committee, d: Decision) -> list[Option]:
    """The options of decision d as Option objects (ideas tasks: none)."""
    task = task_of(case, d)
    if task.type == "card":
        card = case.card(d["card"] or "")
        return list(card.options) if card else []
    if task.type == "seats":
        return case.seat_options
    if task.type == "invite":  # the stakeholders left out of the seats, or already invited
        seated = set(c["seated"] or [])
        chosen = {d["locked"]} if d["locked"] else set()
        return [o for o in case.seat_options if o.id not in seated or o.id in chosen]
    if task.type == "budget":
        return [
            _budget_option(str(i["id"]), i["text"], _idea_cost(case, i)) for i in _kept(c, task)
        ]
    return case.task_options(task)


_NO_EFFECTS = Effects()


def _budget_option(option_id: str, label: str, cost: int) -> Option:
    """An idea on offer in a budget, as an option.

    Built from an idea the rules already checked, so not validated again, and
    with every field given (pydantic would otherwise copy each default): this is
    asked for on every vote, lock and view of a budget.
    """
    return Option.model_construct(
        id=option_id,
        label=label,
        text="",
        effects=_NO_EFFECTS,
        consequence="",
        lg=[],
        cost=cost,
        unlocks=[],
        answers=[],
        due=None,
        test=None,
        politician_card=False,
    )


def _idea_cost(case: Case, idea: Idea) -> int:
    card = case.idea_card(idea["card"]) if idea["card"] else None
    return card.cost if card else case.budget.free_idea_cost


def _kept(c: Committee, budget_task: Task) -> list[Idea]:
    """The ideas that went forward from the ideas task a budget task draws on."""
    d = c["decisions"].get(budget_task.from_task or "")
    kept = (d["locked"] if d else None) or []
    by_id = {str(i["id"]): i for i in c["ideas"]}
    return [by_id[i] for i in kept if i in by_id]


# --- tallies --------------------------------------------------------------------------


def tally(case: Case, c: Committee, d: Decision) -> dict[str, int]:
    """Support per option: votes, Borda points (rank) or dots (ideas)."""
    task = task_of(case, d)
    counts: dict[str, int] = {}  # a plain dict: a Counter costs 10 µs to make, 3,600 a round change
    for value in d["votes"].values():
        if task.type == "rank":
            pairs = [(option, len(value) - i) for i, option in enumerate(value)]
        elif task.type == "ideas":
            pairs = list(value.items())
        elif isinstance(value, list):
            pairs = [(option, 1) for option in value]
        else:
            pairs = [(value, 1)]
        for option, n in pairs:
            counts[option] = counts.get(option, 0) + n
    return counts


def plurality(case: Case, c: Committee, d: Decision) -> Any:
    """What the committee's votes add up to, as a value the decision can lock.

    Ties go to the option listed first, so the result is deterministic.
    Returns None when nothing has been voted.
    """
    task = task_of(case, d)
    counts = tally(case, c, d)
    if task.type == "ideas":  # with no dots yet, the first ideas in the pool go forward
        order = [str(i["id"]) for i in c["ideas"]]
        ranked = sorted(order, key=lambda i: (-counts.get(i, 0), order.index(i)))
        return ranked[: task.keep] or None
    if not d["votes"]:
        return None
    order = [o.id for o in options_of(case, c, d)]
    ranked = sorted(order, key=lambda o: (-counts.get(o, 0), order.index(o)))
    if task.type in ONE_PICK_TYPES:
        return ranked[0]
    if task.type == "rank":
        return ranked
    if task.type == "budget":
        costs = {o.id: o.cost for o in options_of(case, c, d)}
        chosen, spent = [], 0
        for o in ranked:
            if counts.get(o, 0) > 0 and spent + costs[o] <= case.budget.total:
                chosen.append(o)
                spent += costs[o]
        return chosen
    voted = [o for o in ranked if counts.get(o, 0) > 0][: task.max]
    rest = [o for o in ranked if o not in voted]
    return voted + rest[: max(0, task.min - len(voted))]


def _check_value(case: Case, c: Committee, d: Decision, value: Any) -> Any:
    """Refuse a vote that does not fit its task; return it normalised."""
    task = task_of(case, d)
    ids = [o.id for o in options_of(case, c, d)]
    if task.type in ONE_PICK_TYPES:
        if not isinstance(value, str) or value not in ids:
            raise Refused("invalid", _("Choose one of the options."))
        return value
    if task.type == "ideas":
        pool = {str(i["id"]) for i in c["ideas"]}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and k in pool and type(n) is int and n >= 0 for k, n in value.items()
        ):
            raise Refused("invalid", _("Put your dots on ideas in the pool."))
        if sum(value.values()) > task.dots:
            raise Refused("invalid", _("You have %(dots)s dots."), dots=task.dots)
        return {k: n for k, n in value.items() if n}
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refused("invalid", _("Choose from the options."))
    if len(set(value)) != len(value) or any(v not in ids for v in value):
        raise Refused("invalid", _("Choose from the options, each once."))
    if task.type == "rank":
        if sorted(value) != sorted(ids):
            raise Refused("invalid", _("Put every item in order."))
        return value
    if task.type == "budget":
        costs = {o.id: o.cost for o in options_of(case, c, d)}
        if sum(costs[v] for v in value) > case.budget.total:
            raise Refused(
                "invalid", _("That is over the budget of %(total)s."), total=case.budget.total
            )
        return value
    if not task.min <= len(value) <= task.max:
        raise Refused(
            "invalid", _("Choose from %(min)s to %(max)s options."), min=task.min, max=task.max
        )
    return value


# --- entering a round ----------------------------------------------------------------


def _draw(case: Case, state: State, cid: str, c: Committee, task: Task) -> list[str]:
    """The cards a committee meets: of those whose conditions hold, the highest priority.

    Among cards of equal priority, a pressure from a direction the committee has
    not met yet comes first (so it meets pressure from more than one side); the
    rest is shuffled by the session's seed and the committee, so that a
    replayed log gives the same game while committees side by side differ.
    """
    deck = case.deck(task.deck or "")
    used = {d["card"] for d in c["decisions"].values() if d["card"]}
    met = {case.card(x).source for x in used if case.card(x)} - {None}  # type: ignore[union-attr]
    seed = state.get("seed", 0)
    fitting = [card for card in deck if card.id not in used and _all_hold(case, c, card.when)]
    fitting.sort(
        key=lambda card: (
            -card.priority,
            card.source in met,
            zlib.crc32(f"{seed}:{cid}:{card.id}".encode()),
        )
    )
    return [card.id for card in fitting[: task.draw]]


def _open_decision(
    c: Committee, key: str, task_id: str, round_index: int, card: str | None
) -> None:
    c["decisions"][key] = {
        "task": task_id,
        "round": round_index,
        "card": card,
        "votes": {},
        "locked": None,
        "by": None,
        "politician_card": False,
    }


def _unlocked_cards(case: Case, c: Committee) -> list[str]:
    seated = set(c["seated"] or [])
    return [
        card.id
        for card in case.idea_cards
        if card.id in c["unlocked"] or not card.unlocked_by or seated & set(card.unlocked_by)
    ]


def _add_card_ideas(case: Case, state: State, c: Committee) -> None:
    have = {i["card"] for i in c["ideas"] if i["card"]}
    for card_id in _unlocked_cards(case, c):
        if card_id not in have:
            state["seq"] += 1
            card = case.idea_card(card_id)
            assert card is not None, card_id  # _unlocked_cards gives the case's idea cards
            c["ideas"].append(
                {"id": state["seq"], "author": None, "card": card_id, "text": card.title}
            )


def _outcome(case: Case, c: Committee) -> str:
    return next(o.id for o in case.outcomes if _all_hold(case, c, o.when))


def _autostart(case: Case, state: State, now: float | None) -> list[Event]:
    """Start the round clock by itself, when the host chose that and the round has decisions.

    Only with ``now`` (the rules have no clock): the websocket layer passes it for
    ``start`` and ``advance``; a caller without it starts the timer by hand.
    """
    round_ = case.rounds[state["round"]]
    if now is None or not state["options"].get("autostart_timer") or not round_.tasks:
        return []
    state["timer"]["ends_at"] = now + state["timer"]["remaining"]
    state["timer_started"] = True
    return [{"kind": "timer", "op": "start", "seconds": None, "auto": True}]


def _enter_round(case: Case, state: State, index: int) -> list[Event]:
    """Set up round ``index`` for every committee.

    What a round sets up happens once: after a step back, entering it again
    keeps its decisions, cards and roles. The council's outcome alone is
    decided anew, as the committee may have changed its course meanwhile.
    """
    round_ = case.rounds[index]
    first_time = index > state["reached"]
    state["round"] = index
    state["reached"] = max(index, state["reached"])
    state["timer"] = {"remaining": round_.minutes * 60, "ends_at": None, "fired": False}
    state["timer_started"] = False
    state["stepped_back"] = False
    events: list[Event] = [{"kind": "round", "round": index}]
    for cid, c in state["committees"].items():
        if state["options"]["rotate_roles"] and index > 0 and first_time:
            _rotate_roles(state, cid)
        for task in round_.tasks:
            if task.type == "card":
                if not any(d["task"] == task.id for d in c["decisions"].values()):
                    for card_id in _draw(case, state, cid, c, task):
                        _open_decision(c, f"{task.id}:{card_id}", task.id, index, card_id)
            elif task.id not in c["decisions"]:
                _open_decision(c, task.id, task.id, index, None)
            if task.type == "ideas":
                _add_card_ideas(case, state, c)
        events.append(
            {"kind": "roles", "committee": cid, "round": index, "roles": dict(c["roles"])}
        )
        if round_.outcome and first_time:
            events += _promises_come_due(case, cid, c, index)
        if round_.outcome:
            # What the council weighed: implementation may move the meters later,
            # but the decision and why it came stand (the debrief reads this).
            c["council"] = {
                "meters": dict(c["meters"]),
                "stakeholders": copy_state(c["stakeholders"]),
            }
        if round_.outcome and c["outcome"] != _outcome(case, c):
            c["outcome"] = _outcome(case, c)
            events.append({"kind": "outcome", "committee": cid, "outcome": c["outcome"]})
    return events


def chosen_options(case: Case, c: Committee, d: Decision) -> list[Option]:
    """The options a locked decision chose (a ranking: those whose effects applied)."""
    if d["locked"] is None:
        return []
    task = task_of(case, d)
    if task.type in ("ideas", "budget", "seats"):
        return []
    chosen = d["locked"] if isinstance(d["locked"], list) else [d["locked"]]
    if task.type == "rank":
        chosen = chosen[: task.apply_top]
    options = {o.id: o for o in options_of(case, c, d)}
    return [options[x] for x in chosen if x in options]


def _promises_come_due(case: Case, cid: str, c: Committee, index: int) -> list[Event]:
    """What the committee promised comes due when the council decides; then its frame is tested.

    The frames last: the council judges the committee by what it delivered,
    promises included, against what its igangsætter said it set out to do.
    """
    events: list[Event] = []
    chosen = [(k, o) for k, d in sorted(c["decisions"].items()) for o in chosen_options(case, c, d)]
    for key, option in chosen:
        if option.due is not None:
            _apply_effects(c, option.due.effects)
            c["log"].append({"round": index, "key": key, "text": option.due.text})
            events.append({"kind": "due", "committee": cid, "key": key, "option": option.id})
    for key, option in chosen:
        if option.test is not None:
            kept = _all_hold(case, c, option.test.when)
            result = option.test.kept if kept else option.test.broken
            _apply_effects(c, result.effects)
            c["log"].append({"round": index, "key": key, "text": result.text})
            c.setdefault("frames", {})[key] = kept
            events.append(
                {"kind": "frame", "committee": cid, "key": key, "option": option.id, "kept": kept}
            )
    return events


def frame_tests(case: Case, c: Committee) -> list[tuple[str, Option, bool | None]]:
    """The committee's locked frames: (key, option, kept), kept None until the council decides."""
    tested = c.get("frames", {})
    return [
        (key, option, tested.get(key))
        for key, d in sorted(c["decisions"].items())
        for option in chosen_options(case, c, d)
        if option.test is not None
    ]


# --- roles ----------------------------------------------------------------------------


def _fill_roles(case: Case, state: State, cid: str) -> None:
    """Give every active member a seat; keep every leadership role filled.

    Holders keep their roles; a vacant leadership role goes to the first member
    who has none; members beyond the leaders get a persona not yet in use,
    drawn with the session's seed, and only for a stakeholder at the table
    once the seats are decided.
    """
    c = state["committees"][cid]
    active = active_members(state, cid)
    roles = {p: r for p, r in c["roles"].items() if p in active}
    leaders = [r.id for r in case.roles]
    for role in leaders:
        if role not in roles.values():
            taker = next((p for p in active if roles.get(p) not in leaders), None)
            if taker is None:
                break
            roles[taker] = role
    for p in active:
        if p not in roles:
            free = _free_personas(case, state, cid, set(roles.values()))
            roles[p] = free[0] if state["options"]["personas"] and free else MEMBER
    c["roles"] = roles


def _free_personas(case: Case, state: State, cid: str, in_use: set[str]) -> list[str]:
    """Personas not in use, of stakeholders at the table (all before the seats), seeded order."""
    seated = state["committees"][cid]["seated"]
    seed = state.get("seed", 0)
    free = [
        x.id
        for x in case.personas
        if x.id not in in_use and (seated is None or x.stakeholder in seated)
    ]
    return sorted(free, key=lambda x: zlib.crc32(f"{seed}:{cid}:{x}".encode()))


def _refit_personas(case: Case, state: State, cid: str) -> list[Event]:
    """After the seats (or an invitation): no persona speaks for a stakeholder left out.

    A persona whose stakeholder has no seat gives way to one whose stakeholder
    has (or to a plain seat); a plain seat takes a persona that has become free.
    """
    c = state["committees"][cid]
    if not state["options"]["personas"]:
        return []
    seated = set(c["seated"] or [])
    leaders = {r.id for r in case.roles}
    before = dict(c["roles"])
    for p in active_members(state, cid):
        role = c["roles"].get(p)
        if role in leaders:
            continue
        persona = case.persona(role or "")
        if persona is not None and persona.stakeholder in seated:
            continue
        free = _free_personas(case, state, cid, set(c["roles"].values()))
        c["roles"][p] = free[0] if free else MEMBER
    if c["roles"] == before:
        return []
    return [{"kind": "roles", "committee": cid, "round": state["round"], "roles": dict(c["roles"])}]


def persona_goals(case: Case, state: State, cid: str) -> dict[str, Goal]:
    """Each persona's secret interest, scored: pid -> {persona, stakeholder, met}."""
    c = state["committees"][cid]
    out: dict[str, Goal] = {}
    for pid, role in c["roles"].items():
        persona = case.persona(role)
        if persona is not None and persona.goal:
            out[pid] = {
                "persona": persona.id,
                "stakeholder": persona.stakeholder,
                "met": _all_hold(case, c, persona.goal),
            }
    return out


def _rotate_roles(state: State, cid: str) -> None:
    """Every role moves on to the next member, so leaders take turns in all three."""
    c = state["committees"][cid]
    active = [p for p in active_members(state, cid) if p in c["roles"]]
    if len(active) > 1:
        seats = [c["roles"][p] for p in active]
        c["roles"] = {p: seats[i - 1] for i, p in enumerate(active)}


def _start_stance(case: Case, state: State, cid: str, sid: str, stance: int) -> int:
    """The case's stance, moved within its spread by the session's seed and the committee."""
    spread = case.stance_spread
    if not spread:
        return stance
    h = zlib.crc32(f"{state.get('seed', 0)}:{cid}:{sid}".encode())
    return _clamp(stance + h % (2 * spread + 1) - spread)


def _new_committee(case: Case, state: State) -> str:
    cid = str(max((int(k) for k in state["committees"]), default=0) + 1)
    state["committees"][cid] = {
        "name": cid,
        "members": [],
        "roles": {},
        "meters": {m.id: m.start for m in case.meters},
        "stakeholders": {
            s.id: {
                "stance": _start_stance(case, state, cid, s.id, s.stance),
                "engagement": s.engagement,
            }
            for s in case.stakeholders
        },
        "seated": None,
        "decisions": {},
        "ideas": [],
        "unlocked": [],
        "log": [],
        "history": {},
        "outcome": None,
        "politician_cards": 0,
        "reflections": {},
    }
    return cid


# --- actions: people -------------------------------------------------------------------


def _join(case: Case, state: State, *, player: str, name: str, admit: bool = False) -> list[Event]:
    if state["status"] == "ended":
        raise Refused("closed", _("The session has ended."))
    if player in state["players"] or player in state.get("waiting", {}):
        raise Refused("conflict", _("That seat is taken."))
    if state.get("lobby_locked") and admit is not True:
        return _wait(state, player, name)
    cap = state["options"].get("max_players", DEFAULT_MAX_PLAYERS)
    if sum(not p["removed"] for p in state["players"].values()) >= cap:
        raise Refused("full", _("The session is full."))
    name = _unique_name(state, name)
    state["players"][player] = {"name": name, "committee": None, "removed": False, "online": 0}
    events: list[Event] = [{"kind": "join", "player": player, "name": name}]
    if state["committees"]:
        open_ = [
            cid for cid in state["committees"] if len(active_members(state, cid)) < MAX_COMMITTEE
        ]
        if not open_:
            raise Refused("full", _("Every committee is full."))
        cid = min(open_, key=lambda k: (len(active_members(state, k)), int(k)))
        events += _seat(case, state, player, cid)
    return events


def clean_name(name: Any) -> str:
    """A display name as shown (game.text: trimmed, white space folded, NFC); "" if unusable."""
    try:
        return clean_text(name, max_length=MAX_NAME_LENGTH)
    except BadText:
        return ""


def _unique_name(state: State, name: Any) -> str:
    """Refuse an empty or too long name; tell a clashing one apart with a number."""
    name = free_text(
        name, MAX_NAME_LENGTH, _("A name is 1 to %(n)s characters."), n=MAX_NAME_LENGTH
    )
    if not name:
        raise Refused("invalid", _("A name is 1 to %(n)s characters."), n=MAX_NAME_LENGTH)
    seats = [*state["players"].values(), *state.get("waiting", {}).values()]
    taken = {p["name"].casefold() for p in seats}
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def _presence(case: Case, state: State, *, player: str, online: bool) -> list[Event]:
    """A player's device connected or went away; the count covers several tabs."""
    p = _known_player(state, player)
    p["online"] = max(0, p.get("online", 0) + (1 if online else -1))
    return [{"kind": "presence", "player": player, "online": p["online"] > 0}]


def _reset_presence(case: Case, state: State) -> list[Event]:
    """The server restarted: nobody is connected until their device reconnects."""
    for p in state["players"].values():
        p["online"] = 0
    return [{"kind": "presence_reset"}]


def _seat(case: Case, state: State, pid: str, cid: str) -> list[Event]:
    state["players"][pid]["committee"] = cid
    c = state["committees"][cid]
    if pid not in c["members"]:
        c["members"].append(pid)
    _fill_roles(case, state, cid)
    return [{"kind": "seat", "player": pid, "committee": cid, "role": c["roles"].get(pid)}]


def _unseat(case: Case, state: State, pid: str) -> None:
    cid = state["players"][pid]["committee"]
    if cid is None:
        return
    c = state["committees"][cid]
    _drop_open_votes(c, pid)
    c["members"].remove(pid)
    c["roles"].pop(pid, None)
    state["players"][pid]["committee"] = None
    _fill_roles(case, state, cid)


def _drop_open_votes(c: Committee, pid: str) -> None:
    """A player who leaves a committee no longer counts in its open decisions."""
    for d in c["decisions"].values():
        if d["locked"] is None:
            d["votes"].pop(pid, None)


def _known_player(state: State, player: Any) -> Player:
    p = state["players"].get(player) if isinstance(player, str) else None
    if p is None:
        raise Refused("not_found", _("No such player."))
    return p


def _form(case: Case, state: State, *, size: int | None = None) -> list[Event]:
    """Form balanced committees of about ``size`` from everyone in the lobby."""
    if state["status"] != "lobby":
        raise Refused("closed", _("Committees are formed in the lobby; move players by hand now."))
    size = state["options"]["size"] if size is None else size
    if type(size) is not int or not MIN_COMMITTEE <= size <= MAX_COMMITTEE:
        raise Refused("invalid", _("A committee has 3 to 8 members."))
    people = [pid for pid, p in state["players"].items() if not p["removed"]]
    if not people:
        raise Refused("invalid", _("Nobody has joined yet."))
    n = len(people)
    k = max(1, round(n / size), math.ceil(n / MAX_COMMITTEE))
    k = min(k, max(1, n // MIN_COMMITTEE))
    state["options"]["size"] = size
    state["committees"] = {}
    for p in state["players"].values():
        p["committee"] = None
    cids = [_new_committee(case, state) for _i in range(k)]
    events: list[Event] = [{"kind": "form", "committees": k}]
    for i, pid in enumerate(people):
        events += _seat(case, state, pid, cids[i % k])
    return events


def _move(case: Case, state: State, *, player: str, committee: str) -> list[Event]:
    p = _known_player(state, player)
    if state["status"] == "ended":
        raise Refused("closed", _("The session has ended."))
    if committee == "new":
        if state["status"] != "lobby":
            raise Refused("closed", _("New committees are made in the lobby."))
        committee = _new_committee(case, state)
    if committee not in state["committees"]:
        raise Refused("not_found", _("No such committee."))
    if p["committee"] == committee:
        raise Refused("invalid", _("The player already sits in that committee."))
    if len(active_members(state, committee)) >= MAX_COMMITTEE:
        raise Refused("full", _("That committee is full."))
    if p["removed"]:
        raise Refused("invalid", _("Let the player back in first."))
    _unseat(case, state, player)
    return _seat(case, state, player, committee)


def _remove(case: Case, state: State, *, player: str) -> list[Event]:
    p = _known_player(state, player)
    if p["removed"]:
        raise Refused("invalid", _("The player is already removed."))
    p["removed"] = True
    if p["committee"] is not None:
        _drop_open_votes(state["committees"][p["committee"]], player)
        _fill_roles(case, state, p["committee"])
    return [{"kind": "remove", "player": player}]


def _readmit(case: Case, state: State, *, player: str) -> list[Event]:
    p = _known_player(state, player)
    if not p["removed"]:
        raise Refused("invalid", _("The player is not removed."))
    if p.get("merged"):
        raise Refused("invalid", _("This seat was merged into another one."))
    cid = p["committee"]
    if cid is not None and len(active_members(state, cid)) >= MAX_COMMITTEE:
        raise Refused("full", _("That committee is full."))
    p["removed"] = False
    events: list[Event] = [{"kind": "readmit", "player": player}]
    if cid is not None:
        events += _seat(case, state, player, cid)
    return events


# --- actions: a seat comes back on a new device ---------------------------------------
# The seat token itself is not game state (game.actions swaps it); the rules keep
# the open requests, so the host's dashboard shows them live, and log each move.


def _claim(case: Case, state: State, *, claim: Any = None, player: Any = None) -> list[Event]:
    """A new device asks the host for this seat."""
    p = _known_player(state, player)
    if not isinstance(claim, str) or not claim:
        raise Refused("invalid", _("That request is no longer open."))
    if state["status"] == "ended":
        raise Refused("closed", _("The session has ended."))
    if p["removed"]:
        raise Refused("invalid", _("That seat is not in the game."))
    claims = state.setdefault("claims", {})
    if any(c["player"] == player for c in claims.values()):
        raise Refused("conflict", _("Someone has already asked for this seat; tell the host."))
    claims[claim] = {"player": player}
    return [{"kind": "claim", "claim": claim, "player": player}]


def _claim_end(
    case: Case, state: State, *, claim: Any = None, outcome: Any = "declined"
) -> list[Event]:
    """The host declined a request, or the device gave up waiting."""
    found = state.get("claims", {}).pop(claim, None) if isinstance(claim, str) else None
    if found is None:
        raise Refused("not_found", _("That request is no longer open."))
    return [{"kind": "claim_end", "claim": claim, "player": found["player"], "outcome": outcome}]


def _drop_claims(state: State, pids: set[str]) -> None:
    claims = state.get("claims", {})
    for cid in [k for k, c in claims.items() if c["player"] in pids]:
        del claims[cid]


def _reseat(case: Case, state: State, *, player: Any = None, how: Any = "code") -> list[Event]:
    """The seat moved to a new device (by its seat code, or the host confirmed it)."""
    p = _known_player(state, player)
    if state["status"] == "ended":
        raise Refused("closed", _("The session has ended."))
    if p["removed"]:
        raise Refused("invalid", _("That seat is not in the game."))
    _drop_claims(state, {player})
    return [{"kind": "reseat", "player": player, "how": how}]


def _merge(case: Case, state: State, *, player: Any = None, into: Any = None) -> list[Event]:
    """A duplicate seat (a rejoin made "Bo (2)") goes into the original one.

    The original keeps its committee and role. The duplicate's open votes,
    reflections and ideas go over where the original has none of its own (so
    nothing counts twice), and the duplicate leaves the game.
    """
    dup, orig = _known_player(state, player), _known_player(state, into)
    if state["status"] == "ended":
        raise Refused("closed", _("The session has ended."))
    if player == into:
        raise Refused("invalid", _("Choose two different seats."))
    if dup["removed"] or orig["removed"]:
        raise Refused("invalid", _("Let the player back in first."))
    same = dup["committee"] is not None and dup["committee"] == orig["committee"]
    if same:
        c = state["committees"][cast(str, dup["committee"])]  # same: not None
        for d in c["decisions"].values():
            if d["locked"] is None and player in d["votes"] and into not in d["votes"]:
                d["votes"][into] = d["votes"][player]
        answers = c["reflections"].pop(player, {})
        for q, text in answers.items():
            c["reflections"].setdefault(into, {}).setdefault(q, text)
    for c in state["committees"].values():
        for idea in c["ideas"]:
            if idea["author"] == player:
                idea["author"] = into
        if not same:
            c["reflections"].pop(player, None)
    _unseat(case, state, player)
    dup["removed"] = True
    dup["merged"] = into
    _drop_claims(state, {player, into})
    return [{"kind": "merge", "player": player, "into": into}]


# --- actions: the host runs the session ------------------------------------------------


def _start(case: Case, state: State, *, now: float | None = None) -> list[Event]:
    if state["status"] != "lobby":
        raise Refused("closed", _("The session has already started."))
    if not state["committees"]:
        raise Refused("invalid", _("Form the committees first."))
    if any(p["committee"] is None and not p["removed"] for p in state["players"].values()):
        raise Refused("invalid", _("Some players have no committee yet."))
    state["status"] = "running"
    events = [{"kind": "start"}] + _enter_round(case, state, 0)
    return events + _autostart(case, state, now)


def _record_meters(state: State) -> list[Event]:
    events = []
    for cid, c in state["committees"].items():
        c["history"][str(state["round"])] = dict(c["meters"])
        # The stakeholders' stance and engagement too, for the map of how they moved.
        c.setdefault("stances", {})[str(state["round"])] = copy_state(c["stakeholders"])
        events.append(
            {
                "kind": "meters",
                "committee": cid,
                "round": state["round"],
                "meters": dict(c["meters"]),
            }
        )
    return events


def _from_round(state: State, from_round: Any) -> None:
    """A host's round change names the round it starts from: a double click or a
    second window sends the same round twice, and only the first may take effect."""
    if from_round is None:
        return
    if type(from_round) is not int:
        raise Refused("invalid", _("The round must be a whole number."))
    if from_round != state["round"]:
        raise Refused("stale", _("The round has already changed; look at the screen again."))


def _advance(
    case: Case, state: State, *, now: float | None = None, from_round: int | None = None
) -> list[Event]:
    _running(state)
    _from_round(state, from_round)
    if state["round"] + 1 >= len(case.rounds):
        raise Refused("invalid", _("This is the last round; end the session instead."))
    events = _record_meters(state) + _enter_round(case, state, state["round"] + 1)
    if state["message"] and not state.get("message_keep"):
        # A message belongs to its round unless the host asked to keep it.
        state["message"] = ""
        events.append({"kind": "message", "text": "", "auto": True})
    return events + _autostart(case, state, now)


def _back(case: Case, state: State, from_round: int | None = None) -> list[Event]:
    _running(state)
    _from_round(state, from_round)
    if state["round"] == 0:
        raise Refused("invalid", _("This is the first round."))
    state["round"] -= 1
    round_ = case.rounds[state["round"]]
    state["timer"] = {"remaining": round_.minutes * 60, "ends_at": None, "fired": False}
    state["timer_started"] = False
    state["stepped_back"] = True  # the phones say so, until the next round begins
    return [{"kind": "round", "round": state["round"], "back": True}]


def _end(case: Case, state: State) -> list[Event]:
    if state["status"] == "ended":
        raise Refused("closed", _("The session has already ended."))
    events = _record_meters(state) if state["status"] == "running" else []
    for cid, c in state["committees"].items():
        if c["outcome"] is None and state["status"] == "running":
            c["outcome"] = _outcome(case, c)
            events.append({"kind": "outcome", "committee": cid, "outcome": c["outcome"]})
        if state["status"] == "running":
            # The personas' secret interests are scored and revealed at the end.
            c["goals"] = persona_goals(case, state, cid)
            # The debrief's read model reads persona id -> score (1 met, 0 not).
            c["persona_scores"] = {g["persona"]: int(g["met"]) for g in c["goals"].values()}
    state["status"] = "ended"
    state["timer"]["ends_at"] = None
    return events + [{"kind": "end"}]


def _seconds(value: Any, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise Refused(
            "invalid", _("Give a number of seconds from %(low)s to %(high)s."), low=low, high=high
        )
    return value


def _timer(case: Case, state: State, *, op: str, now: float, seconds: int = 60) -> list[Event]:
    _running(state)
    t = state["timer"]
    if op in ("start", "resume"):
        if t["ends_at"] is not None:
            raise Refused("invalid", _("The timer is already running."))
        if t["remaining"] <= 0:
            raise Refused("invalid", _("The time is up; add time first."))
        t["ends_at"] = now + t["remaining"]
        state["timer_started"] = True
    elif op == "pause":
        if t["ends_at"] is None:
            raise Refused("invalid", _("The timer is not running."))
        t["remaining"] = max(0, round(t["ends_at"] - now))
        t["ends_at"] = None
    elif op == "add":
        seconds = _seconds(seconds, 1, 3600)
        t["fired"] = False
        if t["ends_at"] is not None:
            t["ends_at"] += seconds
        else:
            t["remaining"] += seconds
    else:
        raise Refused("invalid", _("Unknown timer operation."))
    return [{"kind": "timer", "op": op, "seconds": seconds if op == "add" else None}]


def _tick(case: Case, state: State, *, now: float) -> list[Event]:
    """The timer ran out: fire once, and lock at plurality if the host chose that."""
    t = state["timer"]
    if state["status"] != "running" or t["ends_at"] is None or now < t["ends_at"] or t["fired"]:
        raise Refused("invalid", _("The timer is not due."))
    t.update({"ends_at": None, "remaining": 0, "fired": True})
    events: list[Event] = [{"kind": "timeout", "round": state["round"]}]
    if state["options"]["lock_on_timeout"]:
        events += _lock_all(case, state)
    return events


def _lock_all(case: Case, state: State) -> list[Event]:
    _running(state)
    events: list[Event] = []
    for cid, c in state["committees"].items():
        for key, d in c["decisions"].items():
            if d["round"] == state["round"] and d["locked"] is None:
                value = plurality(case, c, d)
                if value is not None:
                    events += _do_lock(case, state, cid, key, value, by=None)
    return events


def _inject(case: Case, state: State, *, card: str, committee: str | None = None) -> list[Event]:
    _running(state)
    found = case.card(card) if isinstance(card, str) else None
    if found is None:
        raise Refused("not_found", _("No such card."))
    if case.rounds[state["round"]].lead is None:
        raise Refused("invalid", _("Cards can be injected in rounds where a committee decides."))
    targets = list(state["committees"]) if committee is None else [committee]
    if any(t not in state["committees"] for t in targets):
        raise Refused("not_found", _("No such committee."))
    events: list[Event] = []
    for cid in targets:
        c = state["committees"][cid]
        key = f"inject:{card}"
        if key in c["decisions"] or any(d["card"] == card for d in c["decisions"].values()):
            continue  # a committee meets each card once
        _open_decision(c, key, "", state["round"], card)
        events.append({"kind": "inject", "committee": cid, "card": card})
    if not events:
        raise Refused("invalid", _("The committee has already met that card."))
    return events


def _message(case: Case, state: State, *, text: str, keep: bool = False) -> list[Event]:
    if type(keep) is not bool:
        raise Refused("invalid", _("Keep is yes or no."))
    state["message"] = free_text(
        text,
        MAX_MESSAGE_LENGTH,
        _("A message is at most %(n)s characters."),
        multiline=True,
        n=MAX_MESSAGE_LENGTH,
    )
    state["message_keep"] = keep and bool(state["message"])
    event: Event = {"kind": "message", "text": state["message"]}
    return [event | {"keep": True}] if state["message_keep"] else [event]


def _rename(
    case: Case, state: State, *, player: Any = None, name: Any = None, hide: Any = False
) -> list[Event]:
    """The host renames a player, or hides an offensive name behind a neutral one.

    ``hide`` only marks why (the host's page sends a neutral name such as
    "Spiller 7" in its own language); every view shows the new name at once.
    """
    p = _known_player(state, player)
    if type(hide) is not bool:
        raise Refused("invalid", _("Hide is yes or no."))
    cleaned = clean_name(name)
    if cleaned == p["name"]:
        raise Refused("invalid", _("The player already has that name."))
    others = {pid: q for pid, q in state["players"].items() if pid != player}
    new = _unique_name(cast(State, {"players": others}), cleaned)  # it reads the players
    p["name"] = new
    p["hidden"] = hide
    return [{"kind": "rename", "player": player, "name": new, "hidden": hide}]


# --- actions: players decide -----------------------------------------------------------


def _decision(case: Case, state: State, pid: str, key: Any) -> tuple[str, Committee, Decision]:
    _running(state)
    cid, c = _committee_of(state, pid)
    d = c["decisions"].get(key) if isinstance(key, str) else None
    if d is None or d["round"] != state["round"]:
        raise Refused("not_found", _("That is not a decision of this round."))
    if d["locked"] is not None:
        raise Refused("locked", _("That decision is locked."))
    return cid, c, d


# Why a played task takes no votes: it is one role's move (PLAYED_TYPES).
_PLAYED_NOT_VOTED = {
    "catalyst": _("The catalyst tool is played, not voted on."),
    "invite": _("The invitation is the facilitator's to make, not voted on."),
    "frame": _("The frame is set by the %(role)s, not voted on."),
}


def _vote(case: Case, state: State, *, player: str, key: str, value: Any) -> list[Event]:
    cid, c, d = _decision(case, state, player, key)
    task = task_of(case, d)
    if task.type in PLAYED_TYPES:
        role = case.role(task.actor or "")
        raise Refused("not_allowed", _PLAYED_NOT_VOTED[task.type], role=role.name if role else "")
    if task.type == "budget" and not _kept(c, task):
        raise Refused("invalid", _("No ideas went forward to choose from."))
    d["votes"][player] = _check_value(case, c, d, value)
    return [
        {
            "kind": "vote",
            "committee": cid,
            "player": player,
            "key": key,
            "value": d["votes"][player],
        }
    ]


def _lock(case: Case, state: State, *, player: str, key: str, value: Any = None) -> list[Event]:
    cid, c, d = _decision(case, state, player, key)
    task = task_of(case, d)
    lead = lead_of(case, c, d)
    if lead is not None and c["roles"].get(player) != lead:
        name = case.role(lead).name  # type: ignore[union-attr]
        raise Refused("not_allowed", _("Only the %(role)s locks this decision."), role=name)
    if task.type in PLAYED_TYPES:
        return _do_lock(case, state, cid, key, _check_value(case, c, d, value), by=player)
    if task.type == "ideas" and value is not None:
        raise Refused("invalid", _("The dots decide which ideas go forward."))
    majority = plurality(case, c, d)
    if value is None:
        if majority is None:
            raise Refused("invalid", _("Nobody has voted yet."))
        value = majority
    elif task.type != "ideas":
        value = _check_value(case, c, d, value)
    return _do_lock(case, state, cid, key, value, by=player)


def _do_lock(
    case: Case, state: State, cid: str, key: str, value: Any, *, by: str | None
) -> list[Event]:
    c = state["committees"][cid]
    d = c["decisions"][key]
    task = task_of(case, d)
    against = by is not None and _against_majority(case, state, cid, d, value)
    d.update({"locked": value, "by": by, "politician_card": against})
    texts: list[str] = []
    if task.type == "seats":
        c["seated"] = list(value)
        for s in case.stakeholders:
            if s.id in value:
                _apply_effects(c, s.seated)
            else:
                _apply_effects(c, s.absent.effects)
                texts.append(f"{s.name}: {s.absent.text}")
    elif task.type == "invite":
        # A left-out stakeholder comes back to the table, at a price: its voice
        # and its ideas (from the next idea round on), and the time it takes.
        guest = case.stakeholder(value)
        assert guest is not None, value  # _check_value took it from the seat options
        c["seated"] = list(c["seated"] or []) + [value]
        _apply_effects(c, guest.seated)
        _apply_effects(c, task.price)
        texts.append(f"{guest.name}: {guest.voice}")
    elif task.type == "ideas":
        # Capped at the ideas that go forward: beyond those, more is not richer.
        own = sum(1 for i in c["ideas"] if i["author"] is not None)
        _apply_effects(c, task.per_idea, times=min(own, task.keep))
    elif task.type == "budget":
        by_id = {str(i["id"]): i for i in c["ideas"]}
        for idea_id in value:
            card = case.idea_card(by_id[idea_id]["card"] or "")
            _apply_effects(c, card.effects if card else case.budget.free_idea_effects)
            if card and card.consequence:
                texts.append(card.consequence)
        spent = sum(_idea_cost(case, by_id[i]) for i in value)
        _apply_effects(c, case.budget.spend_effects, times=spent)
    else:
        chosen = value if isinstance(value, list) else [value]
        if task.type == "rank":
            chosen = chosen[: task.apply_top]
        options = {o.id: o for o in options_of(case, c, d)}
        for option_id in chosen:
            option = options[option_id]
            _apply_effects(c, option.effects)
            if option.consequence:
                texts.append(option.consequence)
            for card_id in option.unlocks:
                if card_id not in c["unlocked"]:
                    c["unlocked"].append(card_id)
            if option.politician_card and not against:
                # Choosing "the politician card" in a dilemma is playing it.
                against = True
                d["politician_card"] = True
        if task.type == "catalyst" and any(
            t.type == "ideas" for t in case.rounds[d["round"]].tasks
        ):
            _add_card_ideas(case, state, c)
    if against:
        _apply_effects(c, case.politician_card.effects)
        c["politician_cards"] += 1
    for text in texts:
        c["log"].append({"round": d["round"], "key": key, "text": text})
    refit = _refit_personas(case, state, cid) if task.type in ("seats", "invite") else []
    return [
        {
            "kind": "lock",
            "committee": cid,
            "key": key,
            "value": value,
            "by": by,
            "politician_card": against,
            "meters": dict(c["meters"]),
        }
    ] + refit


def _against_majority(case: Case, state: State, cid: str, d: Decision, value: Any) -> bool:
    """A lock at a value that a majority of the active members has not voted for.

    That is the politician card, early locks included: a lead who locks before
    the others have voted plays it. A multiple choice (seats, a budget, a
    ranking, several options) counts as voted for when a majority has voted and
    the value has as much support as what their votes add up to.
    """
    task = task_of(case, d)
    if task.type == "ideas" or task.type in PLAYED_TYPES:
        return False
    c = state["committees"][cid]
    members = active_members(state, cid)
    votes = [d["votes"][p] for p in members if p in d["votes"]]
    same = sum(1 for v in votes if _same_value(task, v, value))
    if 2 * same > len(members):
        return False
    if task.type in ("card",) or (task.type == "choice" and task.max == 1):
        return True
    majority = plurality(case, c, d)
    return not (
        2 * len(votes) > len(members)
        and majority is not None
        and _support(case, c, d, value) >= _support(case, c, d, majority)
    )


def _same_value(task: Task, a: Any, b: Any) -> bool:
    if task.type == "rank" or not isinstance(a, list) or not isinstance(b, list):
        return a == b
    return sorted(a) == sorted(b)


def _support(case: Case, c: Committee, d: Decision, value: Any) -> Any:
    """How much of the committee's support a value has, to compare it with the majority.

    A choice, seats or a budget: the votes for its options together, so a lock
    on an option tied for the most votes is not against the majority. A
    ranking: only the committee's own ranking has full support.
    """
    task = task_of(case, d)
    if task.type == "rank":
        return 1 if value == plurality(case, c, d) else 0
    counts = tally(case, c, d)
    return sum(counts.get(v, 0) for v in (value if isinstance(value, list) else [value]))


def _idea(case: Case, state: State, *, player: str, text: Any) -> list[Event]:
    _running(state)
    cid, c = _committee_of(state, player)
    d = next(
        (
            d
            for d in c["decisions"].values()
            if d["round"] == state["round"] and task_of(case, d).type == "ideas"
        ),
        None,
    )
    if d is None:
        raise Refused("invalid", _("Ideas are written in the idea round."))
    if d["locked"] is not None:
        raise Refused("locked", _("The ideas are locked."))
    text = free_text(
        text,
        MAX_IDEA_LENGTH,
        _("An idea is 1 to %(n)s characters."),
        multiline=True,  # a line break in an idea is kept (tests/test_protocol_hardening.py)
        n=MAX_IDEA_LENGTH,
    )
    if not text:
        raise Refused("invalid", _("An idea is 1 to %(n)s characters."), n=MAX_IDEA_LENGTH)
    task = task_of(case, d)
    if sum(1 for i in c["ideas"] if i["author"] == player) >= task.max_ideas:
        raise Refused("invalid", _("You can write %(n)s ideas."), n=task.max_ideas)
    state["seq"] += 1
    c["ideas"].append({"id": state["seq"], "author": player, "card": None, "text": text})
    return [
        {"kind": "idea", "committee": cid, "player": player, "idea": state["seq"], "text": text}
    ]


def _reflect(case: Case, state: State, *, player: str, question: Any, text: Any) -> list[Event]:
    _running(state)
    cid, c = _committee_of(state, player)
    if not case.rounds[state["round"]].reflection:
        raise Refused("invalid", _("Reflection questions are answered in the last round."))
    if not any(q.id == question for q in case.reflection):
        raise Refused("not_found", _("No such question."))
    text = free_text(
        text,
        MAX_REFLECTION_LENGTH,
        _("An answer is at most %(n)s characters."),
        multiline=True,
        n=MAX_REFLECTION_LENGTH,
    )
    c["reflections"].setdefault(player, {})[question] = text
    return [
        {"kind": "reflect", "committee": cid, "player": player, "question": question, "text": text}
    ]


_HANDLERS: dict[str, Callable[..., list[Event]]] = {
    "join": _join,
    "form": _form,
    "move": _move,
    "remove": _remove,
    "readmit": _readmit,
    "start": _start,
    "advance": _advance,
    "back": _back,
    "end": _end,
    "timer": _timer,
    "tick": _tick,
    "lock_all": _lock_all,
    "inject": _inject,
    "message": _message,
    "rename": _rename,
    "vote": _vote,
    "lock": _lock,
    "idea": _idea,
    "reflect": _reflect,
    "presence": _presence,
    "reset_presence": _reset_presence,
    "claim": _claim,
    "claim_end": _claim_end,
    "reseat": _reseat,
    "merge": _merge,
}


# --- free text and the locked lobby (issue 10) -------------------------------------------

MAX_WAITING = 50  # seats waiting for the host's approval at once


def free_text(
    value: Any, max_length: int, reason: str, *, multiline: bool = False, **params: Any
) -> str:
    """Text from a person through ``game.text.clean_text``; refused politely if it cannot be.

    ``reason`` (with ``params``) is the refusal for a value that is too long or not
    text; control characters, NUL and lone surrogates get their own.
    """
    try:
        return clean_text(value, max_length=max_length, multiline=multiline)
    except BadText as exc:
        if exc.code == "control":
            raise Refused(
                "invalid", _("The text contains control characters; remove them.")
            ) from None
        raise Refused("invalid", reason, **params) from None


def _wait(state: State, player: str, name: Any) -> list[Event]:
    """A join while the lobby is locked: the seat waits for the host to let it in."""
    waiting = state.setdefault("waiting", {})
    if sum(not w["refused"] for w in waiting.values()) >= MAX_WAITING:
        raise Refused("full", _("Too many are waiting to be let in; ask the host."))
    name = _unique_name(state, name)
    waiting[player] = {"name": name, "refused": False}
    return [{"kind": "wait", "player": player, "name": name}]


def _waiting(state: State, player: Any) -> Waiting:
    w = state.get("waiting", {}).get(player) if isinstance(player, str) else None
    if w is None or w["refused"]:
        raise Refused("not_found", _("Nobody with that seat is waiting to be let in."))
    return w


def _lobby(case: Case, state: State, *, locked: Any = None) -> list[Event]:
    """The host locks the lobby (new seats wait for approval) or opens it again."""
    if type(locked) is not bool:
        raise Refused("invalid", _("Say whether the lobby is locked."))
    if state["status"] == "ended":
        raise Refused("closed", _("The session has ended."))
    state["lobby_locked"] = locked
    return [{"kind": "lobby", "locked": locked}]


def _admit(case: Case, state: State, *, player: Any = None) -> list[Event]:
    """The host lets a waiting seat in: it joins as if the lobby were open."""
    w = _waiting(state, player)
    del state["waiting"][player]
    return [{"kind": "admit", "player": player}] + _join(
        case, state, player=player, name=w["name"], admit=True
    )


def _turn_away(case: Case, state: State, *, player: Any = None) -> list[Event]:
    """The host does not let a waiting seat in; its phone is told so."""
    _waiting(state, player)["refused"] = True
    return [{"kind": "turn_away", "player": player}]


_HANDLERS.update(lobby=_lobby, admit=_admit, turn_away=_turn_away)


# --- questions the views ask -------------------------------------------------------------


def round_decisions(case: Case, state: State, c: Committee) -> dict[str, Decision]:
    """The decisions of the current round, in the case's task order.

    Not in the order of the stored dict: PostgreSQL's jsonb keeps no key order,
    and a page must list the tasks the same way before and after a reload.
    """
    tasks = {t.id: i for i, t in enumerate(case.rounds[state["round"]].tasks)}
    now = [(k, d) for k, d in c["decisions"].items() if d["round"] == state["round"]]
    now.sort(key=lambda kd: (tasks.get(kd[1]["task"], len(tasks)), kd[0]))
    return dict(now)


def ideas_decision(case: Case, c: Committee) -> Decision | None:
    """The committee's ideas decision (its pool's dots), if the case has one."""
    return next((d for d in c["decisions"].values() if task_of(case, d).type == "ideas"), None)


def dots(case: Case, c: Committee) -> dict[str, int]:
    """Idea id -> the dots all members put on it."""
    d = ideas_decision(case, c)
    return tally(case, c, d) if d else {}


def committee_done(case: Case, state: State, c: Committee) -> bool:
    """Every required decision of the round is locked."""
    return all(
        d["locked"] is not None
        for d in round_decisions(case, state, c).values()
        if task_of(case, d).required
    )
