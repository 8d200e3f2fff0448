"""The case format: everything the engine knows about a case comes from here.

A case file (YAML) is parsed into these pydantic models and then checked for
cross-references (a stakeholder named by an option must exist, a round's lead
must be a role, ids must be unique ...). Errors name the file, the place in it
(``rounds[3].tasks[1].options[0].effects.ejerskab``) and what was expected.

No Django here: the rules module imports these models, and so do plain tests.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
Score = Annotated[int, Field(ge=0, le=100)]
# An effect moves a meter by at most half its range; larger jumps would make
# one click decide the game.
Delta = Annotated[int, Field(ge=-50, le=50)]

TASK_TYPES = (
    "choice",
    "seats",
    "rank",
    "card",
    "ideas",
    "catalyst",
    "budget",
    "invite",
    "frame",
)
# Played by one role (its actor), not voted on by the committee: the catalyst's
# tool, the facilitator's invitation, the igangsætter's frame.
PLAYED_TYPES = ("catalyst", "invite", "frame")
# Decided by picking one option (a card's, a tool, a guest, a frame).
ONE_PICK_TYPES = ("card", *PLAYED_TYPES)
# Top-level lists a task can take its options from.
SOURCES = ("framings", "couplings", "catalysts")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StakeholderDelta(Strict):
    stance: Delta = 0
    engagement: Delta = 0


class Effects(BaseModel):
    """Meter id -> delta, plus ``stakeholders: {id: {stance, engagement}}``.

    Meter ids are the case's own, so the keys are checked against the case
    after parsing (see ``Case._check_references``).
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    stakeholders: dict[str, StakeholderDelta] = {}

    @model_validator(mode="after")
    def _meter_deltas_are_ints(self) -> Effects:
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, bool) or not isinstance(value, int) or not -50 <= value <= 50:
                raise ValueError(f"meter '{key}': expected a whole number from -50 to 50")
        return self

    @property
    def meters(self) -> dict[str, int]:
        return dict(self.model_extra or {})


class Condition(Strict):
    """One test on a committee's state; a list of them must all hold."""

    meter: str | None = None
    min: int | None = None
    max: int | None = None
    seated: str | None = None  # this stakeholder has a seat at the table
    absent: str | None = None  # this stakeholder was left out
    chosen: str | None = None  # "task_id:option_id" was locked (a budget: an idea card id)
    politician_card: bool | None = None  # the politician card was played (or not)
    # The recommendation answers the option locked in this task (its ``answers``).
    answered: str | None = None
    any: list[Condition] | None = None  # at least one of these holds
    # Stakeholders whose stance is below this count as opposed; with max: at most
    # that many of them (the council listens to who is against).
    opposed: Score | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [
            self.meter,
            self.seated,
            self.absent,
            self.chosen,
            self.politician_card,
            self.answered,
            self.any,
            self.opposed,
        ]
        if sum(t is not None for t in tests) != 1:
            raise ValueError(
                "a condition tests exactly one of meter, seated, absent, chosen,"
                " politician_card, answered, any, opposed"
            )
        if self.meter is not None and self.min is None and self.max is None:
            raise ValueError("a meter condition needs min or max")
        if self.opposed is not None and self.max is None:
            raise ValueError("an opposed condition needs max (how many may be against)")
        return self


class Absence(Strict):
    text: str = Field(min_length=1)  # how the left-out stakeholder makes itself heard
    effects: Effects = Effects()


class FrameTest(Strict):
    """A frame's test when the council decides: does the committee deliver what it set out to?

    ``when`` all hold: the frame is kept (``kept``); otherwise it is broken.
    """

    when: list[Condition] = Field(min_length=1)
    kept: Absence
    broken: Absence


class Option(Strict):
    id: Id
    label: str = Field(min_length=1)
    text: str = ""
    effects: Effects = Effects()
    consequence: str = ""
    lg: list[str] = []
    cost: Annotated[int, Field(ge=0)] = 0  # budget tasks: what it costs
    unlocks: list[str] = []  # idea cards it unlocks (catalyst tools)
    answers: list[str] = []  # a focus: the idea cards that answer it in a recommendation
    due: Absence | None = None  # a promise: what comes due when the council decides
    test: FrameTest | None = None  # a frame: what the council tests, kept or broken
    politician_card: bool = False  # choosing it is playing the politician card


class Card(Strict):
    """A dilemma or a pressure event: a situation with options."""

    id: Id
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    source: Literal["below", "above", "inside", "outside"] | None = None  # pressure events
    when: list[Condition] = []
    # Drawn before cards of lower priority whose conditions also hold: the
    # talk's own cards, and a follow-up that must come when it is due.
    priority: Annotated[int, Field(ge=0, le=9)] = 0
    options: list[Option] = Field(min_length=2, max_length=4)
    lg: list[str] = []


class IdeaCard(Strict):
    id: Id
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    unlocked_by: list[str] = []  # stakeholder ids; any one seated unlocks it; empty: always
    cost: Annotated[int, Field(ge=0)] = 0
    effects: Effects = Effects()
    consequence: str = ""
    lg: list[str] = []


class Stakeholder(Strict):
    id: Id
    name: str = Field(min_length=1)
    interests: str = Field(min_length=1)
    stance: Score = 50  # 0 against, 50 neutral, 100 for the committee's work
    engagement: Score = 50
    voice: str = Field(min_length=1)  # what it says when it has a seat at the table
    seated: Effects = Effects()  # what giving it a seat does
    absent: Absence
    # A weak voice: those affected who are rarely heard unless invited (pupils,
    # a parent of a child with special needs ...). The balance report and the
    # rules reward seating them; the powerful bring gains with risks.
    weak: bool = False
    lg: list[str] = []


class RoleCard(Strict):
    task: str = Field(min_length=1)
    tips: list[str] = []


class Role(Strict):
    """A leadership role; every committee of three or more has each of them."""

    id: Id
    name: str = Field(min_length=1)
    question: str = Field(min_length=1)
    description: str = Field(min_length=1)
    cards: dict[str, RoleCard]  # round id -> the role's task and tips that round
    lg: list[str] = []


class Persona(Strict):
    """A stakeholder persona (borgerrolle) for players beyond the leadership roles."""

    id: Id
    name: str = Field(min_length=1)
    stakeholder: str
    description: str = Field(min_length=1)
    interests: str = Field(min_length=1)  # private: only the player in the seat sees it
    tips: list[str] = []
    # The secret interest, scored: met when these hold at the end; revealed then.
    goal: list[Condition] = []


class Meter(Strict):
    id: Id
    label: str = Field(min_length=1)
    start: Score = 50
    description: str = ""


class Budget(Strict):
    total: Annotated[int, Field(gt=0)]
    unit: str = Field(min_length=1)
    free_idea_cost: Annotated[int, Field(ge=0)] = 1  # what a player's own idea costs
    free_idea_effects: Effects = Effects()
    spend_effects: Effects = Effects()  # per unit spent: money is not free


class Task(Strict):
    id: Id
    type: Literal[
        "choice", "seats", "rank", "card", "ideas", "catalyst", "budget", "invite", "frame"
    ]
    prompt: str = Field(min_length=1)
    help: str = ""
    options: list[Option] = []  # choice, rank
    source: Literal["framings", "couplings", "catalysts"] | None = None
    min: Annotated[int, Field(ge=0)] = 1
    max: Annotated[int, Field(ge=1)] = 1  # choice: how many; seats: how many seats
    apply_top: Annotated[int, Field(ge=1)] = 1  # rank: effects of the top N apply
    deck: Literal["dilemmas", "events", "implementation"] | None = None  # card
    draw: Annotated[int, Field(ge=1, le=4)] = 1  # card: how many cards
    max_ideas: Annotated[int, Field(ge=1, le=10)] = 3  # ideas: per player
    dots: Annotated[int, Field(ge=1, le=10)] = 3  # ideas: dots per player
    keep: Annotated[int, Field(ge=1, le=20)] = 5  # ideas: how many go forward
    per_idea: Effects = Effects()  # ideas: what each player-written idea adds at the lock
    from_task: str | None = None  # budget: the ideas task whose kept ideas are on offer
    actor: str | None = None  # catalyst, invite, frame: the only role that may play it
    price: Effects = Effects()  # invite: what bringing a left-out stakeholder back costs
    required: bool = True  # must be locked before the committee is done
    public: bool = False  # the projector may show its tally
    lg: list[str] = []

    @model_validator(mode="after")
    def _fits_its_type(self) -> Task:
        if self.type in ("choice", "rank", "frame") and not (self.options or self.source):
            raise ValueError(f"a {self.type} task needs options or a source")
        if self.type == "card" and self.deck is None:
            raise ValueError("a card task needs a deck (dilemmas or events)")
        if self.type == "budget" and self.from_task is None:
            raise ValueError("a budget task needs from_task (an ideas task)")
        if self.type in PLAYED_TYPES and self.actor is None:
            raise ValueError(f"a {self.type} task needs an actor (a role id)")
        if self.min > self.max:
            raise ValueError("min is larger than max")
        return self


class Round(Strict):
    id: Id
    title: str = Field(min_length=1)
    lead: str | None = None  # the role that locks the committee's decisions
    intro: str = ""
    minutes: Annotated[int, Field(ge=1, le=120)] = 10
    tasks: list[Task] = []
    show_voices: bool = False  # the seated stakeholders' voices are shown this round
    outcome: bool = False  # the council's outcome is decided when this round starts
    reflection: bool = False  # players answer the reflection questions this round
    lg: list[str] = []


class Outcome(Strict):
    id: Id
    title: str = Field(min_length=1)
    headline: str = Field(min_length=1)
    text: str = Field(min_length=1)
    when: list[Condition] = []  # the first outcome whose conditions all hold is the one


class Question(Strict):
    id: Id
    text: str = Field(min_length=1)
    lg: list[str] = Field(min_length=1)


class LearningGoal(Strict):
    id: Annotated[str, Field(pattern=r"^LG[0-9]+$")]
    title: str = Field(min_length=1)
    text: str = ""


class PoliticianCard(Strict):
    text: str = Field(min_length=1)  # the warning shown before locking against the majority
    effects: Effects


class Case(Strict):
    slug: Id
    title: str = Field(min_length=1)
    language: str = "da"
    setting: str = ""  # e.g. "Askelund Kommune, 2014"
    brief: str = Field(min_length=1)
    mandate: str = Field(min_length=1)
    learning_goals: list[LearningGoal] = Field(min_length=1)
    meters: list[Meter] = Field(min_length=1)
    budget: Budget
    politician_card: PoliticianCard
    roles: list[Role] = Field(min_length=1)
    personas: list[Persona] = []
    stakeholders: list[Stakeholder] = []
    framings: list[Option] = []
    idea_cards: list[IdeaCard] = []
    catalysts: list[Option] = []
    dilemmas: list[Card] = []
    events: list[Card] = []
    implementation: list[Card] = []  # after the council: the recommendation meets reality
    couplings: list[Option] = []
    rounds: list[Round] = Field(min_length=2)
    outcomes: list[Outcome] = Field(min_length=1)
    reflection: list[Question] = []
    # How far a committee's starting stances spread around the case's values
    # (drawn with the session's seed): each committee meets its own local mood.
    stance_spread: Annotated[int, Field(ge=0, le=30)] = 0

    @model_validator(mode="after")
    def _check_references(self) -> Case:
        errors = list(_reference_errors(self))
        if errors:
            raise ValueError("; ".join(errors))
        return self

    # Look-ups the engine uses, on every change for every viewer: indexed once
    # per case (a case never changes; cached_property writes past the freeze).
    @cached_property
    def _by_id(self) -> dict[str, dict]:
        return {
            "role": {r.id: r for r in self.roles},
            "persona": {p.id: p for p in self.personas},
            "stakeholder": {x.id: x for x in self.stakeholders},
            "card": {c.id: c for c in self.events}
            | {c.id: c for c in self.dilemmas}
            | {c.id: c for c in self.implementation},
            "idea_card": {c.id: c for c in self.idea_cards},
        }

    @cached_property
    def seat_options(self) -> list[Option]:
        """The stakeholders as the options of a seats task."""
        return [Option(id=x.id, label=x.name) for x in self.stakeholders]

    def meter_ids(self) -> list[str]:
        return [m.id for m in self.meters]

    def role(self, role_id: str) -> Role | None:
        return self._by_id["role"].get(role_id)

    def persona(self, persona_id: str) -> Persona | None:
        return self._by_id["persona"].get(persona_id)

    def stakeholder(self, sid: str) -> Stakeholder | None:
        return self._by_id["stakeholder"].get(sid)

    def deck(self, name: str) -> list[Card]:
        return {"dilemmas": self.dilemmas, "implementation": self.implementation}.get(
            name, self.events
        )

    def card(self, card_id: str) -> Card | None:
        return self._by_id["card"].get(card_id)

    def idea_card(self, card_id: str) -> IdeaCard | None:
        return self._by_id["idea_card"].get(card_id)

    def task_options(self, task: Task) -> list[Option]:
        """The options of a choice, rank, catalyst or frame task (seats, ideas: see the rules)."""
        if task.type == "catalyst":
            return list(self.catalysts)
        return list(task.options) if task.options else list(getattr(self, task.source or "", []))

    @cached_property
    def rounds_tasks(self) -> list[Task]:
        """Every task of every round, in order."""
        return [t for r in self.rounds for t in r.tasks]

    @cached_property
    def _tasks_by_id(self) -> dict[str, tuple[int, Task]]:
        found: dict[str, tuple[int, Task]] = {}
        for index, round_ in enumerate(self.rounds):
            for task in round_.tasks:
                found.setdefault(task.id, (index, task))  # the first, as a scan would find
        return found

    def find_task(self, task_id: str) -> tuple[int, Task] | None:
        """The round index and the task with this id (asked on every decision: indexed once)."""
        return self._tasks_by_id.get(task_id)


def _reference_errors(case: Case):
    """Yield 'path: message' for every broken cross-reference in the case."""
    meters = set(case.meter_ids())
    stakeholders = {s.id for s in case.stakeholders}
    roles = {r.id for r in case.roles}
    rounds = {r.id for r in case.rounds}
    goals = {g.id for g in case.learning_goals}
    idea_cards = {c.id for c in case.idea_cards}
    tasks = [t for r in case.rounds for t in r.tasks]

    def dupes(path: str, ids: list[str]):
        for value, n in Counter(ids).items():
            if n > 1:
                yield f"{path}: duplicate id '{value}'"

    def effects(path: str, eff: Effects):
        for key in eff.meters:
            if key not in meters:
                yield f"{path}.{key}: unknown meter '{key}', expected one of {sorted(meters)}"
        for key in eff.stakeholders:
            if key not in stakeholders:
                yield f"{path}.stakeholders.{key}: unknown stakeholder '{key}'"

    def tags(path: str, lg: list[str]):
        for i, tag in enumerate(lg):
            if tag not in goals:
                yield f"{path}.lg[{i}]: unknown learning goal '{tag}', expected one of {sorted(goals)}"

    def conditions(path: str, when: list[Condition]):
        for i, c in enumerate(when):
            if c.meter is not None and c.meter not in meters:
                yield f"{path}.when[{i}].meter: unknown meter '{c.meter}'"
            for field in ("seated", "absent"):
                sid = getattr(c, field)
                if sid is not None and sid not in stakeholders:
                    yield f"{path}.when[{i}].{field}: unknown stakeholder '{sid}'"
            if c.chosen is not None:
                task_id, _, option_id = c.chosen.partition(":")
                if not any(t.id == task_id for t in tasks):
                    yield f"{path}.when[{i}].chosen: unknown task '{task_id}'"
            if c.answered is not None and not any(t.id == c.answered for t in tasks):
                yield f"{path}.when[{i}].answered: unknown task '{c.answered}'"
            if c.any is not None:
                yield from conditions(f"{path}.when[{i}].any", c.any)

    def options(path: str, opts: list[Option]):
        yield from dupes(path, [o.id for o in opts])
        for i, o in enumerate(opts):
            yield from effects(f"{path}[{i}].effects", o.effects)
            yield from tags(f"{path}[{i}]", o.lg)
            for j, card_id in enumerate(o.unlocks):
                if card_id not in idea_cards:
                    yield f"{path}[{i}].unlocks[{j}]: unknown idea card '{card_id}'"
            for j, card_id in enumerate(o.answers):
                if card_id not in idea_cards:
                    yield f"{path}[{i}].answers[{j}]: unknown idea card '{card_id}'"
            if o.due is not None:
                yield from effects(f"{path}[{i}].due.effects", o.due.effects)
            if o.test is not None:
                yield from conditions(f"{path}[{i}].test", o.test.when)
                yield from effects(f"{path}[{i}].test.kept.effects", o.test.kept.effects)
                yield from effects(f"{path}[{i}].test.broken.effects", o.test.broken.effects)

    def cards(path: str, deck: list[Card]):
        yield from dupes(path, [c.id for c in deck])
        for i, c in enumerate(deck):
            yield from options(f"{path}[{i}].options", c.options)
            yield from conditions(f"{path}[{i}]", c.when)
            yield from tags(f"{path}[{i}]", c.lg)

    yield from dupes("learning_goals", [g.id for g in case.learning_goals])
    yield from dupes("meters", [m.id for m in case.meters])
    yield from dupes("roles", [r.id for r in case.roles])
    # A seat is a role, a persona or "member": one id space, or a persona could lead.
    yield from dupes("personas", [p.id for p in case.personas])
    for i, p in enumerate(case.personas):
        if p.id in roles or p.id == "member":
            yield f"personas[{i}].id: '{p.id}' is already a role's id (or 'member')"
    yield from dupes("stakeholders", [s.id for s in case.stakeholders])
    yield from dupes("idea_cards", [c.id for c in case.idea_cards])
    yield from dupes("rounds", [r.id for r in case.rounds])
    yield from dupes("rounds[*].tasks", [t.id for t in tasks])
    yield from dupes("outcomes", [o.id for o in case.outcomes])
    yield from dupes("reflection", [q.id for q in case.reflection])
    yield from effects("budget.free_idea_effects", case.budget.free_idea_effects)
    yield from effects("politician_card.effects", case.politician_card.effects)
    yield from effects("budget.spend_effects", case.budget.spend_effects)
    for i, role in enumerate(case.roles):
        yield from tags(f"roles[{i}]", role.lg)
        for round_id in role.cards:
            if round_id not in rounds:
                yield f"roles[{i}].cards.{round_id}: unknown round '{round_id}'"
    for i, p in enumerate(case.personas):
        if p.stakeholder not in stakeholders:
            yield f"personas[{i}].stakeholder: unknown stakeholder '{p.stakeholder}'"
        yield from conditions(f"personas[{i}].goal", p.goal)
    for i, s in enumerate(case.stakeholders):
        yield from effects(f"stakeholders[{i}].seated", s.seated)
        yield from effects(f"stakeholders[{i}].absent.effects", s.absent.effects)
        yield from tags(f"stakeholders[{i}]", s.lg)
    for name in SOURCES:
        yield from options(name, getattr(case, name))
    for i, c in enumerate(case.idea_cards):
        yield from effects(f"idea_cards[{i}].effects", c.effects)
        yield from tags(f"idea_cards[{i}]", c.lg)
        for j, sid in enumerate(c.unlocked_by):
            if sid not in stakeholders:
                yield f"idea_cards[{i}].unlocked_by[{j}]: unknown stakeholder '{sid}'"
    yield from cards("dilemmas", case.dilemmas)
    yield from cards("events", case.events)
    yield from cards("implementation", case.implementation)
    # The host injects a card by its id from any deck: one id space.
    dilemma_ids = {c.id for c in case.dilemmas}
    for i, card in enumerate(case.events):
        if card.id in dilemma_ids:
            yield f"events[{i}].id: '{card.id}' is also a dilemma's id"
    for i, card in enumerate(case.implementation):
        if card.id in dilemma_ids or any(e.id == card.id for e in case.events):
            yield f"implementation[{i}].id: '{card.id}' is also another card's id"
    for i, r in enumerate(case.rounds):
        path = f"rounds[{i}]"
        if r.lead is not None and r.lead not in roles:
            yield f"{path}.lead: unknown role '{r.lead}', expected one of {sorted(roles)}"
        yield from tags(path, r.lg)
        for j, t in enumerate(r.tasks):
            tpath = f"{path}.tasks[{j}]"
            yield from options(f"{tpath}.options", t.options)
            yield from effects(f"{tpath}.per_idea", t.per_idea)
            yield from effects(f"{tpath}.price", t.price)
            yield from tags(tpath, t.lg)
            if t.source and not getattr(case, t.source):
                yield f"{tpath}.source: the case has no {t.source}"
            if t.actor is not None and t.actor not in roles:
                yield f"{tpath}.actor: unknown role '{t.actor}'"
            if t.type == "card" and t.deck and len(case.deck(t.deck)) < t.draw:
                yield f"{tpath}.draw: the {t.deck} deck has fewer than {t.draw} cards"
            if t.type == "budget":
                source = next((x for x in tasks if x.id == t.from_task), None)
                if source is None or source.type != "ideas":
                    yield f"{tpath}.from_task: '{t.from_task}' is not an ideas task"
            if t.type in ("seats", "invite") and not case.stakeholders:
                yield f"{tpath}: a seats task needs stakeholders"
            if t.type in ("choice", "rank") and t.max > len(case.task_options(t)):
                yield f"{tpath}.max: more than the {len(case.task_options(t))} options"
            if r.lead is None and t.type not in PLAYED_TYPES:
                yield f"{tpath}: round '{r.id}' has tasks but no lead role to lock them"
    for i, o in enumerate(case.outcomes):
        yield from conditions(f"outcomes[{i}]", o.when)
    if case.outcomes and case.outcomes[-1].when:
        yield f"outcomes[{len(case.outcomes) - 1}].when: the last outcome must have no conditions (the default)"
    for i, q in enumerate(case.reflection):
        yield from tags(f"reflection[{i}]", q.lg)


class CaseError(Exception):
    """A case file that does not fit the format; the message says where and why."""


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_case(data: Any, *, source: str = "<case>") -> Case:
    """Validate already-loaded data; raise CaseError naming ``source`` and each place."""
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = _format_loc(tuple(p for p in err["loc"] if p != "function-after[...]"))
            msg = err["msg"].removeprefix("Value error, ")
            if msg.count("; ") and not loc:
                lines.extend(msg.split("; "))
            elif loc:
                lines.append(f"{loc}: {msg}")
            else:
                lines.append(msg)
        raise CaseError(f"{source}: {len(lines)} error(s)\n  " + "\n  ".join(lines)) from None


def load_case_file(path: str | Path) -> tuple[Case, dict]:
    """Read and validate a case file; return the case and the raw data."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path}: cannot read the file: {exc}") from None
    if not isinstance(data, dict):
        raise CaseError(f"{path}: expected a mapping at the top level")
    return parse_case(data, source=str(path)), data
