"""Bots and the rehearsal: the bot's moves are valid, and a whole session plays end to end.

The end-to-end test runs ``manage.py migrate`` and ``manage.py rehearse`` as
subprocesses on a database file of its own: the server that rehearse starts is
another process, which cannot see pytest-django's in-memory test database.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cases.schema import ONE_PICK_TYPES, load_case_file
from game import protocol, rules, visibility
from game.bots import Brain, choose_value

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "cases" / "mini.yaml"
SCHOOL = ROOT / "cases" / "skole.yaml"
META = {"code": "TEST"}


# --- the bot's moves, against the rules (no server) -------------------------------------


def _play(case, players: int, seed: int, **brain) -> tuple[dict, list[dict]]:
    """Play a whole session with Brains, straight on the rules; every move must be accepted."""
    state = rules.new_state(case, {"size": 4})
    for i in range(players):
        state, _ = rules.apply(case, state, {"kind": "join", "player": str(i + 1), "name": f"P{i}"})
    state, _ = rules.apply(case, state, {"kind": "form"})
    state, _ = rules.apply(case, state, {"kind": "start"})
    brains = {
        pid: Brain(random.Random(seed * 100 + int(pid)), grace=10.0, **brain)
        for pid in state["players"]
    }
    moves: list[dict] = []
    for index, round_ in enumerate(case.rounds):
        if index == 1:  # the host injects a pressure event into one committee
            card = case.events[0].id
            state, _ = rules.apply(case, state, {"kind": "inject", "card": card, "committee": "1"})
        now, idle = 0.0, 0
        while idle < 2:  # two quiet passes, the second after every grace period ran out
            moved = False
            for pid, brain in brains.items():
                view = visibility.player_view(case, state, pid, META)
                move = brain.next_move(view, now)
                if move is None:
                    continue
                # the move goes through the protocol and the rules like a frame would
                action = protocol.to_action(protocol.parse("player", json.dumps(move)))
                action["player"] = pid
                state, _ = rules.apply(case, state, action)  # Refused fails the test
                moves.append(move)
                moved = True
            idle = 0 if moved else idle + 1
            now += 0.0 if moved else 100.0
        for cid, c in state["committees"].items():
            assert rules.committee_done(case, state, c), (round_.id, cid)
            if round_.reflection:
                for pid in rules.active_members(state, cid):
                    assert set(c["reflections"][pid]) == {q.id for q in case.reflection}
        if index + 1 < len(case.rounds):
            state, _ = rules.apply(case, state, {"kind": "advance"})
    state, _ = rules.apply(case, state, {"kind": "end"})
    return state, moves


@pytest.mark.parametrize("path", [MINI, SCHOOL], ids=["mini", "skole"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bots_play_every_round_with_valid_moves(path, seed):
    case, _data = load_case_file(path)
    state, moves = _play(case, 8, seed, politician_rate=0.5, catalyst_rate=1.0)
    kinds = {m["type"] for m in moves}
    assert {"vote", "lock", "idea", "reflect"} <= kinds
    assert state["status"] == "ended"
    assert all(c["outcome"] for c in state["committees"].values())
    # every required decision was locked by its lead (none needed the host's lock_all)
    for c in state["committees"].values():
        for d in c["decisions"].values():
            if rules.task_of(case, d).required:
                assert d["locked"] is not None and d["by"] is not None
    # the catalyst role played its tool; some lead locked against the majority
    assert any(
        d["locked"] for c in state["committees"].values() for d in c["decisions"].values()
        if rules.task_of(case, d).type == "catalyst"
    )  # fmt: skip
    assert sum(c["politician_cards"] for c in state["committees"].values()) > 0


def _views_of_every_type(case) -> dict[str, tuple[dict, dict]]:
    """One (decision, committee) of each task type, as a player's view shows it."""
    state, _moves = _play(case, 4, 0, catalyst_rate=0.0)
    found: dict[str, tuple[dict, dict]] = {}
    for c_id in state["committees"]:
        for index in range(len(case.rounds)):
            view_state = dict(state, round=index, status="running")
            part = visibility.committee_part(case, view_state, c_id, audience="player")
            for d in part["decisions"]:
                found.setdefault(d["type"], (d, part))
    return found


@pytest.mark.parametrize("path", [MINI, SCHOOL], ids=["mini", "skole"])
def test_choose_value_is_valid_for_every_task_type(path):
    case, _data = load_case_file(path)
    found = _views_of_every_type(case)
    expected = {"choice", "seats", "rank", "card", "ideas", "catalyst", "budget"}
    if path == SCHOOL:
        expected |= {"invite", "frame"}  # the facilitator's invitation, the igangsætter's frame
    assert set(found) == expected
    rng = random.Random(0)
    for kind, (d, part) in found.items():
        for _i in range(50):
            value = choose_value(d, rng, part["ideas"])
            ids = [o["id"] for o in d["options"]]
            if kind in ONE_PICK_TYPES:
                assert value in ids
            elif kind == "rank":
                assert sorted(value) == sorted(ids)
            elif kind == "ideas":
                pool = {i["id"] for i in part["ideas"]}
                assert set(value) <= pool and 0 < sum(value.values()) <= d["dots"]
            elif kind == "budget":
                costs = {o["id"]: o["cost"] for o in d["options"]}
                assert value and len(set(value)) == len(value)
                assert sum(costs[v] for v in value) <= d["budget"]["total"]
            else:
                assert d["min"] <= len(value) <= d["max"] and len(set(value)) == len(value)
                assert set(value) <= set(ids)


def test_lead_waits_for_every_vote_then_locks():
    case, _data = load_case_file(MINI)
    state = rules.new_state(case, {"size": 4})
    for i in range(3):
        state, _ = rules.apply(case, state, {"kind": "join", "player": str(i + 1), "name": f"P{i}"})
    for action in ({"kind": "form"}, {"kind": "start"}, {"kind": "advance"}):
        state, _ = rules.apply(case, state, action)
    c = state["committees"]["1"]
    lead = next(p for p, role in c["roles"].items() if role == case.rounds[1].lead)
    brain = Brain(random.Random(0), grace=5.0, politician_rate=0.0)
    moves = []
    while move := brain.next_move(visibility.player_view(case, state, lead, META), 0.0):
        moves.append(move)
        state, _ = rules.apply(case, state, protocol.to_action(protocol.parse("player", json.dumps(move))) | {"player": lead})  # fmt: skip
    assert [m["type"] for m in moves] == ["vote", "vote", "vote"]  # own votes, no lock yet
    # after the grace period the lead locks at the plurality, without a value
    move = brain.next_move(visibility.player_view(case, state, lead, META), 6.0)
    assert move == {"type": "lock", "key": "fokus"}


def test_an_answer_refused_for_its_pace_is_sent_again():
    """A bot at full speed can meet the action bucket (slow_down) in the last round: the
    refused answer is sent again, or the host waits for it until the round times out."""
    case, _data = load_case_file(SCHOOL)
    state = rules.new_state(case, {"size": 4})
    for i in range(4):
        state, _ = rules.apply(case, state, {"kind": "join", "player": str(i + 1), "name": f"P{i}"})
    for action in ({"kind": "form"}, {"kind": "start"}):
        state, _ = rules.apply(case, state, action)
    while not case.rounds[state["round"]].reflection:
        state, _ = rules.apply(case, state, {"kind": "advance"})
    view = visibility.player_view(case, state, "1", META)
    brain = Brain(random.Random(0))
    first = brain.next_move(view, 0.0)
    assert first is not None and first["type"] == "reflect"
    again = brain.next_move(view, 0.0)
    assert again is not None and again["question"] != first["question"]  # each is tried once
    brain.retry(first)  # the server answered slow_down
    third = brain.next_move(view, 0.0)
    assert third is not None and third["question"] == first["question"]


# --- the whole stack ------------------------------------------------------------------------


@pytest.mark.slow
def test_rehearse_end_to_end(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "policymaker.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rehearse.sqlite3'}",
    }

    def manage(*args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    migrated = manage("migrate", "--noinput", "-v", "0", timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    result = manage(
        "rehearse", "--committees", "3", "--size", "4", "--pace", "0", "--round-timeout", "20",
        timeout=150,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    last = re.fullmatch(
        r"rehearsal ok: (\d+) players, (\d+) rounds, (\d+) votes, (\d+) ideas", lines[-1]
    )
    assert last, lines[-1]
    players, rounds, votes, ideas = map(int, last.groups())
    assert (players, rounds) == (12, 8)  # the school case: briefing, six rounds, implementation
    assert votes > 0 and ideas > 0
    committees = [line for line in lines if line.startswith("Udvalg ")]
    assert len(committees) == 3
    outcomes = {o.title for o in load_case_file(SCHOOL)[0].outcomes}
    for line in committees:
        title = re.match(r"Udvalg \S+: (.+?) — ", line).group(1)
        assert title in outcomes, line
