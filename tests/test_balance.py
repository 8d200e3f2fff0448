"""The school case's balance, held to the talk: games played through the real rules.

Plain tests, no Django: ``game.balance`` plays committees through
``game.rules.apply`` with fixed seeds, so every figure here is the same on
every run. The sizes are small (a few seconds); ``manage.py balance`` runs the
same code with thousands of games.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.schema import Case, load_case_file
from game import balance

ROOT = Path(__file__).resolve().parent.parent
BEST = "vedtaget"


@pytest.fixture(scope="module")
def case() -> Case:
    return load_case_file(ROOT / "cases" / "skole.yaml")[0]


@pytest.fixture(scope="module")
def random_games(case: Case) -> list[balance.Result]:
    return [balance.play(case, balance.random_policy, i, name="random") for i in range(160)]


@pytest.fixture(scope="module")
def weak_games(case: Case) -> dict[int, list[balance.Result]]:
    return balance.by_weak(case, 8, seed=1)


def test_no_option_is_dominated(case):
    """No option is at least as good as a sibling on every meter and stakeholder."""
    assert balance.dominated_options(case) == []


def test_a_dominated_option_is_found():
    """The check itself works: an option worse on every count is reported."""
    data = load_case_file(ROOT / "cases" / "skole.yaml")[1]
    card = data["dilemmas"][0]
    card["options"][1]["effects"] = {"foelgeskab": -9}  # worse than its first sibling
    card["options"][0]["effects"] = {"foelgeskab": 1}
    from cases.schema import parse_case

    found = balance.dominated_options(parse_case(data))
    assert any(card["id"] in x and card["options"][1]["id"] in x for x in found)


def test_seating_weak_voices_does_not_lower_adoption(weak_games):
    rates = {
        k: sum(r.outcome == BEST for r in rs) / len(rs) for k, rs in sorted(weak_games.items())
    }
    assert set(rates) == {0, 1, 2, 3, 4, 5}
    assert rates[5] > rates[0], rates  # all five weak voices beat none
    # More weak voices never cost adoption beyond the noise of a small sample.
    ks = sorted(rates)
    for low, high in zip(ks, ks[1:], strict=False):
        assert rates[high] >= rates[low] - 0.15, rates


def test_the_weak_voices_bring_what_others_do_not(case, weak_games):
    """Seated, they raise problem understanding and ownership at the council."""

    def mean(k: int, meter: str) -> float:
        return sum(r.meters[meter] for r in weak_games[k]) / len(weak_games[k])

    for meter in ("problemforstaaelse", "ejerskab"):
        assert mean(5, meter) > mean(0, meter), meter


def test_no_fixed_recipe_wins_more_than_half_the_sessions(case, weak_games):
    label = balance.play(case, balance.label_policy, 0, name="label").recipe
    winners = [r.recipe for rs in weak_games.values() for r in rs if r.outcome == BEST][:4]
    assert winners, "some committee reaches the best outcome"
    shares = balance.recipe_shares(case, [label, *winners], 24, seed=3)
    best_share, recipe = shares[0]
    assert best_share <= 0.5, recipe


def test_random_play_is_rarely_adopted(random_games):
    adopted = sum(r.outcome == BEST for r in random_games) / len(random_games)
    assert adopted < 0.1


def test_every_card_is_drawn_in_at_least_five_percent_of_games(case, random_games):
    shares = balance.draw_shares(case, random_games)
    rare = {card: share for card, share in shares.items() if share < 0.05}
    assert rare == {}


def test_the_talks_own_cards_come_up_in_most_games(case, random_games):
    shares = balance.draw_shares(case, random_games)
    assert shares["konsensus_eller_nytaenkning"] > 0.5
    # When the politician card was played before the dilemmas, its follow-up comes.
    played_early = [
        r for r in random_games if r.politician_cards and "efter_politikerkortet" in r.cards
    ]
    assert len(played_early) > len(random_games) / 4


def test_the_report_prints_every_part(case):
    figures = balance.run(case, 8)
    text = balance.report(case, figures)
    for part in (
        "Outcome per policy",
        "Dominated options",
        "by weak voices seated",
        "Cards drawn",
        "Best fixed recipe",
    ):
        assert part in text
    for name in balance.POLICIES:
        assert name in figures["outcomes"]
