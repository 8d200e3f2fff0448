"""The shape of a session's state, as types (mypy checks the code against them).

Pure, like the rules: no Django. The state is a JSON-ready dict, stored as such
(``Session.state``); ``game.rules`` makes and changes it, ``game.visibility``
reads it. The keys marked ``NotRequired`` are added by a later action (or were
added to the game after states were stored), so code reads them with ``.get``.

pids (players) and cids (committees) are strings, as JSON keys are.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Status = Literal["lobby", "running", "ended"]

# A vote's value, by its task's type: an option id (card, catalyst, invite), option
# ids in order (rank), option ids (choice, seats, budget), or idea id -> dots (ideas).
# Any, because the rules check a value against its task before they keep it.
Vote = Any
# What a decision locked: a vote's value as above (ideas: the idea ids that go on).
Locked = Any


class Options(TypedDict):
    size: int  # members per committee when the host forms them
    show_meters: bool
    rotate_roles: bool
    lock_on_timeout: bool
    personas: bool
    autostart_timer: NotRequired[bool]  # states stored before it have none
    max_players: NotRequired[int]  # the MAX_PLAYERS setting at creation; old states: 200


class Player(TypedDict):
    name: str
    committee: str | None  # a cid; None in the lobby or between committees
    removed: bool
    online: int  # connected tabs
    hidden: NotRequired[bool]  # the host hid an offensive name
    merged: NotRequired[str]  # the pid this duplicate seat was merged into


class Timer(TypedDict):
    remaining: int  # seconds left while paused
    ends_at: float | None  # epoch seconds while running
    fired: bool


class Waiting(TypedDict):
    """A seat that asked to join while the lobby was locked."""

    name: str
    refused: bool


class Claim(TypedDict):
    """A new device's open request for a seat (keyed by the request's id)."""

    player: str


class Decision(TypedDict):
    """One committee choice; keyed by its task id, or ``task:card`` for a card."""

    task: str  # "" for an injected card
    round: int
    card: str | None
    votes: dict[str, Vote]  # pid -> value
    locked: Locked  # None while open
    by: str | None  # the pid who locked it; None when the timer did
    politician_card: bool  # locked against the majority


class Idea(TypedDict):
    id: int  # from the state's seq
    author: str | None  # a pid; None for an idea card
    card: str | None  # the idea card it came from
    text: str


class LogEntry(TypedDict):
    round: int
    key: str  # the decision's key
    text: str


class StakeholderState(TypedDict):
    stance: int  # 0..100
    engagement: int  # 0..100


class Council(TypedDict):
    """What the council weighed when it decided the outcome."""

    meters: dict[str, int]
    stakeholders: dict[str, StakeholderState]


class Goal(TypedDict):
    """A persona's secret interest, scored at the end."""

    persona: str
    stakeholder: str
    met: bool


class Committee(TypedDict):
    name: str
    members: list[str]  # pids, removed ones included
    roles: dict[str, str]  # pid -> role id, persona id or "member"
    meters: dict[str, int]  # meter id -> 0..100
    stakeholders: dict[str, StakeholderState]
    seated: list[str] | None  # stakeholder ids at the table; None before the seats
    decisions: dict[str, Decision]
    ideas: list[Idea]
    unlocked: list[str]  # idea card ids
    log: list[LogEntry]
    history: dict[str, dict[str, int]]  # round (as a string) -> meters at its end
    outcome: str | None
    politician_cards: int
    reflections: dict[str, dict[str, str]]  # pid -> question id -> text
    council: NotRequired[Council]
    frames: NotRequired[dict[str, bool]]  # frame decision key -> kept, once the council decides
    stances: NotRequired[dict[str, dict[str, StakeholderState]]]  # round -> stakeholders
    goals: NotRequired[dict[str, Goal]]  # pid -> goal, at the end
    persona_scores: NotRequired[dict[str, int]]  # persona id -> 1 met, 0 not


class State(TypedDict):
    status: Status
    round: int  # index into case.rounds
    options: Options
    players: dict[str, Player]
    committees: dict[str, Committee]
    timer: Timer
    message: str  # the host's latest message to everyone
    seq: int  # the last idea id handed out
    reached: int  # the furthest round entered
    timer_started: NotRequired[bool]  # states stored before it have none
    stepped_back: NotRequired[bool]  # states stored before it have none
    message_keep: NotRequired[bool]  # states stored before it have none
    seed: NotRequired[int]  # states stored before it have none
    waiting: NotRequired[dict[str, Waiting]]  # pid -> seat waiting to be let in
    lobby_locked: NotRequired[bool]
    claims: NotRequired[dict[str, Claim]]
