"""The host and the room, below the browser: renaming and hiding a name, the timer that
starts itself, the host's message kept or cleared on advance, the step back the phones
are told about, what the big screen may count, and the host's read-only preview of a phone.

Host alice runs ``formed_session`` (the mini case): committee 1 is Bo, Dan, Finn and
Hal (igangsætter, facilitator, katalysator, persona P1 with the secret interests
"secret1"), committee 2 is Cai, Eva, Gry and Ida. Mallory is another host.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from game import actions, rules
from game.consumers import seat_cookie
from game.models import Event, Session
from tests.support import Client, connect, everyone_until

pytestmark = [pytest.mark.django_db(transaction=True)]


def perform(session: Session, **action: Any) -> actions.Done:
    return actions.perform(session.pk, action, actor="host")


def state(session: Session) -> dict:
    return Session.objects.get(pk=session.pk).state


@pytest.fixture
async def room(formed_session, seats, alice):
    """The host, the projector and Bo (committee 1) and Cai (committee 2) connected."""
    session = formed_session
    opened: list[Client] = []

    async def open_client(path: str, name: str, **kw: Any) -> Client:
        client = Client(connect(path, **kw), name)
        opened.append(client)
        assert (await client.connect())["type"] == "snapshot"
        return client

    class Room:
        def __init__(self, host: Client, projector: Client, bo: Client, cai: Client) -> None:
            self.host, self.projector, self.bo, self.cai = host, projector, bo, cai
            self.everyone = [host, projector, bo, cai]

        async def host_sends(self, **message: Any) -> dict:
            answer = await self.host.send(**message)
            if answer["type"] == "ok":
                await everyone_until(self.everyone, answer["v"])
            return answer

    def seat(name: str) -> dict:
        return {"cookies": {seat_cookie(session.code): seats[name][1]}}

    r = Room(
        await open_client(f"/ws/host/{session.code}/", "alice", user=alice),
        await open_client(f"/ws/projector/{session.code}/", "projector", user=alice),
        await open_client(f"/ws/play/{session.code}/", "Bo", **seat("Bo")),
        await open_client(f"/ws/play/{session.code}/", "Cai", **seat("Cai")),
    )
    v = await database_sync_to_async(lambda: Session.objects.get(pk=session.pk).version)()
    await everyone_until(r.everyone, v)
    yield r
    for client in opened:
        await client.close()


def names_seen(client: Client) -> set[str]:
    """Every player name a viewer's view holds, wherever it is."""
    view = client.view
    out: set[str] = set()
    for c in (view.get("committees") or {}).values():
        out |= {m["name"] for m in c["members"]}
    if view.get("committee"):
        out |= {m["name"] for m in view["committee"]["members"]}
    out |= {p["name"] for p in (view.get("players") or {}).values()}
    out |= set((view.get("lobby") or {}).get("names", []))
    return out


# --- rename and hide --------------------------------------------------------------------


async def test_the_host_renames_a_player_and_every_screen_shows_the_new_name(room, seats):
    bo = seats["Bo"][0]
    answer = await room.host_sends(type="rename", player=bo, name="  Bo   Bøgh ")
    assert answer["type"] == "ok"
    for client in (room.host, room.projector, room.bo):
        assert "Bo Bøgh" in names_seen(client) and "Bo" not in names_seen(client)
    assert room.bo.view["me"]["name"] == "Bo Bøgh"
    events = await database_sync_to_async(
        lambda: list(Event.objects.filter(kind="rename").values_list("events", flat=True))
    )()
    assert events == [[{"kind": "rename", "player": bo, "name": "Bo Bøgh", "hidden": False}]]


async def test_hiding_a_name_shows_a_neutral_one_everywhere_and_logs_it(room, seats):
    hal = seats["Hal"][0]
    answer = await room.host_sends(type="rename", player=hal, name="Spiller 7", hide=True)
    assert answer["type"] == "ok"
    for client in (room.host, room.projector, room.bo):
        assert "Spiller 7" in names_seen(client) and "Hal" not in names_seen(client)
    assert "Hal" not in json.dumps(room.projector.view)
    log = await database_sync_to_async(lambda: Event.objects.filter(kind="rename").get().events)()
    assert log == [{"kind": "rename", "player": hal, "name": "Spiller 7", "hidden": True}]


async def test_a_bad_rename_is_refused_politely_and_changes_nothing(room, seats, formed_session):
    players = await database_sync_to_async(state)(formed_session)
    for message, code in (
        ({"player": seats["Bo"][0], "name": "   "}, "invalid"),
        ({"player": seats["Bo"][0], "name": "x" * 41}, "invalid"),
        ({"player": seats["Bo"][0], "name": "Bo"}, "invalid"),  # the name it has
        ({"player": "999", "name": "Ny"}, "not_found"),
        ({"player": seats["Bo"][0], "name": "Ny", "hide": "maybe"}, "bad_message"),
    ):
        answer = await room.host.send(type="rename", **message)
        assert answer["type"] == "error" and answer["code"] == code, (message, answer)
        assert answer["reason"]  # said in words
    after = await database_sync_to_async(state)(formed_session)
    assert after["players"] == players["players"]  # nothing changed
    renames = await database_sync_to_async(Event.objects.filter(kind="rename").count)()
    assert renames == 0
    # A clash is told apart, as at joining: Cai's name taken gives "Cai (2)".
    answer = await room.host_sends(type="rename", player=seats["Bo"][0], name="cai")
    assert answer["type"] == "ok" and "cai (2)" in names_seen(room.host)
    # A player cannot rename anyone, not even themselves.
    refused = await room.bo.send(type="rename", player=seats["Bo"][0], name="Boss")
    assert refused["code"] == "unknown_type"


# --- the timer that starts itself -----------------------------------------------------------


async def test_a_round_with_decisions_starts_its_timer_by_itself(room):
    answer = await room.host_sends(type="start")  # round 0 has no decisions: not started
    assert answer["type"] == "ok"
    timer = room.bo.view["session"]["timer"]
    assert timer["ends_at"] is None and timer["started"] is False  # the clocks say "not started"
    before = time.time()
    answer = await room.host_sends(type="advance")
    for client in room.everyone:
        timer = client.view["session"]["timer"]
        assert timer["started"] is True
        assert before + 600 <= timer["ends_at"] <= time.time() + 600 + 1  # r1: 10 minutes


def test_without_autostart_the_timer_waits_for_the_host(alice, mini_case, seats):
    session = actions.create_session(
        host=alice, case_version=mini_case, options={"size": 4, "autostart_timer": False}
    )
    for name in ("Bo", "Cai", "Dan"):
        actions.join(session, name)
    perform(session, kind="form")
    perform(session, kind="start", now=1000.0)
    perform(session, kind="advance", now=1000.0)
    now = state(session)
    assert now["timer"]["ends_at"] is None and now["timer_started"] is False
    perform(session, kind="timer", op="start", now=1000.0)
    assert state(session)["timer"]["ends_at"] == 1000.0 + 600 and state(session)["timer_started"]


def test_the_create_form_offers_autostart_ticked(client, alice, mini_case):
    client.force_login(alice)
    page = client.get("/host/").text
    assert 'data-testid="create-autostart-timer" checked' in page
    client.post("/host/", {"case_version": mini_case.pk, "size": 4, "autostart_timer": "on"})
    assert Session.objects.get().state["options"]["autostart_timer"] is True


# --- the host's message: cleared on advance unless kept ------------------------------------------


async def test_the_message_is_cleared_on_advance_unless_the_host_keeps_it(room):
    await room.host_sends(type="start")
    await room.host_sends(type="message", text="Pause til 10.15")
    assert room.bo.view["session"]["message"] == "Pause til 10.15"
    await room.host_sends(type="advance")
    for client in room.everyone:
        assert client.view["session"]["message"] == ""  # it belonged to its round
    await room.host_sends(type="message", text="Husk kaffen", keep=True)
    assert room.host.view["session"]["message_keep"] is True
    await room.host_sends(type="advance")
    for client in room.everyone:
        assert client.view["session"]["message"] == "Husk kaffen"  # kept, as asked


# --- a step back: the phones are told ---------------------------------------------------------


async def test_the_phones_are_told_when_the_host_steps_back(room):
    await room.host_sends(type="start")
    await room.host_sends(type="advance")
    await room.host_sends(type="advance")
    assert room.bo.view["session"]["stepped_back"] is False
    await room.host_sends(type="back")
    for client in (room.bo, room.cai, room.projector):
        assert client.view["session"]["stepped_back"] is True
        assert client.view["session"]["round"] == 1
    await room.host_sends(type="advance")
    assert room.bo.view["session"]["stepped_back"] is False


# --- what the big screen counts -------------------------------------------------------------------


async def test_the_projector_counts_voters_and_shows_the_split_after_a_lock(room, seats):
    await room.host_sends(type="start")
    await room.host_sends(type="advance")
    vote = await room.bo.send(type="vote", key="fokus", value=["f1"])
    await everyone_until(room.everyone, vote["v"])
    c1 = room.projector.view["committees"]["1"]
    fokus = next(d for d in c1["decisions"] if d["key"] == "fokus")
    assert fokus["votes"] == 1 and "tally" not in fokus  # how many, not what
    assert c1["answered"] == 0  # Bo has not answered the round's other questions yet
    lock = await room.bo.send(type="lock", key="fokus")
    await everyone_until(room.everyone, lock["v"])
    fokus = next(
        d for d in room.projector.view["committees"]["1"]["decisions"] if d["key"] == "fokus"
    )
    assert fokus["tally"] == {"f1": 1} and {o["id"] for o in fokus["options"]} == {"f1", "f2"}
    assert "voted" not in fokus and set(fokus["tally"]) <= {"f1", "f2"}  # counts, no voters


# --- the host's preview of a phone ----------------------------------------------------------


def test_a_preview_shows_that_seat_only_and_no_other_seats_private_card(
    client, alice, formed_session, seats
):
    session = formed_session
    perform(session, kind="start")
    client.force_login(alice)
    roles = state(session)["committees"]["1"]["roles"]
    hal, bo = seats["Hal"][0], seats["Bo"][0]
    assert roles[hal] == "p1" and roles[bo] == "ig"
    # Bo's phone: his own role card, nothing of Hal's secret persona card.
    data = client.get(f"/host/{session.code}/preview/{bo}/view.json").json()
    assert data["view"]["me"]["id"] == bo and data["view"]["me"]["card"]["id"] == "ig"
    assert "secret1" not in json.dumps(data)
    # Hal's phone shows his secret interests: it is what his phone shows.
    data = client.get(f"/host/{session.code}/preview/{hal}/view.json").json()
    assert data["view"]["me"]["card"]["interests"] == "secret1"
    # The page: the player's page, fed from the view, read-only (no websocket is opened).
    page = client.get(f"/host/{session.code}/preview/{bo}/")
    assert page.status_code == 200 and "secret1" not in page.text
    assert 'id="preview-data"' in page.text and "js/preview.js" in page.text
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    # No presence: the preview is not a connection of the seat.
    assert state(session)["players"][bo]["online"] == 0


def test_only_the_sessions_host_may_preview(client, alice, mallory, formed_session, seats):
    bo = seats["Bo"][0]
    url = f"/host/{formed_session.code}/preview/{bo}/view.json"
    assert client.get(url).status_code == 302  # not logged in: the login page
    client.force_login(mallory)
    assert client.get(url).status_code == 404  # another host's session does not exist for her
    client.force_login(alice)
    assert client.get(f"/host/{formed_session.code}/preview/999/view.json").status_code == 404


def test_rename_is_a_rules_action_with_a_refusal_for_every_bad_input(school_case):
    case = school_case.parsed()
    s = rules.new_state(case)
    s, _ = rules.apply(case, s, {"kind": "join", "player": "1", "name": "Anna"})
    for action in (
        {"kind": "rename"},
        {"kind": "rename", "player": "1", "name": None},
        {"kind": "rename", "player": "1", "name": "Anna", "hide": True},
        {"kind": "rename", "player": 1, "name": "Bo"},
        {"kind": "rename", "player": "1", "name": "Bo", "hide": 1},
    ):
        with pytest.raises(rules.Refused):
            rules.apply(case, s, action)
    s2, events = rules.apply(case, s, {"kind": "rename", "player": "1", "name": "Bo", "hide": True})
    assert s2["players"]["1"]["name"] == "Bo" and s2["players"]["1"]["hidden"] is True
    assert s["players"]["1"]["name"] == "Anna"  # the state passed in is never changed
