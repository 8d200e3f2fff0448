"""The balance report: thousands of committees played through ``game.rules``.

Pure Python, no Django: ``manage.py balance CASE`` prints ``report(...)`` and
``tests/test_balance.py`` holds the case to it. Every game is played with the
real rules (``rules.apply``), never a copy of them, so what the report says is
what a committee on the phones meets.

A *policy* decides, for one open decision, the value the whole committee votes
for; the lead then locks it (so no politician card unless a policy wants one):

- ``random``: any valid value.
- ``label``: the nicest-sounding option, read from the data: the best sum of
  meter effects (what a committee that trusts the labels would choose).
- ``greedy``: tries every candidate lock on a copy of the state and keeps the
  one whose council outcome (if the council decided now) is best.
- ``weak``: as greedy, but the seats go to the weak voices first.

A *recipe* is a fixed policy: one value per decision key (and per card), the
same in every committee. The best recipe shows whether a case can be won by
rote, without reading the committee's situation.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from cases.schema import ONE_PICK_TYPES, PLAYED_TYPES, Case, Effects, Option

from . import rules

Policy = Callable[["Game", str, rules.Decision], Any]

SEAT_SAMPLES = 40  # candidate seat sets a greedy policy tries
BUDGET_SUBSETS = 64  # candidate budgets a greedy policy tries at most


@dataclass
class Result:
    outcome: str
    seated: list[str]
    weak: int
    cards: list[str]
    recipe: dict[str, Any]
    meters: dict[str, int]
    politician_cards: int
    missed: list[str]  # the best outcome's conditions that did not hold
    stances: dict[str, int]


@dataclass
class Game:
    """One committee played to the council's outcome."""

    case: Case
    rng: random.Random
    state: rules.State = field(default_factory=lambda: cast(rules.State, {}))  # new_game
    cid: str = "1"

    @property
    def c(self) -> rules.Committee:
        return self.state["committees"][self.cid]

    def do(self, action: dict) -> None:
        self.state, _events = rules.apply(self.case, self.state, action)


def weak_voices(case: Case) -> list[str]:
    return [s.id for s in case.stakeholders if getattr(s, "weak", False)]


def option_score(effects: Effects) -> int:
    """How nice an option sounds: the sum of its meter effects."""
    return sum(effects.meters.values())


def seat_score(case: Case, sid: str) -> int:
    s = case.stakeholder(sid)
    assert s is not None
    return option_score(s.seated) - option_score(s.absent.effects)


def outcome_rank(case: Case) -> dict[str, int]:
    """Outcome id -> 0 for the best, as the case lists them best first."""
    return {o.id: i for i, o in enumerate(case.outcomes)}


def state_score(case: Case, c: rules.Committee) -> tuple[int, int, int]:
    """Higher is better: the council's outcome if it decided now, then how near the
    committee is to each better outcome (what it still lacks), then the meters' sum.
    """
    rank = outcome_rank(case)
    outcome = rules._outcome(case, c)
    lacking = sum(
        shortfall(case, c, cond) for o in case.outcomes[: rank[outcome]] for cond in o.when
    )
    return (-rank[outcome], -lacking, sum(c["meters"].values()))


def shortfall(case: Case, c: rules.Committee, cond: Any) -> int:
    """How far a committee is from a condition: meter points, or 10 for a test that fails."""
    if cond.meter is not None:
        value = c["meters"][cond.meter]
        low = max(0, (cond.min or 0) - value) if cond.min is not None else 0
        high = max(0, value - cond.max) if cond.max is not None else 0
        return low + high
    if cond.any is not None:
        return min(shortfall(case, c, x) for x in cond.any)
    if cond.opposed is not None:
        return 5 * max(0, rules.opposed(c, cond.opposed) - (cond.max or 0))
    if cond.answered is not None and not rules._holds(case, c, cond):
        # Nearer when an idea that answers the focus is still on the table.
        answers = set(rules._answers(case, c, cond.answered))
        d = next(
            (d for d in c["decisions"].values() if rules.task_of(case, d).type == "ideas"), None
        )
        kept = set(d["locked"]) if d and d["locked"] else None
        reachable = any(
            i["card"] in answers and (kept is None or str(i["id"]) in kept) for i in c["ideas"]
        )
        return 5 if reachable else 10
    return 0 if rules._holds(case, c, cond) else 10


# --- candidate values -----------------------------------------------------------------


def _options(g: Game, d: rules.Decision) -> list[Option]:
    return rules.options_of(g.case, g.c, d)


def _idea_effects(case: Case, c: rules.Committee, idea_id: str) -> tuple[Effects, int]:
    idea = next(i for i in c["ideas"] if str(i["id"]) == idea_id)
    card = case.idea_card(idea["card"]) if idea["card"] else None
    if card:
        return card.effects, card.cost
    return case.budget.free_idea_effects, case.budget.free_idea_cost


def _fit_budget(case: Case, c: rules.Committee, order: list[str]) -> list[str]:
    chosen, spent = [], 0
    for i in order:
        cost = _idea_effects(case, c, i)[1]
        if spent + cost <= case.budget.total:
            chosen.append(i)
            spent += cost
    return chosen


def _random_value(g: Game, task: Any, d: rules.Decision) -> Any:
    rng, case, c = g.rng, g.case, g.c
    ids = [o.id for o in _options(g, d)]
    if task.type in ONE_PICK_TYPES:
        return rng.choice(ids) if ids else None
    if task.type == "rank":
        return rng.sample(ids, len(ids))
    if task.type == "ideas":
        pool = [str(i["id"]) for i in c["ideas"]]
        return dict(Counter(rng.choice(pool) for _i in range(task.dots))) if pool else {}
    if task.type == "budget":
        order = rng.sample(ids, len(ids))
        return _fit_budget(case, c, order[: rng.randint(1, len(order))]) if order else []
    high = min(task.max, len(ids))
    return rng.sample(ids, rng.randint(min(task.min, high), high))


def _label_value(g: Game, task: Any, d: rules.Decision) -> Any:
    case, c = g.case, g.c
    if task.type == "seats":
        ranked = sorted((o.id for o in _options(g, d)), key=lambda s: -seat_score(case, s))
        return ranked[: task.max]
    if task.type in ("ideas", "budget"):
        pool = [str(i["id"]) for i in c["ideas"]]
        if task.type == "budget":
            pool = [o.id for o in _options(g, d)]
        ranked = sorted(pool, key=lambda i: -option_score(_idea_effects(case, c, i)[0]))
        if task.type == "budget":
            return _fit_budget(case, c, ranked)
        return (
            dict(Counter(ranked[j % max(1, task.keep)] for j in range(task.dots))) if ranked else {}
        )
    options = sorted(_options(g, d), key=lambda o: -option_score(o.effects))
    ids = [o.id for o in options]
    if task.type == "invite":  # the left-out stakeholder whose seat sounds best
        return max(ids, key=lambda x: seat_score(case, x)) if ids else None
    if task.type in ONE_PICK_TYPES:  # a card, a tool, a frame: the nicest label
        return ids[0]
    if task.type == "rank":
        return ids
    return ids[: task.max]


def _candidates(g: Game, task: Any, d: rules.Decision, weak_first: bool) -> list[Any]:
    """The values a greedy policy tries for one decision."""
    case, c, rng = g.case, g.c, g.rng
    ids = [o.id for o in _options(g, d)]
    if task.type in ONE_PICK_TYPES:
        return ids
    if task.type == "seats":
        weak = [s for s in weak_voices(case) if s in ids]
        if weak_first:
            base = weak[: task.max]
            rest = [s for s in ids if s not in base]
            fill = task.max - len(base)
            out: list[Any] = [base + rng.sample(rest, fill) for _i in range(SEAT_SAMPLES // 4)]
            return out or [base]
        out = [_label_value(g, task, d)]
        for _i in range(SEAT_SAMPLES):
            out.append(rng.sample(ids, rng.randint(task.min, task.max)))
        return out
    if task.type == "rank":
        ranked = _label_value(g, task, d)
        out = [ranked]
        for a, b in itertools.permutations(ids, 2):  # every pair on top
            out.append([a, b] + [x for x in ids if x not in (a, b)])
        return out
    if task.type == "budget":
        subsets = []
        for n in range(len(ids), 0, -1):
            for combo in itertools.combinations(ids, n):
                if sum(_idea_effects(case, c, i)[1] for i in combo) <= case.budget.total:
                    subsets.append(list(combo))
        return subsets[:BUDGET_SUBSETS] or [[]]
    if task.type == "ideas":
        label = _label_value(g, task, d)
        top = sorted(label, key=lambda i: -label[i])[:2]
        out = [label]
        for i in c["ideas"]:
            value = Counter({str(i["id"]): 1})
            value.update({t: 1 for t in top})
            if sum(value.values()) <= task.dots:
                out.append(dict(value))
        return out
    high = min(task.max, len(ids))
    return [list(x) for n in range(task.min, high + 1) for x in itertools.combinations(ids, n)]


def _greedy(weak_first: bool) -> Policy:
    def choose(g: Game, key: str, d: rules.Decision) -> Any:
        task = rules.task_of(g.case, d)
        best, best_score = None, None
        if task.type in PLAYED_TYPES:  # not playing it is a move too
            best_score = state_score(g.case, g.c)
        for value in _candidates(g, task, d, weak_first):
            trial = _lock_copy(g, key, value)
            if trial is None:
                continue
            score = state_score(g.case, trial)
            if best_score is None or score > best_score:
                best, best_score = value, score
        return best

    return choose


def _lock_copy(g: Game, key: str, value: Any) -> rules.Committee | None:
    """The committee after locking ``key`` at ``value``, without changing the game.

    The votes are written straight into the decision (the values are valid
    candidates, so voting them one by one would only repeat the checks); the lock
    itself goes through the rules. Only the dicts on the way to the votes are new:
    ``rules.apply`` never changes the state it is given (it copies what it
    changes), so the game's own state is shared, not copied, for each candidate.
    """
    d = g.c["decisions"][key]
    task = rules.task_of(g.case, d)
    lead = _lead(g, d)
    state = g.state
    if task.type not in PLAYED_TYPES:
        votes = {pid: value for pid in rules.active_members(state, g.cid)}
        c = {**g.c, "decisions": {**g.c["decisions"], key: {**d, "votes": votes}}}
        state = cast(rules.State, {**state, "committees": {**state["committees"], g.cid: c}})
        value = None
    try:
        state, _e = rules.apply(
            g.case, state, {"kind": "lock", "player": lead, "key": key, "value": value}
        )
    except rules.Refused:
        return None
    return state["committees"][g.cid]


def _lead(g: Game, d: rules.Decision) -> str:
    role = rules.lead_of(g.case, g.c, d)
    members = rules.active_members(g.state, g.cid)
    if role is None:
        return members[0]
    return next(p for p in members if g.c["roles"].get(p) == role)


def random_policy(g: Game, key: str, d: rules.Decision) -> Any:
    return _random_value(g, rules.task_of(g.case, d), d)


def label_policy(g: Game, key: str, d: rules.Decision) -> Any:
    return _label_value(g, rules.task_of(g.case, d), d)


POLICIES: dict[str, Policy] = {
    "random": random_policy,
    "label": label_policy,
    "greedy": _greedy(weak_first=False),
    "weak": _greedy(weak_first=True),
}


def recipe_policy(recipe: dict[str, Any], fallback: Policy = label_policy) -> Policy:
    """A fixed recipe: the same value for a key in every committee; else the fallback."""

    def choose(g: Game, key: str, d: rules.Decision) -> Any:
        task = rules.task_of(g.case, d)
        if task.type in ("ideas", "budget"):
            # Idea ids differ between games: the recipe names idea cards.
            cards = recipe.get(key)
            if cards is not None:
                by_card = {i["card"]: str(i["id"]) for i in g.c["ideas"] if i["card"]}
                if task.type == "budget":
                    offered = {o.id for o in _options(g, d)}
                    wanted = [by_card[x] for x in cards if by_card.get(x) in offered]
                    return _fit_budget(g.case, g.c, wanted)
                wanted = [by_card[x] for x in cards if x in by_card]
                if wanted:
                    return dict(Counter(wanted[j % len(wanted)] for j in range(task.dots)))
            return fallback(g, key, d)
        if key in recipe:
            return recipe[key]
        if task.type in PLAYED_TYPES:
            return None  # a recipe that did not play it does not play it
        return fallback(g, key, d)

    return choose


# --- playing one committee ---------------------------------------------------------------


def new_game(case: Case, seed: int, size: int = 4) -> Game:
    g = Game(case=case, rng=random.Random(seed))
    g.state = rules.new_state(case, {"size": size}, seed=seed)
    for i in range(size):
        g.do({"kind": "join", "player": f"p{i + 1}", "name": f"Spiller {i + 1}"})
    g.do({"kind": "form", "size": size})
    g.do({"kind": "start"})
    return g


def _write_ideas(g: Game, policy_name: str) -> None:
    task = next((t for t in g.case.rounds[g.state["round"]].tasks if t.type == "ideas"), None)
    if task is None:
        return
    for pid in rules.active_members(g.state, g.cid):
        n = g.rng.randint(0, task.max_ideas) if policy_name == "random" else 1
        for j in range(n):
            g.do({"kind": "idea", "player": pid, "text": f"Idé {pid}-{j}"})


def _decide(g: Game, key: str, value: Any, policy_votes: Policy | None = None) -> None:
    d = g.c["decisions"][key]
    task = rules.task_of(g.case, d)
    lead = _lead(g, d)
    if task.type in PLAYED_TYPES:
        if value is not None:
            g.do({"kind": "lock", "player": lead, "key": key, "value": value})
        return
    for pid in rules.active_members(g.state, g.cid):
        if policy_votes is not None:  # each member votes for himself
            value = policy_votes(g, key, d)
        g.do({"kind": "vote", "player": pid, "key": key, "value": value})
    g.do({"kind": "lock", "player": lead, "key": key})


def play(
    case: Case,
    policy: Policy,
    seed: int,
    *,
    size: int = 4,
    name: str = "",
    until_council: bool = False,
) -> Result:
    """One committee played to the end (``until_council``: to the council's outcome)."""
    g = new_game(case, seed, size)
    recipe: dict[str, Any] = {}
    at_council: rules.Committee | None = None
    while True:
        round_ = case.rounds[g.state["round"]]
        if round_.outcome and at_council is None:
            at_council = rules.copy_state(g.c)  # what the council decided on
            if until_council:
                break
        decisions = rules.round_decisions(case, g.state, g.c)
        # The catalyst tool first, so that the ideas it unlocks reach the pool.
        order = sorted(
            decisions, key=lambda k: rules.task_of(case, decisions[k]).type not in PLAYED_TYPES
        )
        wrote = False
        for key in order:
            d = g.c["decisions"][key]
            if d["locked"] is not None:
                continue
            task = rules.task_of(case, d)
            if task.type == "ideas" and not wrote:
                _write_ideas(g, name)
                wrote = True
            if task.type == "budget" and not rules.options_of(case, g.c, d):
                continue
            value = policy(g, key, d)
            if task.type in PLAYED_TYPES and name == "random" and g.rng.random() < 0.4:
                value = None
            if task.type in PLAYED_TYPES and value not in {o.id for o in _options(g, d)}:
                value = None  # a recipe's invitation of someone already at the table
            # Random members vote each for themselves, and the lead locks what
            # the votes add up to: with no majority, that is the politician card.
            _decide(g, key, value, policy if name == "random" and task.type != "ideas" else None)
            recipe[key] = _recipe_value(g, key)
        if g.state["round"] + 1 >= len(case.rounds):
            break
        g.do({"kind": "advance"})
    # The council's outcome and what it weighed; the cards include implementation's.
    cards = [d["card"] for d in g.c["decisions"].values() if d["card"]]
    c = at_council if at_council is not None else g.c
    weak = set(weak_voices(case))
    return Result(
        outcome=c["outcome"] or rules._outcome(case, c),
        seated=list(c["seated"] or []),
        weak=len(weak & set(c["seated"] or [])),
        cards=cards,
        recipe=recipe,
        meters=dict(c["meters"]),
        politician_cards=c["politician_cards"],
        stances={k: v["stance"] for k, v in c["stakeholders"].items()},
        missed=[
            condition_name(cond) for cond in case.outcomes[0].when if shortfall(case, c, cond) > 0
        ],
    )


def condition_name(cond: Any) -> str:
    if cond.meter is not None:
        bound = f">= {cond.min}" if cond.min is not None else f"<= {cond.max}"
        return f"{cond.meter} {bound}"
    if cond.any is not None:
        return "any(" + ", ".join(condition_name(x) for x in cond.any) + ")"
    if cond.opposed is not None:
        return f"opposed (stance < {cond.opposed}) <= {cond.max}"
    for name in ("seated", "absent", "chosen", "answered", "politician_card"):
        value = getattr(cond, name)
        if value is not None:
            return f"{name} {value}"
    return "?"


def _recipe_value(g: Game, key: str) -> Any:
    """What a recipe must hold to repeat this lock elsewhere (ideas by their cards)."""
    d = g.c["decisions"][key]
    task = rules.task_of(g.case, d)
    if task.type in ("ideas", "budget"):
        by_id = {str(i["id"]): i["card"] for i in g.c["ideas"]}
        return [by_id[i] for i in d["locked"] or [] if by_id.get(i)]
    return d["locked"]


# --- the report ---------------------------------------------------------------------------


def dominated_options(case: Case) -> list[str]:
    """'task: a dominated by b' for every option no better than a sibling anywhere."""
    out = []

    def vector(o: Any) -> list[int]:
        v = [o.effects.meters.get(m, 0) for m in case.meter_ids()]
        v += [o.effects.stakeholders.get(s.id, _ZERO).stance for s in case.stakeholders]
        due = getattr(o, "due", None)
        if due is not None:
            v = [a + b for a, b in zip(v, _vector(case, due.effects), strict=True)]
        v.append(-getattr(o, "cost", 0))
        return v

    def compare(place: str, options: list[Any]) -> None:
        for a, b in itertools.permutations(options, 2):
            if _special(a) or _special(b):
                continue
            va, vb = vector(a), vector(b)
            if all(x >= y for x, y in zip(vb, va, strict=True)) and vb != va:
                out.append(f"{place}: {a.id} is dominated by {b.id}")

    for name in ("framings", "couplings", "catalysts"):
        compare(name, getattr(case, name))
    for deck in ("dilemmas", "events"):
        for card in case.deck(deck):
            compare(f"{deck}.{card.id}", list(card.options))
    for round_ in case.rounds:
        for task in round_.tasks:
            if task.options:
                compare(f"{round_.id}.{task.id}", list(task.options))
    compare("idea_cards", list(case.idea_cards))
    return out


class _Zero:
    stance = 0
    engagement = 0


_ZERO = _Zero()


def _vector(case: Case, effects: Effects) -> list[int]:
    v = [effects.meters.get(m, 0) for m in case.meter_ids()]
    v += [effects.stakeholders.get(s.id, _ZERO).stance for s in case.stakeholders]
    return v


def _special(o: Any) -> bool:
    """Options whose worth is not in their effects: unlocks, conditions elsewhere."""
    return bool(getattr(o, "unlocks", None)) or bool(getattr(o, "politician_card", False))


def by_weak(
    case: Case, per_k: int, *, policy: Policy | None = None, size: int = 4, seed: int = 0
) -> dict[int, list[Result]]:
    """Games by the number of weak voices seated: every seat filled, k of them with
    weak voices and the rest with others; the rest of the game played by
    ``policy`` (greedy), so the difference is who sits at the table.

    Paired: game ``i`` draws one order of the weak voices and one of the others,
    and seats the first k weak voices and the first (seats - k) others, with the
    same seed (the same local mood) for every k. From one k to the next, one
    other's seat goes to a weak voice in the same committee, so ``out[k][i]`` and
    ``out[k + 1][i]`` differ by that one seat only, and a difference in adoption
    between neighbours is the seat's, not the luck of two unrelated samples.
    The games stop at the council's outcome, which is what they are compared on.
    """
    policy = policy or POLICIES["greedy"]
    weak = weak_voices(case)
    out: dict[int, list[Result]] = defaultdict(list)
    seats_task = next((t for t in case.rounds_tasks if t.type == "seats"), None)
    if seats_task is None or not weak:
        return out
    others = [s.id for s in case.stakeholders if s.id not in weak]
    ks = [
        k for k in range(0, min(len(weak), seats_task.max) + 1) if seats_task.max - k <= len(others)
    ]
    for i in range(per_k):
        rng = random.Random(seed * 7919 + i)
        weak_order, other_order = rng.sample(weak, len(weak)), rng.sample(others, len(others))
        for k in ks:
            seats = weak_order[:k] + other_order[: seats_task.max - k]
            chooser = recipe_policy({seats_task.id: seats}, policy)
            out[k].append(play(case, chooser, seed + i, size=size, name="k", until_council=True))
    return out


def recipe_shares(
    case: Case, recipes: list[dict[str, Any]], trials: int, *, size: int = 4, seed: int = 0
) -> list[tuple[float, dict[str, Any]]]:
    """Each fixed recipe replayed in ``trials`` sessions: its share of the best outcome."""
    best = case.outcomes[0].id
    out = []
    for recipe in recipes:
        wins = sum(
            play(case, recipe_policy(recipe), seed + 10_000 + i, size=size, name="recipe").outcome
            == best
            for i in range(trials)
        )
        out.append((wins / trials, recipe))
    out.sort(key=lambda x: -x[0])
    return out


def draw_shares(case: Case, results: list[Result]) -> dict[str, float]:
    """Card id -> the share of games in which it was drawn."""
    draws: Counter[str] = Counter()
    for r in results:
        draws.update(set(r.cards))
    n = max(1, len(results))
    return {
        card.id: draws[card.id] / n for card in case.dilemmas + case.events + case.implementation
    }


def run(case: Case, games: int, *, size: int = 4, seed: int = 0) -> dict[str, Any]:
    """Play ``games`` committees per policy; return the figures the report prints."""
    started = time.monotonic()
    results: dict[str, list[Result]] = {}
    for name, policy in POLICIES.items():
        n = games if name in ("random", "label") else max(1, games // 4)
        results[name] = [play(case, policy, seed + i, size=size, name=name) for i in range(n)]
    best = case.outcomes[0].id
    weak_games = by_weak(case, max(1, games // 8), size=size, seed=seed)
    # Recipes: the label recipe and the recipes of the greedy games that won,
    # each replayed as a fixed recipe in other sessions.
    candidates = [results["label"][0].recipe]
    candidates += [r.recipe for r in results["greedy"] + results["weak"] if r.outcome == best][:6]
    recipes = recipe_shares(case, candidates, max(4, games // 4), size=size, seed=seed)
    every = [r for rs in results.values() for r in rs]
    return {
        "games": games,
        "size": size,
        "seconds": time.monotonic() - started,
        "outcomes": {name: Counter(r.outcome for r in rs) for name, rs in results.items()},
        "counts": {name: len(rs) for name, rs in results.items()},
        "dominated": dominated_options(case),
        "by_weak": {
            k: (sum(r.outcome == best for r in rs), len(rs)) for k, rs in weak_games.items()
        },
        "draws": draw_shares(case, every),
        "best_recipe": recipes[0] if recipes else (0.0, {}),
        "missed": {name: Counter(m for r in rs for m in r.missed) for name, rs in results.items()},
        "politician_cards": {
            name: sum(r.politician_cards > 0 for r in rs) / len(rs) for name, rs in results.items()
        },
        "results": results,
    }


def report(case: Case, figures: dict[str, Any]) -> str:
    """The report as text, for a terminal."""
    lines = [
        f"Balance of '{case.slug}': {figures['games']} games per policy "
        f"(greedy policies a quarter of that), committees of {figures['size']}, "
        f"{figures['seconds']:.1f} s",
        "",
        "Outcome per policy (share of games):",
    ]
    outcome_ids = [o.id for o in case.outcomes]
    lines.append("  " + "policy".ljust(8) + "".join(o[:22].rjust(24) for o in outcome_ids))
    for name, counts in figures["outcomes"].items():
        n = figures["counts"][name]
        lines.append(
            "  "
            + name.ljust(8)
            + "".join(f"{100 * counts.get(o, 0) / n:23.1f}%" for o in outcome_ids)
        )
    lines += ["", f"Conditions of '{outcome_ids[0]}' missed (share of games):"]
    for name, missed in figures["missed"].items():
        n = figures["counts"][name]
        parts = [f"{m} {100 * k / n:.0f}%" for m, k in missed.most_common()]
        lines.append(f"  {name.ljust(8)} " + ("; ".join(parts) or "none"))
    lines += ["", "Politician card played at least once (share of games):"]
    for name, share in figures["politician_cards"].items():
        lines.append(f"  {name.ljust(8)} {100 * share:5.1f}%")
    lines += ["", f"Dominated options ({len(figures['dominated'])}):"]
    lines += [f"  {x}" for x in figures["dominated"]] or ["  none"]
    lines += [
        "",
        f"'{outcome_ids[0]}' by weak voices seated (the other seats at random, the rest greedy):",
    ]
    for k, (wins, n) in sorted(figures["by_weak"].items()):
        lines.append(f"  {k} weak voices: {100 * wins / n:5.1f}% of {n}")
    lines += ["", "Cards drawn (share of games):"]
    for card, share in sorted(figures["draws"].items(), key=lambda x: -x[1]):
        lines.append(f"  {card.ljust(30)} {100 * share:5.1f}%")
    share, recipe = figures["best_recipe"]
    lines += [
        "",
        f"Best fixed recipe reaches '{outcome_ids[0]}' in {100 * share:.1f}% of committees:",
    ]
    for key, value in recipe.items():
        lines.append(f"  {key}: {value}")
    return "\n".join(lines)
