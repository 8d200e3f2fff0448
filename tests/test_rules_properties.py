"""Property tests of the rules and the views (Hypothesis): random play on the school case.

Each example seats 3 to 12 players and then applies a random sequence of
actions, valid and invalid alike: random kinds (unknown ones too), random
players (unknown ids too), random decision keys, and values of random shapes
next to values that fit the task. After every step the invariants below must
hold; ``test_views_of_random_play`` also checks what each viewer sees.

Fields have the types the protocol lets through (``game.protocol``): a player
id, a key, a card id or a committee id is a string, a size or a number of
seconds an int; values (``vote``/``lock``) and texts are anything JSON.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.schema import Case, load_case_file
from game import actions, models, rules, visibility

ROOT = Path(__file__).resolve().parent.parent
CASE: Case = load_case_file(ROOT / "cases" / "skole.yaml")[0]
META = {"code": "PROP42"}
NAMES = ["Bo", "Cai", "Dan", "Eva", "Finn", "Gry", "Hal", "Ida", "Jon", "Kim", "Liv", "Mo"]
UNKNOWN = ["999", "0", "x", ""]  # player ids that hold no seat
KINDS = [*rules._HANDLERS, "fly", ""]  # every kind the rules know, and some they do not
# Weighted by repetition: mostly the committees' work, now and then the host.
WEIGHTED_KINDS = ["vote"] * 12 + ["lock"] * 6 + ["idea"] * 3 + ["advance"] * 3 + ["reflect"] + KINDS
CARDS = [c.id for c in CASE.dilemmas + CASE.events] + ["nope"]
QUESTIONS = [q.id for q in CASE.reflection] + ["nope"]
LEADERS = {r.id for r in CASE.roles}
PERSONAS = {p.id: p for p in CASE.personas}

# Anything JSON: what a client may put where the protocol takes a value.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 50) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["", "   ", "x" * 281, "y" * 2001]), JSON)
PROFILE = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays stable
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what to try next -------------------------------------------------------------------


def fitting_value(c: dict, d: dict) -> st.SearchStrategy:
    """A value that fits decision d (it may still be refused: budget, dots ...)."""
    task = rules.task_of(CASE, d)
    if task.type == "ideas":
        pool = [str(i["id"]) for i in c["ideas"]] or ["1"]
        return st.dictionaries(st.sampled_from(pool), st.integers(0, 3), max_size=3)
    ids = [o.id for o in rules.options_of(CASE, c, d)] or ["none"]
    if task.type in ("card", "catalyst"):
        return st.sampled_from(ids)
    if task.type == "rank":
        return st.permutations(ids)
    if task.type == "budget":
        return st.lists(st.sampled_from(ids), unique=True, max_size=len(ids))
    return st.lists(st.sampled_from(ids), unique=True, min_size=task.min, max_size=task.max)


@st.composite
def next_action(draw, state: dict, clock: float) -> dict[str, Any]:
    pids = list(state["players"])
    cids = list(state["committees"])
    kind = draw(st.sampled_from(WEIGHTED_KINDS))
    if kind == "end" and draw(st.integers(0, 3)):
        kind = "presence"  # an end stops all play: keep it rare
    player = draw(st.sampled_from(pids + UNKNOWN) if pids else st.sampled_from(UNKNOWN))
    if kind in ("vote", "lock"):
        # Aim at a decision of this round, mostly in the player's own committee.
        own = state["players"].get(player, {}).get("committee")
        cid = own if own in state["committees"] and draw(st.integers(0, 3)) else None
        cid = cid or (draw(st.sampled_from(cids)) if cids else None)
        decisions = rules.round_decisions(CASE, state, state["committees"][cid]) if cid else {}
        if decisions and draw(st.integers(0, 4)):
            key = draw(st.sampled_from(sorted(decisions)))
        else:
            key = draw(st.sampled_from(["fokus", "nope", "pres:x"]) | st.text(max_size=8))
        d = decisions.get(key)
        value = (
            draw(fitting_value(state["committees"][cid], d))
            if d and draw(st.integers(0, 3))
            else draw(JSON)
        )
        if kind == "lock" and d and draw(st.integers(0, 3)):
            lead = rules.lead_of(CASE, state["committees"][cid], d)
            holders = [p for p, r in state["committees"][cid]["roles"].items() if r == lead]
            player = holders[0] if holders else player
            value = (
                None if draw(st.booleans()) and rules.task_of(CASE, d).type != "catalyst" else value
            )
        return {"kind": kind, "player": player, "key": key, "value": value}
    fields: dict[str, Any] = {
        "join": lambda: {
            "player": draw(st.sampled_from([str(len(pids) + 1), *pids[:1]])),  # seat ids are pks
            "name": draw(st.sampled_from(NAMES) | TEXT),
        },
        "form": lambda: {"size": draw(st.none() | st.integers(1, 10))},
        "move": lambda: {
            "player": player,
            "committee": draw(st.sampled_from(cids + ["new", "99"])),
        },
        "remove": lambda: {"player": player},
        "readmit": lambda: {"player": player},
        "timer": lambda: {
            "op": draw(st.sampled_from(["start", "pause", "resume", "add", "stop"])),
            "seconds": draw(st.integers(-10, 4000)),
            "now": clock,
        },
        "tick": lambda: {"now": draw(st.sampled_from([clock, state["timer"]["ends_at"] or clock]))},
        "inject": lambda: {
            "card": draw(st.sampled_from(CARDS)),
            "committee": draw(st.none() | st.sampled_from(cids + ["99"])),
        },
        "message": lambda: {"text": draw(TEXT)},
        "idea": lambda: {"player": player, "text": draw(TEXT)},
        "reflect": lambda: {
            "player": player,
            "question": draw(st.sampled_from(QUESTIONS)),
            "text": draw(TEXT),
        },
        "presence": lambda: {"player": player, "online": draw(st.booleans())},
        "lobby": lambda: {"locked": draw(st.booleans() | st.none())},
        "admit": lambda: {"player": draw(st.sampled_from([*state.get("waiting", {}), "99"]))},
        "turn_away": lambda: {"player": draw(st.sampled_from([*state.get("waiting", {}), "99"]))},
    }
    return {"kind": kind, **(fields[kind]() if kind in fields else {})}


def seated_state(n: int, options: dict) -> dict:
    """A lobby of n players; most examples form and start at once (random play does too)."""
    state = rules.new_state(CASE, options)
    for i in range(1, n + 1):
        state, _ = rules.apply(
            CASE, state, {"kind": "join", "player": str(i), "name": NAMES[i - 1]}
        )
    return state


OPTIONS = st.fixed_dictionaries(
    {
        "size": st.integers(3, 8),
        "rotate_roles": st.booleans(),
        "lock_on_timeout": st.booleans(),
        "personas": st.booleans(),
        "show_meters": st.booleans(),
    }
)


def random_play(data, *, views: bool) -> None:
    n = data.draw(st.integers(3, 12), label="players")
    state = seated_state(n, data.draw(OPTIONS, label="options"))
    if data.draw(st.integers(0, 3), label="form and start"):
        state, _ = rules.apply(CASE, state, {"kind": "form"})
        state, _ = rules.apply(CASE, state, {"kind": "start"})
    clock, version, versions = 1_000_000.0, 0, []
    voters: dict[tuple[str, str], set[str]] = defaultdict(set)  # every vote the rules took
    old_views = visibility.views(CASE, state, META) if views else None
    parts = actions.state_texts(state, {})[1]  # the state's JSON text by part, as saved
    for _step in range(data.draw(st.integers(5, 80), label="steps")):
        clock += data.draw(st.integers(0, 300))
        action = data.draw(next_action(state, clock), label="action")
        before = copy.deepcopy(state)
        try:
            new, events = rules.apply(CASE, state, action)
        except rules.Refused as refused:
            assert state == before, f"refused {action} changed the state"
            assert refused.code and refused.reason
            continue
        assert state == before, f"{action} modified the state it was given"
        version += 1
        versions.append(version)
        check_step(before, new, action, events, voters)
        check_state(new, voters)
        if views:
            assert old_views is not None
            old_views = check_views(before, new, old_views, action)
            parts = check_saved(new, parts, action)
        state = new
    assert versions == list(range(1, len(versions) + 1))  # one version per applied action


# --- the invariants -----------------------------------------------------------------------


def check_saved(new: dict, before: actions.Parts, action: dict) -> actions.Parts:
    """What the actions layer saves is the state: the base and the parts read back
    make it, and a part it does not write again has the text it was last written with."""
    base, parts, changed = actions.state_texts(new, before)
    stored = {key: json.loads(text) for key, (_obj, text) in parts.items()}
    assert models.join_state(json.loads(base), stored) == new, f"{action}: not the state"
    for key, (_obj, text) in parts.items():
        if key not in changed:
            assert before[key][1] == text, (action, key)  # not written: its row keeps it
    return parts


def check_state(state: dict, voters: dict) -> None:
    meters = set(CASE.meter_ids())
    for cid, c in state["committees"].items():
        assert set(c["meters"]) == meters
        assert all(0 <= v <= 100 for v in c["meters"].values()), c["meters"]
        for s in c["stakeholders"].values():
            assert 0 <= s["stance"] <= 100 and 0 <= s["engagement"] <= 100, s
        active = rules.active_members(state, cid)
        assert set(c["roles"]) == set(active), (cid, c["roles"], active)
        held = [r for r in c["roles"].values() if r in LEADERS]
        assert len(held) == len(set(held)), c["roles"]
        if len(active) >= 3:
            assert set(held) == LEADERS, f"committee {cid} lacks a leadership role: {c['roles']}"
        for p in c["members"]:
            assert state["players"][p]["committee"] == cid
        for key, d in c["decisions"].items():
            # Every recorded vote was taken by the rules from a member at that moment.
            assert set(d["votes"]) <= voters[(cid, key)], (cid, key, d["votes"])
    for p, player in state["players"].items():
        if player["committee"] is not None:
            assert p in state["committees"][player["committee"]]["members"]
    assert state["timer"]["remaining"] >= 0


def check_step(before: dict, new: dict, action: dict, events: list, voters: dict) -> None:
    assert all(isinstance(e, dict) and e.get("kind") for e in events)
    # A locked decision never changes.
    for cid, c in before["committees"].items():
        for key, d in c["decisions"].items():
            if d["locked"] is not None:
                assert new["committees"][cid]["decisions"][key] == d, (action, cid, key)
    if action["kind"] == "vote":
        p = action["player"]
        cid = before["players"][p]["committee"]
        # The voter was an active, seated member of the committee the vote went to ...
        assert not before["players"][p]["removed"] and cid is not None
        assert p in rules.active_members(before, cid)
        assert events == [
            {
                "kind": "vote",
                "committee": cid,
                "player": p,
                "key": action["key"],
                "value": events[0]["value"],
            }
        ]
        voters[(cid, action["key"])].add(p)
        # ... and nothing else changed.
        changed = copy.deepcopy(before)
        changed["committees"][cid]["decisions"][action["key"]]["votes"][p] = events[0]["value"]
        assert changed == new
    for e in events:
        if e["kind"] == "lock" and e["by"] is not None:
            assert e["by"] in rules.active_members(before, e["committee"])


def check_views(
    old_state: dict, state: dict, old: visibility.Views, action: dict | None = None
) -> visibility.Views:
    """The views re-made where the change touched them equal views made whole; every
    viewer's frames rebuild its new view; a viewer sent no frame saw no change; and
    a player's move in its committee reaches that committee's seats and no one else."""
    new = visibility.advance(CASE, old_state, state, META, old)
    fresh = visibility.views(CASE, state, META)
    assert new == fresh
    frames = json.loads(json.dumps(visibility.frames(old, new).__dict__))  # as sent
    if action is not None and action["kind"] in rules.IN_ONE_COMMITTEE:
        cid = state["players"][action["player"]]["committee"]
        assert set(frames["streams"]) <= {cid} and not frames["moved"], (action, frames)
    wire = lambda view: json.loads(json.dumps(view))  # noqa: E731
    assert visibility.patch(wire(old.host), frames["host"]) == wire(fresh.host)
    assert visibility.patch(wire(old.projector), frames["projector"]) == wire(fresh.projector)
    for pid in fresh.me:
        view = wire(fresh.player(pid))
        before = old.player(pid)
        if before is None:
            continue  # a new seat: its first connection gets a snapshot
        before = wire(before)
        if pid in frames["moved"]:
            patches = frames["moved"][pid][2]
        else:
            shared, own, left = frames["streams"].get(
                visibility.stream_of(view["me"]), ([], {}, [])
            )
            assert pid not in left
            patches = [*shared, *own.get(pid, [])]  # as game.wire.patch_for joins them
        got = visibility.patch(before, patches)
        got["joined"] = view["joined"]  # not versioned: a message of its own
        assert got == view, pid
        check_player_view(state, pid, view)
    check_projector_view(state, wire(fresh.projector))
    return new


def check_player_view(state: dict, pid: str, view: dict) -> None:
    assert set(view) == {"session", "case", "joined", "committee", "me"}
    if pid not in state["players"]:  # a seat waiting at a locked lobby: no committee, no card
        assert pid in state["waiting"] and view["committee"] is None and view["me"]["card"] is None
        return
    player = state["players"][pid]
    me = view["me"]
    assert me["id"] == pid
    cid = None if player["removed"] else player["committee"]
    if cid is None:
        assert view["committee"] is None and me["card"] is None and me["votes"] == {}
    else:
        c = state["committees"][cid]
        part = view["committee"]
        assert part["id"] == cid
        assert [m["id"] for m in part["members"]] == rules.active_members(state, cid)
        assert {i["id"] for i in part["ideas"]} <= {str(i["id"]) for i in c["ideas"]}
        for d in part["decisions"]:
            assert set(d["voted"]) <= set(c["decisions"][d["key"]]["votes"])
        assert "reflections" not in part and "history" not in part
        assert me["role"] == c["roles"][pid]
        assert me["reflections"] == c["reflections"].get(pid, {})
        assert all(c["decisions"][k]["votes"][pid] == v for k, v in me["votes"].items())
    # No card but the player's own: a persona's interests and a role's task are private.
    text = json.dumps(view, ensure_ascii=False)
    for persona_id, persona in PERSONAS.items():
        if persona_id != me["role"]:
            assert persona.interests not in text, (pid, persona_id)
    round_id = CASE.rounds[state["round"]].id
    own = (me["card"] or {}).get("task")
    for role in CASE.roles:
        card = role.cards.get(round_id)
        if role.id != me["role"] and card and card.task != own:
            assert card.task not in text, (pid, role.id)


def check_projector_view(state: dict, view: dict) -> None:
    assert set(view) == {"session", "lobby", "committees"}
    text = json.dumps(view, ensure_ascii=False)
    assert not any(p.interests in text for p in PERSONAS.values())
    for part in view["committees"].values():
        assert not {"seated", "log", "reflections", "history", "stakeholders"} & set(part)
        for d in part["decisions"]:
            assert "voted" not in d and "majority" not in d
            # The tally: while voting only where the case makes it public; after a lock the
            # room sees the split (counts per option; no voters, checked above).
            revealed = d["locked"] is not None and d["type"] != "catalyst"
            assert ("tally" in d) == (d["public"] or revealed)


# --- the tests ----------------------------------------------------------------------------


@PROFILE
@given(data=st.data())
def test_random_play_keeps_the_invariants(data):
    random_play(data, views=False)


@settings(PROFILE, max_examples=40)
@given(data=st.data())
def test_views_of_random_play(data):
    random_play(data, views=True)


def test_random_play_reaches_the_later_rounds():
    """The generator is worth something only if random play gets past the first rounds."""
    reached: set[int] = set()
    locked = 0

    @settings(PROFILE, max_examples=30)
    @given(data=st.data())
    def play(data):
        nonlocal locked
        state = seated_state(8, {})
        state, _ = rules.apply(CASE, state, {"kind": "form"})
        state, _ = rules.apply(CASE, state, {"kind": "start"})
        for _step in range(80):
            try:
                state, events = rules.apply(CASE, state, data.draw(next_action(state, 0.0)))
            except rules.Refused:
                continue
            reached.add(state["round"])
            locked += sum(e["kind"] == "lock" for e in events)

    play()
    # Thresholds with room: the examples differ a little from run to run (30 to 60 locks seen).
    assert reached == set(range(len(CASE.rounds))) and locked >= 15, (reached, locked)
