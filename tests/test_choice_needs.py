"""What a choice needs, on the phone: the stakeholders' interests and stance at the
seats task, each idea's text, cost and who brought it, and a stakeholder map
that moves round by round; numbers only where the host shows the meters.
"""

from __future__ import annotations

import pytest

from game import visibility
from tests.play_support import play

pytestmark = pytest.mark.postgres


def _player_view(game, pid: str) -> dict:
    return visibility.player_view(game.case, game.state, pid, {"code": game.code})


def _someone(game) -> str:
    return game.state["committees"]["1"]["members"][0]


def test_seats_task_shows_interests_and_a_stance_word_when_numbers_are_hidden(alice, school_case):
    game = play(alice, school_case, players=4, stop_at=1, leave_open=True)
    view = _player_view(game, _someone(game))
    seats = next(d for d in view["committee"]["decisions"] if d["type"] == "seats")
    case = game.case
    assert [o["id"] for o in seats["options"]] == [s.id for s in case.stakeholders]
    for o, s in zip(seats["options"], case.stakeholders, strict=True):
        assert o["text"] == s.interests
        assert o["stance"] is None and o["engagement"] is None  # the host hides the meters
        # The committee's stance now (a session's draws may set its own start).
        stance = game.state["committees"]["1"]["stakeholders"][s.id]["stance"]
        assert o["word"] == ("for" if stance >= 60 else "against" if stance <= 40 else "unsure")
    themap = view["committee"]["stakeholder_map"]
    assert not themap["numbers"]
    assert all("stance" not in r and r["words"] for r in themap["rows"])
    # The host always sees the numbers.
    host = visibility.host_view(case, game.state, {"code": game.code})
    hmap = host["committees"]["1"]["stakeholder_map"]
    assert hmap["numbers"] and all(len(r["stance"]) == len(hmap["rounds"]) for r in hmap["rows"])
    # The room's screen gets no map.
    projector = visibility.projector_view(case, game.state, {"code": game.code})
    assert "stakeholder_map" not in projector["committees"]["1"]


def test_stakeholder_map_moves_round_by_round_with_numbers(alice, school_case):
    game = play(
        alice, school_case, players=4, stop_at=3, leave_open=True, options={"show_meters": True}
    )
    view = _player_view(game, _someone(game))
    themap = view["committee"]["stakeholder_map"]
    # The start, the end of rounds 1 and 2 (the briefing changes nothing), and now.
    assert themap["rounds"] == ["start", "1", "2", "now"]
    c = game.state["committees"]["1"]
    for row in themap["rows"]:
        assert row["stance"][-1] == c["stakeholders"][row["id"]]["stance"]
        assert row["stance"][1] == c["stances"]["1"][row["id"]]["stance"]
        assert row["seated"] == (row["id"] in c["seated"])
    # Something moved: seating and leaving out change stances.
    assert any(len(set(r["stance"])) > 1 for r in themap["rows"])


def test_idea_pool_shows_cost_card_text_and_who_brought_it(alice, school_case):
    game = play(alice, school_case, players=4, stop_at=3, leave_open=True)
    case = game.case
    view = _player_view(game, _someone(game))
    seated = game.state["committees"]["1"]["seated"]
    ideas = view["committee"]["ideas"]
    cards = [i for i in ideas if i["card"]]
    assert cards and any(i["author"] for i in ideas)
    for i in ideas:
        if i["card"]:
            card = case.idea_card(i["card"])
            assert (i["cost"], i["card_text"], i["unit"]) == (
                card.cost,
                card.text,
                case.budget.unit,
            )
            brought = [
                s.name for s in case.stakeholders if s.id in card.unlocked_by and s.id in seated
            ]
            assert i["brought_by"] == brought
        else:
            assert i["cost"] == case.budget.free_idea_cost and i["brought_by"] == []
    assert any(i["brought_by"] for i in cards)
