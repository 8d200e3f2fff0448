"""The school case's balance, held to the talk: games played through the real rules.

Plain tests, no Django: ``game.balance`` plays committees through
``game.rules.apply`` with fixed seeds, so every figure here is the same on
every run. The sizes are small (under a minute); ``manage.py balance`` runs the
same code with thousands of games.
"""

from __future__ import annotations

import math
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


# Paired committees per number of weak voices seated (see the adoption test):
# 6 steps x 40 = 240 greedy games to the council, the bulk of this file's time.
WEAK_GAMES = 40


@pytest.fixture(scope="module")
def weak_games(case: Case) -> dict[int, list[balance.Result]]:
    return balance.by_weak(case, WEAK_GAMES, seed=0)  # the report's seed


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
    """One more weak voice at the table, in place of another, costs no adoption.

    The games are paired (``balance.by_weak``): committee i is played at every
    number k of weak voices with the same seed, and from k to k + 1 one other
    stakeholder's seat goes to a weak voice; the rest is played by the same
    greedy policy. Most committees end the same way at k and at k + 1. The
    comparison rests on those that do not: *gained* (adopted only with the extra
    weak voice) and *lost* (adopted only without it). Were the extra weak voice
    no help and no harm, each of those d = gained + lost committees would be a
    gain or a loss as by a coin, so lost - gained would be 0 give or take
    sqrt(d), one standard deviation (a sign test). A dip is more losses than
    that: the test allows lost - gained up to sqrt(d) and no more.

    With 40 committees a step, 2 to 8 of them differ between neighbours, so a
    net loss of 2 or 3 of 40 (5 to 8 points) is over the line. That is about
    the least 40 committees can tell apart from chance: a dip of 7 points (the
    one the balance report showed from four weak voices to five) is a net loss
    of about 0.07 n against a noise of sqrt(0.15 n), so 40 a step catch it about
    every other time and 80 about four times in five; 40 is what the file's time
    allows. The old check, a drop of at most 15 points between two unpaired
    samples of 8, let through any dip short of 2 games in 8. The committees are
    the first 40 of those the balance report plays (seed 0), so the test holds
    the case to the figures the report prints.
    """
    rates = {
        k: sum(r.outcome == BEST for r in rs) / len(rs) for k, rs in sorted(weak_games.items())
    }
    assert set(rates) == {0, 1, 2, 3, 4, 5}
    assert all(len(rs) == WEAK_GAMES for rs in weak_games.values())
    assert rates[5] > rates[0], rates  # all five weak voices beat none
    ks = sorted(rates)
    for low, high in zip(ks, ks[1:], strict=False):
        pairs = list(zip(weak_games[low], weak_games[high], strict=True))
        # The same committee, but for one seat that has gone to a weak voice.
        for a, b in pairs:
            assert len(set(a.recipe["pladser"]) - set(b.recipe["pladser"])) == 1
        gained = sum(a.outcome != BEST and b.outcome == BEST for a, b in pairs)
        lost = sum(a.outcome == BEST and b.outcome != BEST for a, b in pairs)
        assert lost - gained <= math.sqrt(gained + lost), (low, high, gained, lost, rates)


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
