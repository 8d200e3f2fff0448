"""Free text: game.text.clean_text, and that no text a person sends breaks storage.

The storage tests run on SQLite and (marked ``postgres``) on PostgreSQL, where a
NUL in text or jsonb is an error and a lone surrogate cannot be encoded.
"""

from __future__ import annotations

import json
import re

import pytest
from channels.db import database_sync_to_async
from hypothesis import given, settings
from hypothesis import strategies as st

from game import actions, rules
from game.models import Event, Player, Session
from game.text import BadText, clean_text

from .support import Client, connect, player_client

# --- the function --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Bo  ", "Bo"),
        ("Bo\t \u00a0Ek", "Bo Ek"),  # tabs and no-break spaces fold to one space
        ("Bo\nEk", "Bo Ek"),  # a single line has no line breaks
        ("A\u030a", "\u00c5"),  # NFC: A + ring above is Å
        ("\u202eoB", "oB"),  # a right-to-left override cannot flip the name's display
        ("Bo\u2066x\u2069", "Box"),
        ("😀 Bo", "😀 Bo"),  # a real emoji (a surrogate pair in JSON) is kept
        ("Søren", "Søren"),
    ],
)
def test_single_line_text_is_folded_normalised_and_trimmed(raw, clean):
    assert clean_text(raw, max_length=40) == clean


def test_multiline_text_keeps_its_line_breaks():
    raw = "  First line  \r\nsecond\tline\r\r\n\n\n\nlast  "
    assert clean_text(raw, max_length=200, multiline=True) == "First line\nsecond line\n\nlast"


@pytest.mark.parametrize(
    "raw",
    ["Bo\x00", "\ud800Bo", "Bo\udfff", "B\x07o", "B\x1bo", "Bo\x7f", "Bo\x9b"],
    ids=["nul", "high-surrogate", "low-surrogate", "bell", "escape", "delete", "c1-control"],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_nul_control_characters_and_lone_surrogates_are_refused(raw, multiline):
    with pytest.raises(BadText) as exc:
        clean_text(raw, max_length=40, multiline=multiline)
    assert exc.value.code == "control"


@pytest.mark.parametrize("value", [None, 3, ["Bo"], {"name": "Bo"}, b"Bo"])
def test_what_is_not_a_string_is_refused(value):
    with pytest.raises(BadText) as exc:
        clean_text(value, max_length=40)
    assert exc.value.code == "not_text"


def test_the_limit_counts_after_cleaning_and_a_huge_value_is_refused_unread():
    assert clean_text("  " + "x" * 40 + "  ", max_length=40) == "x" * 40
    with pytest.raises(BadText):
        clean_text("x" * 41, max_length=40)
    with pytest.raises(BadText) as exc:
        clean_text("\x00" + "x" * 10_000_000, max_length=40)  # not even scanned for controls
    assert exc.value.code == "too_long"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_whatever_comes_in_what_comes_out_is_storable_text(raw):
    try:
        out = clean_text(raw, max_length=60, multiline=True)
    except BadText:
        return
    out.encode("utf-8")  # no lone surrogate
    assert "\x00" not in out
    assert all(ch in "\n" or ord(ch) >= 0x20 for ch in out)
    assert out == out.strip() and len(out) <= 60
    assert clean_text(out, max_length=60, multiline=True) == out  # cleaning is done once


# --- the rules use it for every free text ----------------------------------------------------


def test_the_rules_clean_names_and_refuse_control_characters(mini_case):
    case = mini_case.parsed()
    state = rules.new_state(case, {"size": 3})
    state, _ = rules.apply(case, state, {"kind": "join", "player": "1", "name": " Bo\t Ek "})
    assert state["players"]["1"]["name"] == "Bo Ek"
    with pytest.raises(rules.Refused) as exc:
        rules.apply(case, state, {"kind": "join", "player": "2", "name": "Cai\x00"})
    assert exc.value.code == "invalid" and "control" in exc.value.reason
    with pytest.raises(rules.Refused):
        rules.apply(case, state, {"kind": "message", "text": "hej\ud800"})
    state, _ = rules.apply(case, state, {"kind": "message", "text": " Pause  \r\n til 10.30 "})
    assert state["message"] == "Pause\ntil 10.30"


# --- storage: SQLite and PostgreSQL ------------------------------------------------------------

BAD = ["Bo\x00", "\ud800", "x\udc00y", "\x00" * 5]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("name", BAD)
def test_a_bad_name_on_the_join_api_is_a_400_and_no_seat(client, session, name):
    body = json.dumps({"code": session.code, "name": name})  # \u0000, \ud800 as JSON escapes
    answer = client.post("/api/join/", body, "application/json")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid" and answer.json()["reason"]
    assert Player.objects.filter(session=session).count() == 0
    session.refresh_from_db()
    assert session.state["players"] == {} and session.version == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_nul_in_a_name_on_the_join_page_is_refused_politely(client, session):
    page = client.post("/join/", {"code": session.code, "name": "Bo\x00"})
    assert page.status_code == 400
    assert Player.objects.filter(session=session).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_good_name_with_odd_white_space_is_stored_cleaned(client, session):
    body = json.dumps({"code": session.code, "name": " A\u030ase\tBo \u202e"})
    answer = client.post("/api/join/", body, "application/json")
    assert answer.status_code == 201
    player = Player.objects.get(session=session)
    assert player.name == "Åse Bo"
    session.refresh_from_db()
    assert session.state["players"][player.pid]["name"] == "Åse Bo"


def _to_ideas_round(session: Session) -> None:
    """Forward to the mini case's ideas round (the last but one)."""
    case = session.case
    target = next(i for i, r in enumerate(case.rounds) if any(t.type == "ideas" for t in r.tasks))
    actions.perform(session.pk, {"kind": "start"}, actor="host")
    for _ in range(target):
        actions.perform(session.pk, {"kind": "advance"}, actor="host")


def _to_reflection_round(session: Session) -> None:
    case = session.case
    target = next(i for i, r in enumerate(case.rounds) if r.reflection)
    actions.perform(session.pk, {"kind": "start"}, actor="host")
    for _ in range(target):
        actions.perform(session.pk, {"kind": "advance"}, actor="host")


async def _no_server_error(session, frames: list[tuple[Client, dict]]) -> None:
    """Each frame is taken (cleaned: game.protocol drops control characters) or refused
    politely; never a server_error, and the connection goes on."""
    for client, message in frames:
        answer = await client.send(**message)
        assert answer["type"] in ("ok", "error"), answer
        assert answer.get("code") != "server_error", answer
    ping = await frames[0][0].send(type="ping", ref="still-there")
    assert ping["type"] == "pong" and ping["ref"] == "still-there"


def _stored_text_is_clean(session) -> None:
    """Nothing stored holds a NUL, a control character or a lone surrogate."""
    state = Session.objects.get(pk=session.pk).state
    log = list(Event.objects.filter(session=session).values_list("action", "events"))
    for blob in (state, log):
        text = json.dumps(blob, ensure_ascii=False)
        text.encode("utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
        assert "\\u0000" not in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "bad",
    ["an idea\x00", "\x00", "ok\x07", "x\ud800y"],
    ids=["nul", "only-nul", "bell", "surrogate"],
)
async def test_a_nul_in_an_idea_or_a_message_is_never_a_server_error(
    formed_session, seats, alice, bad
):
    await database_sync_to_async(_to_ideas_round)(formed_session)
    bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
    host = Client(connect(f"/ws/host/{formed_session.code}/", user=alice), "host")
    await bo.connect()
    await host.connect()
    try:
        await _no_server_error(
            formed_session,
            [(bo, {"type": "idea", "text": bad}), (host, {"type": "message", "text": bad})],
        )
        good = await bo.send(type="idea", text="Lektiecafé\tfor alle")
        assert good["type"] == "ok"
    finally:
        await bo.close()
        await host.close()
    await database_sync_to_async(_stored_text_is_clean)(formed_session)
    state = await database_sync_to_async(lambda: Session.objects.get(pk=formed_session.pk).state)()
    texts = [i["text"] for c in state["committees"].values() for i in c["ideas"] if i["author"]]
    assert texts[-1] == "Lektiecafé for alle"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_a_nul_in_a_reflection_is_never_a_server_error_and_line_breaks_are_kept(
    formed_session, seats
):
    await database_sync_to_async(_to_reflection_round)(formed_session)
    question = formed_session.case.reflection[0].id
    bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
    await bo.connect()
    try:
        await _no_server_error(
            formed_session, [(bo, {"type": "reflect", "question": question, "text": "a\x00b"})]
        )
        good = await bo.send(type="reflect", question=question, text="Først\r\nså  ")
        assert good["type"] == "ok"
    finally:
        await bo.close()
    await database_sync_to_async(_stored_text_is_clean)(formed_session)
    state = await database_sync_to_async(lambda: Session.objects.get(pk=formed_session.pk).state)()
    answers = [r[question] for c in state["committees"].values() for r in c["reflections"].values()]
    assert answers == ["Først\nså"]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["an idea\x00", "x\ud800", "ok\x1b[31m"])
def test_the_rules_refuse_what_would_break_storage_on_any_path(formed_session, seats, bad):
    """Not only the websocket: the actions layer (commands, bots, views) refuses it too."""
    _to_ideas_round(formed_session)
    before = Event.objects.filter(session=formed_session).count()
    with pytest.raises(rules.Refused) as exc:
        actions.perform(
            formed_session.pk, {"kind": "idea", "player": seats["Bo"][0], "text": bad}, actor="x"
        )
    assert exc.value.code == "invalid"
    with pytest.raises(rules.Refused):
        actions.perform(formed_session.pk, {"kind": "message", "text": bad}, actor="host")
    assert Event.objects.filter(session=formed_session).count() == before
