"""A second case plays with no code change: tests/cases/sundhed.yaml, lobby to outcome.

The elder-care case (Lindholt, three rounds, other meters, other stakeholders,
no idea round, no reflection round) goes through the same rules and the same
actions layer as the school case. Two committees of three take different
paths and end with different outcomes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.loader import load_case
from cases.schema import Case, load_case_file
from game import actions, rules, visibility
from game.models import Event, Session

CASE_FILE = Path(__file__).resolve().parent / "cases" / "sundhed.yaml"
PEOPLE = ["Bo", "Cai", "Dan", "Eva", "Finn", "Gry"]

# What each committee's members vote, round by round; the lead locks at the majority.
PATHS = {
    "1": {  # a narrow focus, the right people at the table, the standing committee involved
        "maalgruppe": ["udskrevne"],
        "bordet": ["aeldreraad", "paaroerende", "hjemmeplejen"],
        "valg": "cafe",
        "forankring": ["faelles_moede_fagudvalg"],
        "outcome": "gennemfoert",
    },
    "2": {  # everybody and nobody, the report just sent on
        "maalgruppe": ["alle_aeldre"],
        "bordet": ["frivillige", "laege"],
        "valg": "flere_frivillige",
        "forankring": ["send_rapporten"],
        "outcome": "parkeret",
    },
}


@pytest.fixture(scope="module")
def case() -> Case:
    return load_case_file(CASE_FILE)[0]


def lead_of(case: Case, state: dict, cid: str) -> str:
    role = case.rounds[state["round"]].lead
    return next(p for p, r in state["committees"][cid]["roles"].items() if r == role)


def play_round(case: Case, state: dict, do) -> dict:
    """Every member votes the committee's path for each decision; the lead locks."""
    for cid, c in state["committees"].items():
        for key, d in rules.round_decisions(case, state, c).items():
            value = PATHS[cid][d["task"]]
            for p in rules.active_members(state, cid):
                state = do({"kind": "vote", "player": p, "key": key, "value": value})
            state = do({"kind": "lock", "player": lead_of(case, state, cid), "key": key})
    return state


def test_the_second_case_plays_through_the_rules(case):
    state = rules.new_state(case, {"size": 3})
    log: list[dict] = []

    def do(action: dict) -> dict:
        nonlocal state
        state, events = rules.apply(case, state, action)
        log.extend(events)
        return state

    for i, name in enumerate(PEOPLE, 1):
        do({"kind": "join", "player": str(i), "name": name})
    do({"kind": "form"})
    assert [len(c["members"]) for c in state["committees"].values()] == [3, 3]
    for c in state["committees"].values():
        assert sorted(c["roles"].values()) == ["facilitator", "igangsaetter", "katalysator"]
    do({"kind": "start"})
    for round_ in case.rounds[1:]:
        do({"kind": "advance"})
        assert case.rounds[state["round"]].id == round_.id
        state = play_round(case, state, do)
        for c in state["committees"].values():
            assert rules.committee_done(case, state, c)
    # The dilemma each committee met follows from who got a seat.
    cards = {cid: c["decisions"] for cid, c in state["committees"].items()}
    assert "valg:teknologi_eller_mennesker" in cards["1"]  # the elder council has a seat
    assert "valg:frivillige_eller_ansatte" in cards["2"]
    with pytest.raises(rules.Refused):
        rules.apply(case, state, {"kind": "advance"})  # the last round: end instead
    do({"kind": "end"})
    for cid, c in state["committees"].items():
        assert c["outcome"] == PATHS[cid]["outcome"], (cid, c["meters"])
        assert all(0 <= v <= 100 for v in c["meters"].values())
    assert {"kind": "outcome", "committee": "1", "outcome": "gennemfoert"} in log
    assert log[-1] == {"kind": "end"}


@pytest.mark.django_db
def test_the_second_case_plays_through_the_actions_layer(alice):
    version, _created = load_case(CASE_FILE)
    session = actions.create_session(host=alice, case_version=version, options={"size": 3})
    pids = {name: actions.join(session, name)[0].pid for name in PEOPLE}

    def do(action: dict) -> dict:
        actions.perform(session.pk, action, actor="test")
        return Session.objects.get(pk=session.pk).state

    do({"kind": "form"})
    state = do({"kind": "start"})
    case = version.parsed()
    for _round in case.rounds[1:]:
        state = do({"kind": "advance"})
        state = play_round(case, state, do)
    do({"kind": "end"})

    session.refresh_from_db()
    assert session.status == "ended"
    outcomes = {o.id: o for o in case.outcomes}
    for name, pid in pids.items():
        view = visibility.player_view(case, session.state, pid, session.meta())
        outcome = view["committee"]["outcome"]
        cid = view["committee"]["id"]
        assert outcome["id"] == PATHS[cid]["outcome"], name
        assert outcome["headline"] == outcomes[outcome["id"]].headline
        assert view["committee"]["meters"] is not None
        assert view["me"]["card"]["kind"] == "role"  # three leaders each: no persona needed
    logged = list(Event.objects.filter(session=session).values_list("version", flat=True))
    assert logged == list(range(1, session.version + 1))
