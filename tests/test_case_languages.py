"""A case in two languages: the translation beside the case file, checked and stored with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cases import languages
from cases.loader import load_case
from cases.schema import CaseError, parse_case
from game import rules, visibility
from game.consumers import seat_cookie

MINI = Path(__file__).parent / "cases" / "mini.yaml"


def _english(data):
    """The mini case 'translated': every text gets an English marker, nothing else changes."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in languages.TEXT_KEYS:
                out[key] = _texts(value)
            else:
                out[key] = _english(value)
        return out
    if isinstance(data, list):
        return [_english(v) for v in data]
    return data


def _texts(value):
    if isinstance(value, str):
        return f"EN {value}"
    if isinstance(value, list):
        return [_texts(v) for v in value]
    return _english(value)


@pytest.fixture
def files(tmp_path):
    base = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    shutil.copy(MINI, tmp_path / "mini.yaml")
    english = _english(base) | {"language": "en"}
    (tmp_path / "mini.en.yaml").write_text(yaml.safe_dump(english, allow_unicode=True))
    return tmp_path, base, english


def test_a_translation_beside_the_case_is_stored_with_its_version(db, files):
    folder, base, _english_data = files
    version, created = load_case(folder / "mini.yaml")
    assert created and version.languages() == ["da", "en"]
    texts = version.texts("en")
    assert texts[base["brief"]] == f"EN {base['brief']}"
    assert (
        texts[base["rounds"][1]["tasks"][0]["prompt"]]
        == f"EN {base['rounds'][1]['tasks'][0]['prompt']}"
    )
    assert version.texts("fr") == {}
    assert version.parsed().brief == base["brief"]  # the game runs on the case's own texts
    # Changing only the translation is a new version too: sessions keep theirs.
    english = yaml.safe_load((folder / "mini.en.yaml").read_text())
    english["brief"] = "Another brief"
    (folder / "mini.en.yaml").write_text(yaml.safe_dump(english, allow_unicode=True))
    newer, created = load_case(folder / "mini.yaml")
    assert created and newer.number == version.number + 1
    assert newer.texts("en")[base["brief"]] == "Another brief"


def test_a_case_without_a_translation_has_one_language(db, tmp_path):
    shutil.copy(MINI, tmp_path / "mini.yaml")
    version, _created = load_case(tmp_path / "mini.yaml")
    assert version.languages() == ["da"] and version.texts("en") == {}


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda d: d["meters"][0].update(start=40), "meters[0].start: 40 differs"),
        (lambda d: d["framings"][0].update(id="focus"), "framings[0].id: 'focus' differs"),
        (lambda d: d["rounds"][1]["tasks"][0].update(prompt=""), "rounds[1].tasks[0].prompt"),
        (lambda d: d["dilemmas"].pop(), "dilemmas: expected a list of 2"),
        (lambda d: d.pop("mandate"), "mandate: Field required"),
    ],
)
def test_a_translation_that_changes_more_than_texts_is_refused(db, files, change, place):
    folder, _base, english = files
    change(english)
    (folder / "mini.en.yaml").write_text(yaml.safe_dump(english, allow_unicode=True))
    with pytest.raises(CaseError) as refused:
        load_case(folder / "mini.yaml")
    message = str(refused.value)
    assert place in message and ("mini.en.yaml" in message or "'en'" in message), message


def test_translated_views_carry_no_text_of_the_case_in_its_own_language(files):
    _folder, base, english = files
    case = parse_case(base, source="mini")
    texts = languages.table(base, english)
    assert not languages.conflicts(base, english)
    state = rules.new_state(case, {"size": 3})
    for pid, name in (("1", "Bo"), ("2", "Cai"), ("3", "Dan")):
        state, _ = rules.apply(case, state, {"kind": "join", "player": pid, "name": name})
    for kind in ("form", "start", "advance"):
        state, _ = rules.apply(case, state, {"kind": kind})
    view = visibility.player_view(case, state, "1", {"code": "TEST"})

    def strings(value):
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    danish = set(texts)
    assert danish & set(strings(view)), "the view shows no text of the case: nothing to check"
    translated = languages.translate(view, texts)
    assert not danish & set(strings(translated))
    assert translated["me"]["name"] == "Bo"  # a player's own words are not the case's


@pytest.mark.django_db(transaction=True)
async def test_a_player_who_reads_english_is_sent_the_case_in_english(files, alice):
    from channels.db import database_sync_to_async

    from game import actions
    from tests.support import Client, connect

    folder, base, _english = files
    version, _created = await database_sync_to_async(load_case)(folder / "mini.yaml")
    session = await database_sync_to_async(actions.create_session)(
        host=alice, case_version=version, options={"size": 3}
    )
    seats = {}
    for name in ("Bo", "Cai", "Dan"):
        player, token, _done = await database_sync_to_async(actions.join)(session, name)
        seats[name] = token
    for kind in ("form", "start"):
        await database_sync_to_async(actions.perform)(session.pk, {"kind": kind}, actor="host")
    cookie = seat_cookie(session.code)
    bo = Client(
        connect(
            f"/ws/play/{session.code}/", cookies={cookie: seats["Bo"], "django_language": "en"}
        ),
        "Bo",
    )
    cai = Client(connect(f"/ws/play/{session.code}/", cookies={cookie: seats["Cai"]}), "Cai")
    for client in (bo, cai):
        await client.connect()
    assert bo.view["session"]["title"] == f"EN {base['title']}"
    assert cai.view["session"]["title"] == base["title"]  # Danish, the site's default
    done = await actions.aperform(session.pk, {"kind": "advance"}, actor="host")
    for client in (bo, cai):
        await client.until(done.version)
    prompt = base["rounds"][1]["tasks"][0]["prompt"]
    fokus = lambda v: next(d for d in v["committee"]["decisions"] if d["key"] == "fokus")  # noqa: E731
    assert fokus(bo.view)["prompt"] == f"EN {prompt}"
    assert fokus(cai.view)["prompt"] == prompt
    for client in (bo, cai):
        await client.close()


def test_the_play_page_says_when_the_case_is_not_in_the_players_language(
    client, alice, files, formed_session, seats
):
    cookie = seat_cookie(formed_session.code)
    client.cookies[cookie] = seats["Bo"][1]
    client.cookies["django_language"] = "en"
    page = client.get(f"/play/{formed_session.code}/")
    assert 'data-testid="case-language"' in page.text and "only in Danish" not in page.text
    assert "This case is written in Danish only" in page.text
    client.cookies["django_language"] = "da"
    assert 'data-testid="case-language"' not in client.get(f"/play/{formed_session.code}/").text
    # A case that has the player's language says nothing.
    from game import actions

    folder, _base, _english = files
    version, _created = load_case(folder / "mini.yaml")
    translated = actions.create_session(host=alice, case_version=version, options={"size": 3})
    _player, token, _done = actions.join(translated, "Bo")
    client.cookies[seat_cookie(translated.code)] = token
    client.cookies["django_language"] = "en"
    assert 'data-testid="case-language"' not in client.get(f"/play/{translated.code}/").text


def test_a_line_the_rules_make_of_two_texts_is_translated_too():
    texts = {
        "Forældrene": "The parents",
        "Lukker skolen, lukker byen.": "Close the school, close the town.",
    }
    line = "Forældrene: Lukker skolen, lukker byen."
    assert languages.translate([line], texts) == ["The parents: Close the school, close the town."]
    assert languages.translate("Bo: mit eget svar", texts) == "Bo: mit eget svar"  # nobody's text
