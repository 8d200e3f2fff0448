"""Content tests for the school case (cases/skole.yaml) and the small second case.

Plain tests: no Django, no database. They check what the format cannot: the
counts the game design asks for, that every learning goal is served by a
decision the committee takes and by a reflection question, and that a second
case in another policy area loads with the same code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.schema import Case, Effects, Option, load_case_file

ROOT = Path(__file__).resolve().parent.parent
SCHOOL = ROOT / "cases" / "skole.yaml"
SECOND = ROOT / "tests" / "cases" / "sundhed.yaml"

GOALS = ["LG1", "LG2", "LG3", "LG4", "LG5", "LG6"]
METERS = [
    ("problemforstaaelse", "Problemforståelse"),
    ("iderigdom", "Idérigdom"),
    ("ejerskab", "Ejerskab"),
    ("foelgeskab", "Følgeskab"),
    ("lederskab", "Politisk lederskab"),
    ("oekonomi", "Økonomi"),
]
ROLES = {
    "igangsaetter": "Hvem, hvad, hvorfor, hvordan og hvornår?",
    "facilitator": "Hvordan fremmer vi samarbejdet?",
    "katalysator": "Hvordan fremmer vi nytænkning og innovation?",
}
# round id -> (lead, {task id: task type}); other code and tests refer to these ids.
ROUNDS = {
    "lobby": (None, {}),
    "kommissorium": (
        "igangsaetter",
        {"fokus": "choice", "pladser": "seats", "arbejdsform": "choice", "ramme": "frame"},
    ),
    "problemforstaaelse": (
        "facilitator",
        {"udfordringer": "rank", "pres": "card", "invitation": "invite"},
    ),
    "ideudvikling": ("katalysator", {"ideer": "ideas", "katalysatorvaerktoej": "catalyst"}),
    "dilemmaer": ("facilitator", {"dilemmaer": "card"}),
    "anbefaling": ("igangsaetter", {"anbefaling": "budget", "kobling": "choice"}),
    "byraadsmoede": (None, {}),
    "gennemfoerelse": ("igangsaetter", {"virkeligheden": "card"}),
}
OUTCOMES = ["vedtaget", "vedtaget_med_aendringer", "sendt_tilbage", "forkastet"]
# Effects are meant to nudge, not decide: one click should not swing a meter far.
MAX_METER_DELTA = 15
MAX_STAKEHOLDER_DELTA = 20


@pytest.fixture(scope="module")
def case() -> Case:
    return load_case_file(SCHOOL)[0]


@pytest.fixture(scope="module")
def second() -> Case:
    return load_case_file(SECOND)[0]


def all_options(case: Case) -> list[tuple[str, Option]]:
    """Every option anywhere in the case, with a readable place."""
    out = []
    for name in ("framings", "catalysts", "couplings"):
        out += [(f"{name}.{o.id}", o) for o in getattr(case, name)]
    for deck in ("dilemmas", "events"):
        for card in case.deck(deck):
            out += [(f"{deck}.{card.id}.{o.id}", o) for o in card.options]
    for round_ in case.rounds:
        for task in round_.tasks:
            out += [(f"{round_.id}.{task.id}.{o.id}", o) for o in task.options]
    return out


def all_effects(case: Case) -> list[tuple[str, Effects]]:
    out = [(place, o.effects) for place, o in all_options(case)]
    out += [(f"idea_cards.{c.id}", c.effects) for c in case.idea_cards]
    for s in case.stakeholders:
        out += [
            (f"stakeholders.{s.id}.seated", s.seated),
            (f"stakeholders.{s.id}.absent", s.absent.effects),
        ]
    out += [("politician_card", case.politician_card.effects)]
    out += [("budget.free_idea_effects", case.budget.free_idea_effects)]
    return out


def decision_tags(case: Case) -> set[str]:
    """LG tags on what the committee decides: tasks, their options and sources, cards, ideas."""
    tags: set[str] = set()
    for round_ in case.rounds:
        for task in round_.tasks:
            tags |= set(task.lg)
            if task.type in ("choice", "rank", "catalyst"):
                for option in case.task_options(task):
                    tags |= set(option.lg)
            if task.type == "card" and task.deck:
                for card in case.deck(task.deck):
                    tags |= set(card.lg)
                    for option in card.options:
                        tags |= set(option.lg)
            if task.type in ("ideas", "budget"):
                for idea in case.idea_cards:
                    tags |= set(idea.lg)
    return tags


# The school case ----------------------------------------------------------------


def test_school_case_validates():
    case, raw = load_case_file(SCHOOL)
    assert case.slug == "skole"
    assert case.language == "da"
    assert raw["slug"] == "skole"


def test_learning_goals_are_lg1_to_lg6(case):
    assert [g.id for g in case.learning_goals] == GOALS
    assert all(g.title and g.text for g in case.learning_goals)


def test_meters_are_the_six_in_order(case):
    assert [(m.id, m.label) for m in case.meters] == METERS
    for meter in case.meters:
        assert 30 <= meter.start <= 60, meter.id


def test_three_roles_with_their_questions_and_a_card_every_round(case):
    assert {r.id: r.question for r in case.roles} == ROLES
    round_ids = [r.id for r in case.rounds]
    for role in case.roles:
        assert role.description
        assert set(role.cards) == set(round_ids), role.id
        for round_id, card in role.cards.items():
            assert card.task, (role.id, round_id)
            assert 2 <= len(card.tips) <= 4, (role.id, round_id)


def test_rounds_ids_titles_and_leads(case):
    assert [r.id for r in case.rounds] == list(ROUNDS)
    for round_ in case.rounds:
        lead, tasks = ROUNDS[round_.id]
        assert round_.lead == lead, round_.id
        assert {t.id: t.type for t in round_.tasks} == tasks, round_.id
        assert round_.intro, round_.id
        assert 6 <= round_.minutes <= 15, round_.id
    assert case.rounds[2].show_voices
    # The council decides; then the recommendation meets reality (the board game's
    # third part), and the reflection questions can be answered in both rounds.
    council = next(i for i, r in enumerate(case.rounds) if r.outcome)
    assert case.rounds[council].id == "byraadsmoede" and case.rounds[council].reflection
    assert case.rounds[-1].id == "gennemfoerelse" and case.rounds[-1].reflection
    assert council == len(case.rounds) - 2


def test_task_settings(case):
    tasks = {t.id: t for r in case.rounds for t in r.tasks}
    assert (tasks["fokus"].source, tasks["fokus"].min, tasks["fokus"].max) == ("framings", 1, 1)
    assert (tasks["pladser"].min, tasks["pladser"].max) == (3, 5)
    assert (tasks["arbejdsform"].min, tasks["arbejdsform"].max) == (1, 2)
    assert len(tasks["arbejdsform"].options) >= 4
    assert 5 <= len(tasks["udfordringer"].options) <= 6 and tasks["udfordringer"].apply_top == 2
    assert (tasks["pres"].deck, tasks["pres"].draw) == ("events", 1)
    ideer = tasks["ideer"]
    assert (ideer.max_ideas, ideer.dots, ideer.keep, ideer.public) == (3, 3, 5, True)
    assert ideer.per_idea.meters
    assert tasks["katalysatorvaerktoej"].actor == "katalysator"
    assert tasks["katalysatorvaerktoej"].required is False
    assert (tasks["dilemmaer"].deck, tasks["dilemmaer"].draw) == ("dilemmas", 4)
    # The facilitator's move: bring one left-out stakeholder back, at a price.
    assert (tasks["invitation"].actor, tasks["invitation"].required) == ("facilitator", False)
    assert tasks["invitation"].price.meters
    # The igangsætter's move: the frame, which the council tests (kept or broken).
    assert (tasks["ramme"].actor, tasks["ramme"].required) == ("igangsaetter", False)
    assert len(tasks["ramme"].options) >= 3
    assert all(o.test is not None and o.test.kept.effects.meters for o in tasks["ramme"].options)
    assert tasks["anbefaling"].from_task == "ideer"
    assert (tasks["kobling"].source, tasks["kobling"].min, tasks["kobling"].max) == (
        "couplings",
        1,
        1,
    )


def test_counts(case):
    assert len(case.personas) >= 6
    assert len(case.stakeholders) >= 12
    assert len(case.framings) >= 5
    assert len(case.idea_cards) >= 15
    assert len(case.catalysts) >= 4
    assert len(case.dilemmas) >= 8
    assert len(case.couplings) >= 4
    assert len(case.reflection) >= 6


def test_personas_have_secret_interests_on_real_stakeholders(case):
    stakeholders = {s.id for s in case.stakeholders}
    for persona in case.personas:
        assert persona.stakeholder in stakeholders
        assert persona.interests and persona.tips, persona.id
    # Each persona stands for a different stakeholder.
    assert len({p.stakeholder for p in case.personas}) == len(case.personas)
    # Each secret interest is scored at the end: a goal the committee's choices can meet.
    for persona in case.personas:
        assert persona.goal, persona.id


def test_stakeholders_have_a_voice_a_seat_and_an_absence(case):
    for s in case.stakeholders:
        assert s.voice and s.interests and s.absent.text, s.id
        assert s.seated.meters or s.seated.stakeholders, s.id
        assert s.absent.effects.meters or s.absent.effects.stakeholders, s.id


def test_dilemmas_have_two_or_three_options_and_some_always_draw(case):
    for card in case.dilemmas:
        assert 2 <= len(card.options) <= 3, card.id
    unconditional = [c for c in case.dilemmas if not c.when]
    assert len(unconditional) >= 3
    # The round draws two: there is always something to draw, whatever the state.
    draw = next(t.draw for r in case.rounds for t in r.tasks if t.deck == "dilemmas")
    assert len(unconditional) >= draw
    # Most cards depend on the state.
    assert len(case.dilemmas) - len(unconditional) > len(unconditional)


def test_events_come_from_the_four_directions(case):
    assert len(case.events) == 4
    assert {e.source for e in case.events} == {"below", "above", "inside", "outside"}
    for event in case.events:
        assert 2 <= len(event.options) <= 3, event.id


def test_outcomes_in_order_and_the_last_is_the_default(case):
    assert [o.id for o in case.outcomes] == OUTCOMES
    assert case.outcomes[-1].when == []
    for outcome in case.outcomes[:-1]:
        assert outcome.when, outcome.id
    for outcome in case.outcomes:
        assert outcome.title and outcome.headline and outcome.text


def test_the_council_weighs_all_six_meters_the_focus_and_the_opposition(case):
    adopted = case.outcomes[0].when
    assert {c.meter for c in adopted if c.meter} == {m for m, _label in METERS}
    assert any(c.answered == "fokus" for c in adopted)  # the recommendation answers the focus
    assert any(c.opposed is not None for c in adopted)  # the council listens to who is against
    # Every framing names the ideas that answer it, and each is an idea card.
    ideas = {c.id for c in case.idea_cards}
    for framing in case.framings:
        assert framing.answers and set(framing.answers) <= ideas, framing.id
    # The weaker outcomes ask for less, so that each is reachable.
    for better, worse in zip(case.outcomes, case.outcomes[1:-1], strict=False):
        mins = {c.meter: c.min for c in better.when if c.meter and c.min is not None}
        for c in worse.when:
            if c.meter and c.min is not None:
                assert c.min <= mins.get(c.meter, 100), (worse.id, c.meter)


def test_promises_come_due(case):
    promises = {o.id: o for card in case.dilemmas + case.events for o in card.options if o.due}
    assert {"skriv_garantien", "lov_det", "giv_garantien"} <= set(promises)
    for option in promises.values():
        # What was promised costs something later, and the text says what.
        assert option.due.text and min(option.due.effects.meters.values()) < 0, option.id


def test_every_option_has_effects_and_a_consequence(case):
    for place, option in all_options(case):
        assert option.effects.meters or option.effects.stakeholders, place
        assert option.consequence, place
        assert option.lg, place
    for idea in case.idea_cards:
        assert idea.effects.meters or idea.effects.stakeholders, idea.id
        assert idea.consequence, idea.id


def test_effects_stay_moderate(case):
    for place, effects in all_effects(case):
        for meter, delta in effects.meters.items():
            assert abs(delta) <= MAX_METER_DELTA, (place, meter, delta)
        for sid, d in effects.stakeholders.items():
            assert abs(d.stance) <= MAX_STAKEHOLDER_DELTA, (place, sid)
            assert abs(d.engagement) <= MAX_STAKEHOLDER_DELTA, (place, sid)


def test_idea_cards_unlocked_by_real_stakeholders(case):
    stakeholders = {s.id for s in case.stakeholders}
    always = [c.id for c in case.idea_cards if not c.unlocked_by]
    assert 2 <= len(always) <= 4, always
    for idea in case.idea_cards:
        assert set(idea.unlocked_by) <= stakeholders, idea.id
    assert all(0 <= c.cost <= case.budget.total for c in case.idea_cards)


def test_catalysts_unlock_real_idea_cards(case):
    ideas = {c.id for c in case.idea_cards}
    unlocking = [c for c in case.catalysts if c.unlocks]
    assert len(unlocking) >= 2
    for catalyst in unlocking:
        assert set(catalyst.unlocks) <= ideas, catalyst.id


def test_couplings_make_a_difference(case):
    ejerskab = [c.effects.meters.get("ejerskab", 0) for c in case.couplings]
    assert max(ejerskab) - min(ejerskab) >= 10
    assert any(c.id == "aflever_rapporten" for c in case.couplings)


def test_politician_card_costs_ownership(case):
    effects = case.politician_card.effects.meters
    assert effects.get("ejerskab", 0) <= -5
    assert effects.get("foelgeskab", 0) < 0
    assert case.politician_card.text


def test_budget(case):
    assert case.budget.total > 0 and case.budget.unit == "mio. kr."
    assert 0 < case.budget.free_idea_cost <= case.budget.total


@pytest.mark.parametrize("goal", GOALS)
def test_every_goal_is_served_by_a_decision(case, goal):
    assert goal in decision_tags(case)


@pytest.mark.parametrize("goal", GOALS)
def test_every_goal_has_a_reflection_question(case, goal):
    assert any(goal in q.lg for q in case.reflection)


def test_texts_are_danish_and_ids_ascii(case):
    assert "Askelund" in case.brief and "§ 17, stk. 4" in case.mandate
    for place, option in all_options(case):
        assert option.id.isascii(), place
    for card in case.dilemmas + case.events:
        assert card.id.isascii(), card.id


# The second case ----------------------------------------------------------------


def test_second_case_validates(second):
    assert second.slug != "skole"
    assert len(second.rounds) == 3
    assert second.rounds[0].lead is None and second.rounds[0].tasks == []
    assert {t.type for t in second.rounds[1].tasks} == {"choice", "seats"}
    assert {(t.type, t.deck or t.source) for t in second.rounds[2].tasks} == {
        ("card", "dilemmas"),
        ("choice", "couplings"),
    }
    assert len(second.stakeholders) >= 4
    assert len(second.dilemmas) >= 2 and len(second.couplings) >= 2
    assert len(second.outcomes) >= 2 and second.outcomes[-1].when == []
    assert len(second.reflection) >= 2


def test_second_case_shares_no_round_with_the_school_case(case, second):
    assert not {r.id for r in case.rounds} & {r.id for r in second.rounds}


def test_second_case_has_its_own_meters_and_tips(case, second):
    school_meters = set(case.meter_ids())
    assert 3 <= len(second.meters) <= 4
    assert not set(second.meter_ids()) & school_meters
    school_tips = {tip for r in case.roles for c in r.cards.values() for tip in c.tips}
    second_tips = {tip for r in second.roles for c in r.cards.values() for tip in c.tips}
    assert second_tips and not second_tips & school_tips
    for role in second.roles:
        assert set(role.cards) == {r.id for r in second.rounds}, role.id


# --- the school case in English (cases/skole.en.yaml) -------------------------------------------

SCHOOL_EN = ROOT / "cases" / "skole.en.yaml"
# Texts that read the same in both languages: the name of a role is an English word in Danish too.
SAME_IN_ENGLISH = {"Facilitator"}


def _school_in_both() -> tuple[dict, dict]:
    import yaml

    return (
        yaml.safe_load(SCHOOL.read_text(encoding="utf-8")),
        yaml.safe_load(SCHOOL_EN.read_text(encoding="utf-8")),
    )


def _case_texts(value, in_text: bool = False) -> list[str]:
    """Every text of the case (the strings under a text key), in file order."""
    from cases import languages

    if isinstance(value, dict):
        return [
            s
            for k, v in value.items()
            if k != "language"
            for s in _case_texts(v, in_text or k in languages.TEXT_KEYS)
        ]
    if isinstance(value, list):
        return [s for v in value for s in _case_texts(v, in_text)]
    return [value] if in_text and isinstance(value, str) else []


def test_the_school_case_has_an_english_translation_that_mirrors_it():
    from cases import languages

    danish, english = _school_in_both()
    translated = load_case_file(SCHOOL_EN)[0]
    assert translated.language == "en" and translated.slug == "skole"
    assert languages.mirror_errors(danish, english) == []
    assert languages.conflicts(danish, english) == []  # one Danish text, one translation
    table = languages.table(danish, english)
    untranslated = {t for t in _case_texts(danish) if t not in table}
    assert untranslated == SAME_IN_ENGLISH, untranslated
    assert translated.title == "The future of the public school in Askelund"


@pytest.mark.django_db(transaction=True)
async def test_an_english_player_reads_no_danish_text_of_the_school_case_in_any_round(
    school_case, alice, monkeypatch
):
    import asyncio
    import json

    from channels.db import database_sync_to_async

    from cases import languages
    from game import actions
    from game.consumers import seat_cookie
    from tests.play_support import NAMES
    from tests.support import Client, connect, play_whole_game

    danish, english = _school_in_both()
    table = languages.table(danish, english)
    danish_texts = set(_case_texts(danish)) - SAME_IN_ENGLISH
    assert school_case.languages() == ["da", "en"]

    session = await database_sync_to_async(actions.create_session)(
        host=alice, case_version=school_case, options={"size": 4}
    )
    seats = {}
    for name in NAMES[:4]:
        _player, token, _done = await database_sync_to_async(actions.join)(session, name)
        seats[name] = token
    cookies = {seat_cookie(session.code): seats[NAMES[0]], "django_language": "en"}
    reader = Client(connect(f"/ws/play/{session.code}/", cookies=cookies), NAMES[0])
    await reader.connect()

    def strings(value) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    seen: set[str] = set()
    rounds: set[int] = set()
    long_texts = [t for t in danish_texts if len(t) >= 25]  # long enough not to occur by chance

    def look() -> None:
        seen.update(strings(reader.view))
        rounds.add(reader.view["session"]["round"])
        # Every frame is checked as it comes: the English player never reads the case in Danish.
        shown = set(strings(reader.view))
        danish_left = shown & danish_texts
        assert not danish_left, (reader.view["session"]["round"], sorted(danish_left)[:5])
        # Nor inside a text made of the case's texts (the log's "stakeholder: what it says").
        inside = [t for t in long_texts for s in shown if t in s]
        assert not inside, (reader.view["session"]["round"], inside[:3])

    look()
    # play_whole_game changes the session through actions.perform, which tells no one; here
    # each change is broadcast as the consumers' callers do, so the reader gets every patch.
    perform = actions.perform

    def perform_and_tell(session_id, action, *, actor, op_id=None):
        done = perform(session_id, action, actor=actor, op_id=op_id)
        if not done.repeat:
            actions.broadcast_sync(done)
        return done

    monkeypatch.setattr(actions, "perform", perform_and_tell)
    # Formed first, and the reader in its committee's stream before the game runs on.
    done = await database_sync_to_async(perform_and_tell)(
        session.pk, {"kind": "form"}, actor="host"
    )
    await reader.until(done.version)
    look()
    # The game runs in the database thread while the reader takes each change as it arrives.
    game = asyncio.ensure_future(
        database_sync_to_async(play_whole_game)(session, seed=3, form=False)
    )
    while not game.done():
        # receive_nothing waits without cancelling the consumer (a timed-out receive would).
        if await reader.communicator.receive_nothing(0.2):
            continue
        await reader.frame()
        look()
    await game
    while not await reader.nothing():
        await reader.frame()
        look()
    await reader.close()
    # And a fresh snapshot of the ended game, as a reloaded phone gets it.
    again = Client(connect(f"/ws/play/{session.code}/", cookies=cookies), NAMES[0])
    await again.connect()
    reader.view = again.view
    look()
    await again.close()

    assert rounds == set(range(len(danish["rounds"])))
    assert english["title"] in seen and english["rounds"][1]["title"] in seen
    assert table[danish["rounds"][-1]["title"]] in seen  # the council meeting, in English
    assert json.dumps(reader.view)  # the last view is a plain JSON view


def test_implementation_meets_reality(case):
    """The left-out act, followership is tested, the politician card is remembered."""
    deck = {c.id: c for c in case.implementation}
    assert len(deck) >= 5
    assert deck["borgerne_husker_kortet"].when[0].politician_card is True
    assert deck["borgerne_husker_kortet"].priority > max(
        c.priority for c in case.implementation if c.id != "borgerne_husker_kortet"
    )
    assert any(c.meter == "foelgeskab" for c in deck["foelgeskabet_testes"].when)
    absent = {x.absent for c in case.implementation for w in c.when for x in (w.any or [w])}
    assert {"specialforaelder", "laererkreds"} <= absent
    for card in case.implementation:
        assert 2 <= len(card.options) <= 3, card.id
