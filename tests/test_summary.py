"""The take-home summary: each player's own path on their phone once the session ends.

Alice hosts the school case; Bo … Ida play it to the end through the actions
layer (as bots would, with rotating roles), each writing ideas and answers of
their own. Then every player opens /play/<code>/summary/ with their own seat
cookie: they must find their own roles round by round, their committee's
choices and the council's outcome, their own answers and the five steps, and
nothing of another player's private card or answers. Their next steps are
saved with the seat (a POST with CSRF) and come back on a reload.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils.translation import trans_real

from cases.loader import load_case
from game import actions, export, summary
from game.consumers import seat_cookie
from game.models import Player, Session
from game.readmodel import labels_of, prompt_of, pseudonyms
from tests.conftest import NAMES, ROOT
from tests.support import play_whole_game

pytestmark = pytest.mark.django_db
LOCALE = Path(settings.BASE_DIR) / "locale"
STEP_TITLES_DA = [
    "Lav en klar vision for kommunens udvikling",
    "Identificér og prioritér problemer og udfordringer",
    "Afklar jeres roller som igangsættere",
    "Overvej rummet for partipolitik og muligheden for at trække politikerkortet",
    "Diskutér koblingen mellem byråd og § 17, stk. 4-udvalg",
]


@pytest.fixture(scope="module", autouse=True)
def _compiled_translations():
    """The .mo files are git-ignored; compile them if they are missing or stale."""
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", locale=["da", "en"], ignore_patterns=[".venv"], verbosity=0)
        trans_real._translations.clear()
        trans_real._default = None


def answer_of(name: str, question: str) -> str:
    return f"{name} svarer på {question}: mit eget svar nr. {NAMES.index(name) + 1}"


def idea_of(name: str, n: int) -> str:
    return f"{name}s idé nummer {n}: lektiecafé i hallen"


@pytest.fixture(scope="module")
def ended(django_db_setup, django_db_blocker):
    """The school case played to its end by Bo … Ida in two committees, roles rotating.

    Played once per module (a whole game takes seconds) and kept outside the
    tests' transactions; each test's own changes roll back as usual.
    """
    with django_db_blocker.unblock():
        host = get_user_model().objects.create_user("alice-summary", is_staff=True)
        case_version = load_case(ROOT / "cases" / "skole.yaml")[0]
        session = actions.create_session(
            host=host, case_version=case_version, options={"size": 4, "rotate_roles": True}
        )
        tokens = {}
        for name in NAMES:
            player, token, _done = actions.join(session, name)
            tokens[name] = (player.pid, token)
        names = {pid: name for name, (pid, _t) in tokens.items()}
        written: dict[str, int] = {}

        def text(pid: str, move: dict) -> str:
            if move["type"] == "reflect":
                return answer_of(names[pid], move["question"])
            written[pid] = written.get(pid, 0) + 1
            return idea_of(names[pid], written[pid])

        play_whole_game(session, seed=3, text=text, politician_rate=0.6)
    session.tokens = tokens
    yield session
    with django_db_blocker.unblock():  # a transactional test may have emptied it already
        Session.objects.filter(pk=session.pk).delete()
        get_user_model().objects.filter(pk=host.pk).delete()


def page_of(session, token: str, client: Client | None = None):
    client = client or Client()
    client.cookies[seat_cookie(session.code)] = token
    return client, client.get(f"/play/{session.code}/summary/")


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags out, entities decoded, white space folded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_each_player_sees_their_own_roles_choices_outcome_and_answers(ended):
    case, state = ended.case, ended.state
    pseudo = pseudonyms(state)
    # The export's table of roles round by round: another reader of the same log.
    roles = {row["player"]: row for row in export.export_rows(ended)["players"]}
    played_rounds = [r.id for i, r in enumerate(case.rounds) if i <= state["reached"]]
    for name, (pid, token) in ended.tokens.items():
        _client, page = page_of(ended, token)
        assert page.status_code == 200, name
        text = text_of(page.text)
        assert name in text
        c = state["committees"][state["players"][pid]["committee"]]
        assert f"Udvalg {c['name']}" in text
        # Every role they held, round by round.
        held = {roles[pseudo[pid]][f"role_{rid}"] for rid in played_rounds}
        assert held and all(role in text for role in held), (name, held)
        # Their committee's choices: every locked decision's prompt and first choice.
        locked = [
            d for d in c["decisions"].values() if d["locked"] is not None and d["task"] != "ideer"
        ]
        assert len(locked) >= 5
        for d in locked:
            labels = labels_of(case, c, d, d["locked"])[0]
            assert prompt_of(case, d) in text, (name, d)
            if labels:
                assert labels[0] in text, (name, d["task"], labels[0])
        # The council's outcome, its headline, and the thresholds that decided it.
        outcome = next(o for o in case.outcomes if o.id == c["outcome"])
        assert outcome.title in text and outcome.headline in text
        assert "Hvorfor: målerne holdt op mod grænserne" in text
        for meter in case.meters:
            assert meter.label in text
        # Their own answers, every one of them.
        for q in case.reflection:
            assert answer_of(name, q.id) in text, (name, q.id)
        # The five steps, each with a sentence from the committee and a field for the next step.
        for title in STEP_TITLES_DA:
            assert title in text
        assert text.count("I spillet:") == 5
        assert page.text.count('name="step_') == 5
        assert "Vores byråds næste skridt" in text


def test_nothing_of_another_players_private_card_or_answers(ended):
    case, state = ended.case, ended.state
    for name in ended.tokens:
        player = Player.objects.get(session=ended, name=name)
        actions.save_next_steps(player, {"vision": f"{name}s hemmelige næste skridt"})
    for name, (pid, token) in ended.tokens.items():
        _client, page = page_of(ended, token)
        # The page as sent, tags and attributes included: nothing hidden in it either.
        text = unescape(page.text) + " " + text_of(page.text)
        for other in NAMES:
            if other == name:
                continue
            for q in case.reflection:
                assert answer_of(other, q.id) not in text, (name, other, q.id)
            assert f"{other}s hemmelige næste skridt" not in text
        assert f"{name}s hemmelige næste skridt" in text
        # A persona's secret interests: only the persona this player held at the end.
        c = state["committees"][state["players"][pid]["committee"]]
        mine = c["roles"].get(pid)
        for persona in case.personas:
            if persona.id != mine:
                assert persona.interests.strip() not in text, (name, persona.id)


def test_the_five_steps_draw_on_what_happened_in_the_committee(ended):
    case, state = ended.case, ended.state
    name, (pid, token) = next(iter(ended.tokens.items()))
    c = state["committees"][state["players"][pid]["committee"]]
    player = Player.objects.get(session=ended, name=name)
    steps = {s["id"]: s["sentence"] for s in summary.player_summary(ended, player)["steps"]}
    assert list(steps) == ["vision", "problems", "roles", "party", "coupling"]
    focus = labels_of(case, c, c["decisions"]["fokus"], c["decisions"]["fokus"]["locked"])[0]
    assert focus[0] in steps["vision"]
    ranked = labels_of(
        case, c, c["decisions"]["udfordringer"], c["decisions"]["udfordringer"]["locked"]
    )[0]
    assert ranked[0] in steps["problems"]
    coupling = c["decisions"]["kobling"]
    assert labels_of(case, c, coupling, coupling["locked"])[0][0] in steps["coupling"]
    outcome = next(o for o in case.outcomes if o.id == c["outcome"])
    assert outcome.title in steps["coupling"]
    n = c["politician_cards"]
    assert n > 0  # politician_rate 0.6: the committee overrode its majority at least once
    assert ("én gang" if n == 1 else f"trukket {n} gange") in steps["party"]
    first = next(d for d in summary.player_summary(ended, player)["politician_cards"])
    assert first["prompt"] in steps["party"]


def test_next_steps_are_saved_with_the_seat_and_shown_after_a_reload(ended):
    pid, token = ended.tokens["Cai"]
    client = Client(enforce_csrf_checks=True)
    client, page = page_of(ended, token, client)
    csrf = client.cookies["csrftoken"].value
    url = f"/play/{ended.code}/summary/"
    # Without the CSRF token: refused, nothing saved.
    refused = client.post(url, {"step_vision": "Uden token"})
    assert refused.status_code == 403
    assert Player.objects.get(session=ended, number=pid).next_steps == {}
    saved = client.post(
        url,
        {
            "csrfmiddlewaretoken": csrf,
            "step_vision": "  Visionsseminar for hele byrådet i marts  ",
            "step_coupling": "Fagudvalget med fra første møde",
            "step_nonsense": "ignored",
        },
    )
    assert saved.status_code == 302 and saved["Location"].endswith("/summary/?saved=1#steps")
    assert Player.objects.get(session=ended, number=pid).next_steps == {
        "vision": "Visionsseminar for hele byrådet i marts",
        "coupling": "Fagudvalget med fra første møde",
    }
    again = client.get(saved["Location"])
    # Said where the page lands after the save: in the steps, not at the top out of sight.
    steps = again.text[again.text.index('id="steps"') :]
    assert "Dine næste skridt er gemt." in steps
    assert "Dine næste skridt er gemt." not in client.get(url).text  # a later visit
    assert ">Visionsseminar for hele byrådet i marts</textarea>" in again.text
    assert ">Fagudvalget med fra første møde</textarea>" in again.text
    # Another player's page shows none of it.
    _c, other = page_of(ended, ended.tokens["Dan"][1])
    assert "Visionsseminar" not in other.text


def test_a_too_long_next_step_is_refused_politely_and_nothing_is_saved(ended):
    pid, token = ended.tokens["Eva"]
    player = Player.objects.get(session=ended, number=pid)
    actions.save_next_steps(player, {"roles": "Det gamle skridt"})
    client, _page = page_of(ended, token)
    long = "x" * (summary.MAX_NEXT_STEP + 1)
    page = client.post(
        f"/play/{ended.code}/summary/", {"step_roles": "Nyt skridt", "step_party": long}
    )
    assert page.status_code == 400
    assert "Intet blev gemt" in page.text
    assert f"Et næste skridt må højst fylde {summary.MAX_NEXT_STEP} tegn." in page.text
    assert ">Nyt skridt</textarea>" in page.text  # what was typed is not lost
    assert Player.objects.get(session=ended, number=pid).next_steps == {"roles": "Det gamle skridt"}


def test_before_the_end_the_summary_waits_and_takes_no_notes(formed_session, seats):
    actions.perform(formed_session.pk, {"kind": "start"}, actor="host")
    pid, token = seats["Bo"]
    client, page = page_of(formed_session, token)
    assert page.status_code == 200
    assert "Din opsummering er ikke klar endnu" in page.text
    posted = client.post(f"/play/{formed_session.code}/summary/", {"step_vision": "for tidligt"})
    assert posted.status_code == 409
    assert Player.objects.get(session=formed_session, number=pid).next_steps == {}


def test_without_a_seat_the_summary_sends_you_to_the_join_page(ended, client):
    page = client.get(f"/play/{ended.code}/summary/")
    assert page.status_code == 302 and f"code={ended.code}" in page["Location"]
    client.cookies[seat_cookie(ended.code)] = "not-a-token"
    assert client.get(f"/play/{ended.code}/summary/").status_code == 302
    # an unknown code as a real one without a seat: codes cannot be probed (issue 10)
    assert client.get("/play/NOSUCH/summary/")["Location"] == "/?code=NOSUCH"


def test_a_second_case_with_other_rounds_needs_no_change(session, seats):
    """The mini case has five rounds, other tasks and no personas: read from the data."""
    play_whole_game(session, seed=1)
    for name, (pid, token) in seats.items():
        _client, page = page_of(session, token)
        assert page.status_code == 200
        text = text_of(page.text)
        assert name in text and "Dine roller" in text
        c = session.state["committees"][session.state["players"][pid]["committee"]]
        outcome = next(o for o in session.case.outcomes if o.id == c["outcome"])
        assert outcome.title in text


def test_the_host_prints_every_players_summary_and_nobody_else_can(ended, client, mallory):
    alice = ended.host  # the session's own host
    url = f"/host/{ended.code}/handout/"
    assert client.get(url).status_code == 302  # to the login
    client.force_login(mallory)
    assert client.get(url).status_code == 404
    assert client.get(f"/host/{ended.code}/handout.pdf").status_code == 404
    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    for name in NAMES:
        assert name in text
    assert page.text.count('class="handout-page"') == len(NAMES)
    assert "<textarea" not in page.text  # a handout is to read and write on, by hand
    dashboard = client.get(f"/host/{ended.code}/")
    assert f'href="/host/{ended.code}/handout/"' in dashboard.text
    assert f'href="/host/{ended.code}/handout.pdf"' in dashboard.text
    debrief = client.get(f"/host/{ended.code}/debrief/")
    assert f'href="/host/{ended.code}/handout.pdf"' in debrief.text


def test_the_final_screen_links_to_the_summary():
    js = (Path(settings.BASE_DIR) / "static" / "js" / "player.js").read_text(encoding="utf-8")
    status = js[js.index('if (s.status === "ended")') :][:800]
    assert "/summary/" in status and "Your summary and next steps" in status


def test_a_session_ended_in_the_lobby_still_gives_a_polite_summary(session, seats):
    actions.perform(session.pk, {"kind": "end"}, actor="host")
    _pid, token = seats["Hal"]
    session.refresh_from_db()
    _client, page = page_of(session, token)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Hal" in text and "Du havde ingen rolle i et udvalg." in text
    assert "Jeres udvalg traf ingen beslutninger." in text
    assert text.count("I spillet:") == 5


def test_the_summary_speaks_english_with_the_language_switch(ended):
    _pid, token = ended.tokens["Gry"]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _client, page = page_of(ended, token, client)
    text = text_of(page.text)
    for heading in (
        "Your roles",
        "Why: the meters against the thresholds",
        "Your committee's choices and what followed",
        "Your reflection answers",
        "Onwards across the ice: five steps for your council",
        "Our council's next step",
    ):
        assert heading in text
    assert "Make a clear vision for the municipality's development" in text
