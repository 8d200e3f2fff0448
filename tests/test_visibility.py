"""Who sees what (game.visibility), on the pure rules: no server needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.schema import load_case_file
from game import rules, visibility

ROOT = Path(__file__).resolve().parent.parent
META = {"code": "ACDEFG"}


@pytest.fixture(scope="module")
def school():
    return load_case_file(ROOT / "cases" / "skole.yaml")[0]


def play_to(case, round_id: str, **options) -> dict:
    state = rules.new_state(case, {"size": 4, **options})
    for i, name in enumerate(["Bo", "Cai", "Dan", "Eva", "Finn", "Gry", "Hal", "Ida"], start=1):
        state, _ = rules.apply(case, state, {"kind": "join", "player": str(i), "name": name})
    for kind in ("form", "start"):
        state, _ = rules.apply(case, state, {"kind": kind})
    while case.rounds[state["round"]].id != round_id:
        state, _ = rules.apply(case, state, {"kind": "advance"})
    return state


def test_meters_are_hidden_from_players_and_projector_during_play_unless_the_host_shows_them(
    school,
):
    state = play_to(school, "kommissorium")
    assert visibility.player_view(school, state, "1", META)["committee"]["meters"] is None
    assert all(
        c["meters"] is None
        for c in visibility.projector_view(school, state, META)["committees"].values()
    )
    assert all(
        c["meters"] for c in visibility.host_view(school, state, META)["committees"].values()
    )
    shown = play_to(school, "kommissorium", show_meters=True)
    assert visibility.player_view(school, shown, "1", META)["committee"]["meters"]


def test_from_the_councils_outcome_on_everyone_sees_the_meters(school):
    state = play_to(school, "byraadsmoede")
    player = visibility.player_view(school, state, "1", META)
    assert player["session"]["show_meters"] and player["committee"]["meters"]
    assert player["committee"]["outcome"]["headline"]
    assert all(
        c["meters"] for c in visibility.projector_view(school, state, META)["committees"].values()
    )


def test_a_player_sees_only_their_own_card_and_committee(school):
    state = play_to(school, "kommissorium")
    view = visibility.player_view(school, state, "1", META)
    mine = state["players"]["1"]["committee"]
    assert view["committee"]["id"] == mine and view["me"]["id"] == "1"
    others = [p for p in state["players"] if state["players"][p]["committee"] != mine]
    text = repr(view)
    for pid in others:
        assert state["players"][pid]["name"] not in text
    # Persona secrets of the other members stay with them.
    for member in view["committee"]["members"]:
        persona = school.persona(member["role"] or "")
        if persona is not None and member["id"] != "1":
            assert persona.interests not in text


def test_the_idea_wall_shows_ideas_without_their_authors(school):
    state = play_to(school, "ideudvikling")
    state, _ = rules.apply(
        school, state, {"kind": "idea", "player": "1", "text": "Lektiecafé i hallen"}
    )
    cid = state["players"]["1"]["committee"]
    wall = visibility.projector_view(school, state, META)["committees"][cid]["ideas"]
    mine = visibility.player_view(school, state, "1", META)["committee"]["ideas"]
    assert [i["author"] for i in mine if i["text"] == "Lektiecafé i hallen"] == ["Bo"]
    assert [i["author"] for i in wall if i["text"] == "Lektiecafé i hallen"] == [None]
