"""The websocket consumers, with the named people: every message kind of every viewer.

Host alice runs ``formed_session`` (the mini case): committee 1 is Bo, Dan, Finn
and Hal (igangsætter, facilitator, katalysator, persona), committee 2 is Cai,
Eva, Gry and Ida. Mallory is another host; the outsider has no cookie and no
login. Each client is a ``Client``: it keeps its view as a browser page does
(snapshot, then the patches of every event) and fails on a version gap.
Every communicator is disconnected at the end of its test (the ``clients``
fixture), and ``nothing()`` proves that nothing else arrived.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import translation
from django.utils.translation import gettext

from game import actions, consumers, protocol
from game.consumers import BUCKET_RATE, BUCKET_SIZE, presence_settled, seat_cookie
from game.models import Event, Session
from tests.support import QUIET, WAIT, Client, connect, everyone_until, player_client

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@database_sync_to_async
def db_version(session: Session) -> int:
    return Session.objects.get(pk=session.pk).version


async def host_does(session: Session, **action: Any) -> int:
    """A host action through the actions layer (broadcast too); returns the new version."""
    done = await actions.aperform(session.pk, action, actor="host")
    return done.version


@pytest.fixture
async def clients(transactional_db):
    """Opens clients by name; disconnects every one of them when the test ends."""
    opened: list[Client] = []

    async def open_client(
        path: str, *, name: str, cookies: dict | None = None, user=None
    ) -> Client:
        client = Client(connect(path, cookies=cookies, user=user), name)
        opened.append(client)
        first = await client.connect()
        assert first["type"] == "snapshot", first
        return client

    yield open_client
    for client in opened:
        await client.close()


@pytest.fixture
def people(session, seats, alice, clients):
    """Clients for the named people: ``await people.player("Bo")``, ``await people.host()`` ..."""

    class People:
        async def player(self, name: str, **cookies: str) -> Client:
            pid, token = seats[name]
            jar = {seat_cookie(session.code): token, **cookies}
            return await clients(f"/ws/play/{session.code}/", name=name, cookies=jar)

        async def host(self) -> Client:
            return await clients(f"/ws/host/{session.code}/", name="alice", user=alice)

        async def projector(self) -> Client:
            return await clients(f"/ws/projector/{session.code}/", name="projector", user=alice)

        async def settle(self, *cs: Client) -> int:
            """Wait until every client has seen the session's latest version.

            Presence is written by the process's presence writer, a moment
            after the connect or close that caused it: wait for that first.
            """
            await presence_settled()
            v = await db_version(session)
            await everyone_until(list(cs), v)
            return v

    return People()


def pid_of(seats: dict, name: str) -> str:
    return seats[name][0]


async def running_at(session: Session, round_index: int) -> int:
    v = await host_does(session, kind="start")
    for _ in range(round_index):
        v = await host_does(session, kind="advance")
    return v


# --- who may connect ----------------------------------------------------------------------


async def refused(communicator, code: str, close_code: int) -> None:
    """The connection gets one error frame, then the close code, and nothing else."""
    connected, _ = await communicator.connect()
    assert connected  # accepted first, so that the client can read why it is closed
    frame = json.loads((await communicator.receive_output(WAIT))["text"])
    assert frame["type"] == "error" and frame["code"] == code and frame["reason"]
    assert await communicator.receive_output(WAIT) == {
        "type": "websocket.close",
        "code": close_code,
    }
    assert await communicator.receive_nothing(QUIET)
    await communicator.disconnect()


async def test_the_outsider_has_no_seat(formed_session):
    await refused(connect(f"/ws/play/{formed_session.code}/"), "no_seat", 4401)


async def test_a_seat_of_another_session_is_refused(formed_session, seats, mallory, mini_case):
    other = await database_sync_to_async(actions.create_session)(
        host=mallory, case_version=mini_case, options={}
    )
    _player, token, _done = await database_sync_to_async(actions.join)(other, "Mo")
    # Mo's token under alice's session's cookie name, and Bo's under the other session's.
    cookie = {seat_cookie(formed_session.code): token}
    await refused(connect(f"/ws/play/{formed_session.code}/", cookies=cookie), "no_seat", 4401)
    cookie = {seat_cookie(other.code): seats["Bo"][1]}
    await refused(connect(f"/ws/play/{other.code}/", cookies=cookie), "no_seat", 4401)
    cookie = {seat_cookie(formed_session.code): "forged-token"}
    await refused(connect(f"/ws/play/{formed_session.code}/", cookies=cookie), "no_seat", 4401)


@pytest.mark.parametrize("endpoint", ["host", "projector"])
async def test_another_host_is_refused_and_gets_no_data(formed_session, mallory, endpoint):
    path = f"/ws/{endpoint}/{formed_session.code}/"
    await refused(connect(path, user=mallory), "not_host", 4403)
    await refused(connect(path), "not_host", 4403)  # no login at all


@pytest.mark.parametrize(
    ("endpoint", "code", "close"),
    [("play", "no_seat", 4401), ("host", "not_host", 4403), ("projector", "not_host", 4403)],
)
async def test_an_unknown_code_is_refused(alice, endpoint, code, close):
    # An unknown code is refused as a real one would be: codes cannot be probed.
    await refused(connect(f"/ws/{endpoint}/ZZZZZZ/", user=alice), code, close)


# --- snapshots ---------------------------------------------------------------------------


async def test_each_viewer_gets_a_snapshot_with_nothing_private_of_others(
    formed_session, seats, people
):
    session = formed_session
    v = await running_at(session, 1)
    cai = pid_of(seats, "Cai")
    await actions.aperform(
        session.pk, {"kind": "vote", "player": cai, "key": "fokus", "value": ["f2"]}, actor="t"
    )
    host = await people.host()
    assert host.v == await db_version(session) == v + 1
    assert host.view["committees"]["2"]["decisions"][0]["voted"] == [cai]
    projector = await people.projector()
    assert projector.v == v + 1
    text = json.dumps(projector.view)
    assert "secret1" not in text and '"me"' not in text and "voted" not in text
    assert all("seated" not in c and "log" not in c for c in projector.view["committees"].values())
    bo = await people.player("Bo")
    assert bo.v == v + 1  # the same version as the others saw
    assert set(bo.view) == {"session", "case", "joined", "committee", "me"}
    assert bo.view["committee"]["id"] == "1"
    assert [m["name"] for m in bo.view["committee"]["members"]] == ["Bo", "Dan", "Finn", "Hal"]
    assert bo.view["committee"]["decisions"][0]["voted"] == []  # Cai's vote is not here
    assert bo.view["me"]["role"] == "ig" and bo.view["me"]["card"]["kind"] == "role"
    assert "secret1" not in json.dumps(bo.view)  # Hal's persona card
    hal = await people.player("Hal")
    assert hal.view["me"]["card"]["interests"] == "secret1"
    await people.settle(host, projector, bo, hal)


# --- a vote, as everyone sees it -------------------------------------------------------------


async def test_a_vote_reaches_the_committee_the_host_and_the_projector_only_as_public_info(
    formed_session, seats, people
):
    await running_at(formed_session, 1)
    host, projector = await people.host(), await people.projector()
    bo, dan, cai = await people.player("Bo"), await people.player("Dan"), await people.player("Cai")
    v = await people.settle(host, projector, bo, dan, cai)
    cai_before = len(cai.events)

    ok = await bo.send(type="vote", key="fokus", value=["f1"], ref="v1")
    assert ok == {"type": "ok", "ref": "v1", "v": v + 1, "seen": v + 1}
    bo_event, dan_event = await bo.event(), await dan.event()
    host_event, projector_event = await host.event(), await projector.event()
    for frame in (bo_event, dan_event, host_event, projector_event):
        assert frame["v"] == v + 1
    # Committee 1 sees the tally and who voted; Bo also sees his own vote.
    decision = dan.view["committee"]["decisions"][0]
    assert decision["voted"] == [pid_of(seats, "Bo")] and decision["tally"] == {"f1": 1}
    assert [path for path, _value in dan_event["patch"]] == [["committee"]]
    assert bo.view["me"]["votes"] == {"fokus": ["f1"]}
    assert {tuple(path) for path, _value in bo_event["patch"]} == {("committee",), ("me",)}
    # The host sees committee 1 change, and nothing else.
    assert [path for path, _value in host_event["patch"]] == [["committees", "1"]]
    assert host.view["committees"]["1"]["decisions"][0]["tally"] == {"f1": 1}
    # The projector: the fokus task is not public, so not the tally and not who voted, only
    # how many have (the room's "3 of 4 have voted"); committee 2: nothing.
    assert [path for path, _value in projector_event["patch"]] == [["committees", "1"]]
    seen = projector.view["committees"]["1"]["decisions"][0]
    assert seen["votes"] == 1 and "tally" not in seen and "voted" not in seen
    assert "Bo" not in json.dumps(seen) and "f1" not in json.dumps(seen)
    # Cai sits in committee 2: a vote in committee 1 sends him no frame at all.
    for client in (bo, dan, host, projector, cai):
        assert await client.nothing()
    assert len(cai.events) == cai_before


async def test_the_projector_sees_the_idea_wall_but_no_private_tally(formed_session, people):
    await running_at(formed_session, 2)
    projector, finn = await people.projector(), await people.player("Finn")
    await people.settle(projector, finn)
    ok = await finn.send(type="idea", text="Skolebus")
    await everyone_until([projector, finn], ok["v"])
    (idea,) = projector.view["committees"]["1"]["ideas"]
    assert idea["text"] == "Skolebus" and idea["author"] is None  # the wall shows no authors
    ideas = next(d for d in projector.view["committees"]["1"]["decisions"] if d["key"] == "ideer")
    assert ideas == {
        "key": "ideer",
        "type": "ideas",
        "prompt": "p",
        "locked": None,
        "public": False,
        "votes": 0,  # how many have put dots, no names
        "keep": 2,  # how many ideas go forward: the wall groups them
    }


# --- what a player may send ----------------------------------------------------------------


async def test_players_send_only_player_messages(formed_session, people):
    await running_at(formed_session, 1)
    bo, host = await people.player("Bo"), await people.host()
    v = await people.settle(bo, host)
    for kind in sorted(protocol.KINDS["host"] - protocol.KINDS["player"]):
        error = await bo.send(type=kind, ref=kind)
        assert error == {
            "type": "error",
            "code": "unknown_type",
            "reason": error["reason"],
            "ref": kind,
        }
    assert await db_version(formed_session) == v
    assert await host.nothing()
    assert (await bo.send(type="ping"))["type"] == "pong"  # still open


async def test_the_projector_and_the_host_send_only_their_own_messages(formed_session, people):
    await running_at(formed_session, 1)
    projector, host = await people.projector(), await people.host()
    v = await people.settle(projector, host)
    for kind in sorted(protocol.KINDS["host"] | protocol.KINDS["player"]):
        if kind not in ("sync", "ping"):
            assert (await projector.send(type=kind))["code"] == "unknown_type"
    for kind in ("vote", "lock", "idea", "reflect"):
        assert (await host.send(type=kind, key="fokus", value=["f1"]))["code"] == "unknown_type"
    assert await db_version(formed_session) == v
    await asyncio.sleep(1)  # over 20 frames in a burst: let the per-connection bucket refill
    assert (await projector.send(type="sync", ref=1))["type"] == "snapshot"


MALFORMED = [
    ("not json", None, "bad_json"),
    ("[1, 2]", None, "bad_json"),
    ('"vote"', None, "bad_json"),
    ("{}", None, "unknown_type"),
    ('{"type": "fly"}', None, "unknown_type"),
    ('{"type": "vote", "key": "fokus", "value": ["f1"], "extra": 1}', None, "bad_message"),
    ('{"type": "vote", "key": "fokus", "value": ["f1"], "player": "3"}', None, "bad_message"),
    ('{"type": "vote", "key": 5, "value": ["f1"]}', None, "bad_message"),
    ('{"type": "vote", "key": "fokus"}', None, "bad_message"),
    ('{"type": "vote", "key": "fokus", "value": [[1]]}', None, "bad_message"),
    ('{"type": "idea", "text": null}', None, "bad_message"),
    ('{"type": "vote", "key": "' + "k" * 20_000 + '", "value": []}', None, "too_large"),
    (None, b'{"type": "ping"}', "bad_json"),
    ("[" * 5000 + "]" * 5000, None, "bad_json"),  # nesting deeper than the JSON parser goes
    (
        '{"type": "vote", "key": "fokus", "value": ' + "[" * 3000 + "]" * 3000 + "}",
        None,
        "bad_json",
    ),
]


async def test_malformed_frames_are_refused_and_the_connection_works_afterwards(
    formed_session, people
):
    await running_at(formed_session, 1)
    bo, dan = await people.player("Bo"), await people.player("Dan")
    v = await people.settle(bo, dan)
    for text, data, code in MALFORMED:
        error = await bo.send_raw(text, data)
        assert error["type"] == "error" and error["code"] == code, (text, error)
        assert isinstance(error["reason"], str) and error["reason"]
    error = await bo.send(type="vote", key="fokus", value="f1", ref=7)  # a choice is a list
    assert (error["code"], error["ref"]) == ("invalid", 7)
    assert await db_version(formed_session) == v
    assert await dan.nothing()
    assert (await bo.send(type="vote", key="fokus", value=["f1"]))["type"] == "ok"


async def test_a_player_acts_only_in_their_own_seat(formed_session, seats, people):
    await running_at(formed_session, 1)
    bo, host = await people.player("Bo"), await people.host()
    await people.settle(bo, host)
    error = await bo.send(type="vote", key="fokus", value=["f1"], player=pid_of(seats, "Dan"))
    assert error["code"] == "bad_message" and "player" in error["reason"]
    ok = await bo.send(type="vote", key="fokus", value=["f2"])
    await host.until(ok["v"])
    events = await database_sync_to_async(
        lambda: list(
            Event.objects.filter(session=formed_session, kind="vote").values_list("events", "actor")
        )
    )()
    assert events == [
        (
            [
                {
                    "kind": "vote",
                    "committee": "1",
                    "player": pid_of(seats, "Bo"),
                    "key": "fokus",
                    "value": ["f2"],
                }
            ],
            f"player:{pid_of(seats, 'Bo')}",
        )
    ]


async def test_a_burst_of_frames_is_slowed_down(formed_session, people):
    bo = await people.player("Bo")
    await people.settle(bo)
    await asyncio.sleep(2 / BUCKET_RATE)  # the bucket full again after settle's ping
    burst = 2 * BUCKET_SIZE
    for i in range(burst):
        await bo.communicator.send_to(text_data=json.dumps({"type": "ping", "ref": i}))
    answers = [await bo.reply() for _ in range(burst)]
    kinds = [a["type"] if a["type"] == "pong" else a["code"] for a in answers]
    assert kinds.count("pong") >= BUCKET_SIZE and kinds.count("slow_down") >= 1, kinds
    assert set(kinds) == {"pong", "slow_down"}
    # Every frame is answered with its own ref, the slowed-down ones too.
    assert [a["ref"] for a in answers] == list(range(burst))
    # While slowed down, even a frame nested too deep to read is answered, not fatal.
    answer = await bo.send_raw("[" * 5000 + "]" * 5000)
    assert answer["code"] == "slow_down" and answer["ref"] is None
    await asyncio.sleep(0.3)  # the bucket fills up again
    assert (await bo.send(type="ping"))["type"] == "pong"


async def test_the_error_reason_is_danish_by_default_and_english_on_request(formed_session, people):
    bo = await people.player("Bo")
    cai = await people.player("Cai", django_language="en")
    await people.settle(bo, cai)
    english = "The session is not running."
    with translation.override("da"):
        danish = gettext(english)
    da = await bo.send(type="vote", key="fokus", value=["f1"])
    en = await cai.send(type="vote", key="fokus", value=["f1"])
    assert (da["code"], en["code"]) == ("closed", "closed")
    assert en["reason"] == english
    assert da["reason"] == danish
    if danish == english:
        pytest.skip("no Danish catalogue yet (locale/da): the default reason is still English")
    assert da["reason"] != english


# --- every player message ---------------------------------------------------------------------


async def test_vote_lock_idea_and_reflect_with_their_refusals(formed_session, seats, people):
    session = formed_session
    await running_at(session, 1)
    bo, dan, finn, host = (
        await people.player("Bo"),
        await people.player("Dan"),
        await people.player("Finn"),
        await people.host(),
    )
    await people.settle(bo, dan, finn, host)
    group = [bo, dan, finn, host]
    # vote and lock: the lead (Bo, igangsætter) locks; Dan may not.
    assert (await bo.send(type="idea", text="too early"))["code"] == "invalid"
    assert (await bo.send(type="vote", key="nope", value=["f1"]))["code"] == "not_found"
    assert (await bo.send(type="vote", key="fokus", value=["f9"]))["code"] == "invalid"
    ok = await dan.send(type="vote", key="fokus", value=["f2"])
    await everyone_until(group, ok["v"])
    assert (await dan.send(type="lock", key="fokus"))["code"] == "not_allowed"
    ok = await bo.send(type="lock", key="fokus", value=["f1"])  # against Dan: the politician card
    await everyone_until(group, ok["v"])
    locked = bo.view["committee"]["decisions"][0]
    assert locked["locked"] == ["f1"] and locked["politician_card"] is True
    assert bo.view["committee"]["politician_cards"] == 1
    assert (await dan.send(type="vote", key="fokus", value=["f1"]))["code"] == "locked"
    # idea: in the idea round; Finn (katalysator) locks the ideas.
    v = await host_does(session, kind="advance")
    await everyone_until(group, v)
    ok = await dan.send(type="idea", text="Fælles skolebus", ref="i")
    assert ok["ref"] == "i"
    await everyone_until(group, ok["v"])
    assert [i["text"] for i in finn.view["committee"]["ideas"]][-1] == "Fælles skolebus"
    assert (await dan.send(type="idea", text="   "))["code"] == "invalid"
    assert (await bo.send(type="lock", key="ideer"))["code"] == "not_allowed"
    ok = await finn.send(type="lock", key="ideer")
    await everyone_until(group, ok["v"])
    assert (await dan.send(type="idea", text="late"))["code"] == "locked"
    # reflect: only in the reflection round.
    assert (await bo.send(type="reflect", question="q1", text="Ja"))["code"] == "invalid"
    v = await host_does(session, kind="advance")
    v = await host_does(session, kind="advance")
    await everyone_until(group, v)
    assert bo.view["me"]["questions"] == [{"id": "q1", "text": "q"}]
    ok = await bo.send(type="reflect", question="q1", text="Mere samskabelse")
    await everyone_until(group, ok["v"])
    assert bo.view["me"]["reflections"] == {"q1": "Mere samskabelse"}
    assert host.view["committees"]["1"]["reflections"] == {
        pid_of(seats, "Bo"): {"q1": "Mere samskabelse"}
    }
    assert "reflections" not in dan.view["committee"] and dan.view["me"]["reflections"] == {}
    assert (await bo.send(type="reflect", question="q9", text="?"))["code"] == "not_found"
    for client in group:
        assert await client.nothing()


# --- every host message -----------------------------------------------------------------------


async def test_the_host_forms_the_committees_and_starts(session, seats, people):
    host, bo = await people.host(), await people.player("Bo")
    await people.settle(host, bo)
    assert bo.view["committee"] is None
    assert (await host.send(type="start"))["code"] == "invalid"  # no committees yet
    assert (await host.send(type="form", size=2))["code"] == "invalid"
    ok = await host.send(type="form", size=4, ref="f")
    assert ok == {"type": "ok", "ref": "f", "v": ok["v"], "seen": ok["seen"]}
    await everyone_until([host, bo], ok["v"])
    assert bo.view["committee"]["id"] == "1" and bo.view["me"]["role"] == "ig"
    assert sorted(host.view["committees"]) == ["1", "2"]
    ok = await host.send(type="start")
    await everyone_until([host, bo], ok["v"])
    assert bo.view["session"]["status"] == "running" == host.view["session"]["status"]
    assert (await host.send(type="start"))["code"] == "closed"
    assert (await host.send(type="form"))["code"] == "closed"


async def test_the_host_moves_removes_and_readmits(formed_session, seats, people):
    await running_at(formed_session, 1)
    host, bo, dan, cai = (
        await people.host(),
        await people.player("Bo"),
        await people.player("Dan"),
        await people.player("Cai"),
    )
    group = [host, bo, dan, cai]
    await people.settle(*group)
    bo_id, dan_id = pid_of(seats, "Bo"), pid_of(seats, "Dan")
    ok = await host.send(type="move", player=bo_id, committee="2")
    await everyone_until(group, ok["v"])
    assert bo.view["committee"]["id"] == "2"
    assert "Bo" in [m["name"] for m in cai.view["committee"]["members"]]
    assert "Bo" not in [m["name"] for m in dan.view["committee"]["members"]]
    assert host.view["players"][bo_id]["committee"] == "2"
    roles = [m["role"] for m in dan.view["committee"]["members"]]
    assert {"ig", "fa", "ka"} <= set(roles)  # Bo's igangsætter role was taken over
    assert (await host.send(type="move", player="999", committee="2"))["code"] == "not_found"
    assert (await host.send(type="move", player=bo_id, committee="9"))["code"] == "not_found"
    # A removed player's next vote is refused.
    ok = await host.send(type="remove", player=dan_id)
    await everyone_until(group, ok["v"])
    assert dan.view["me"]["removed"] is True and dan.view["committee"] is None
    assert host.view["players"][dan_id]["removed"] is True
    error = await dan.send(type="vote", key="fokus", value=["f1"])
    assert error["code"] == "not_allowed"
    assert (await host.send(type="remove", player=dan_id))["code"] == "invalid"
    ok = await host.send(type="readmit", player=dan_id)
    await everyone_until(group, ok["v"])
    assert dan.view["me"]["removed"] is False and dan.view["committee"]["id"] == "1"
    assert (await dan.send(type="vote", key="fokus", value=["f1"]))["type"] == "ok"
    assert (await host.send(type="readmit", player=dan_id))["code"] == "invalid"


async def test_the_host_runs_the_timer(formed_session, people):
    await running_at(formed_session, 1)
    host, bo = await people.host(), await people.player("Bo")
    await people.settle(host, bo)
    full = bo.view["session"]["timer"]["remaining"]
    ok = await host.send(type="timer", op="start")
    await everyone_until([host, bo], ok["v"])
    assert bo.view["session"]["timer"]["ends_at"] is not None
    assert (await host.send(type="timer", op="start"))["code"] == "invalid"
    ok = await host.send(type="timer", op="pause")
    await everyone_until([host, bo], ok["v"])
    assert bo.view["session"]["timer"]["ends_at"] is None
    ok = await host.send(type="timer", op="add", seconds=30)
    await everyone_until([host, bo], ok["v"])
    assert full + 29 <= bo.view["session"]["timer"]["remaining"] <= full + 30
    ok = await host.send(type="timer", op="resume")
    await everyone_until([host, bo], ok["v"])
    assert host.view["session"]["timer"]["ends_at"] is not None
    assert (await host.send(type="timer", op="stop"))["code"] == "bad_message"
    assert (await host.send(type="timer", op="add", seconds=0))["code"] == "invalid"
    assert (await host.send(type="timer", op="add", seconds="ten"))["code"] == "bad_message"


async def test_the_host_locks_all_advances_and_steps_back(formed_session, people):
    await running_at(formed_session, 1)
    host, bo, dan = await people.host(), await people.player("Bo"), await people.player("Dan")
    group = [host, bo, dan]
    await people.settle(*group)
    assert (await host.send(type="back"))["type"] == "ok"
    assert (await host.send(type="back"))["code"] == "invalid"
    ok = await host.send(type="advance")
    await everyone_until(group, ok["v"])
    await bo.send(type="vote", key="fokus", value=["f2"])
    ok = await dan.send(type="vote", key="fokus", value=["f2"])
    await everyone_until(group, ok["v"])
    ok = await host.send(type="lock_all")
    await everyone_until(group, ok["v"])
    decisions = {d["key"]: d for d in dan.view["committee"]["decisions"]}
    assert decisions["fokus"]["locked"] == ["f2"] and decisions["pladser"]["locked"] is None
    ok = await host.send(type="advance")
    await everyone_until(group, ok["v"])
    assert bo.view["session"]["round"] == 2 and bo.view["me"]["card"]["id"] == "ig"
    ok = await host.send(type="back")
    await everyone_until(group, ok["v"])
    assert dan.view["session"]["round"] == 1
    assert {d["key"]: d for d in dan.view["committee"]["decisions"]}["fokus"]["locked"] == ["f2"]


async def test_the_host_injects_into_one_committee_and_into_all(formed_session, people):
    await running_at(formed_session, 1)
    host, bo, cai = await people.host(), await people.player("Bo"), await people.player("Cai")
    await people.settle(host, bo, cai)
    ok = await host.send(type="inject", card="e1", committee="2")
    await everyone_until([host, cai], ok["v"])
    assert await bo.nothing()  # committee 1 is sent no frame for committee 2's card
    assert "inject:e1" in [d["key"] for d in cai.view["committee"]["decisions"]]
    assert "inject:e1" not in [d["key"] for d in bo.view["committee"]["decisions"]]
    assert (await host.send(type="inject", card="e1", committee="2"))["code"] == "invalid"
    assert (await host.send(type="inject", card="zz"))["code"] == "not_found"
    ok = await host.send(type="inject", card="d2")
    await everyone_until([host, bo, cai], ok["v"])
    for client in (bo, cai):
        card = next(d for d in client.view["committee"]["decisions"] if d["key"] == "inject:d2")
        assert card["card"]["title"] == "D2" and [o["id"] for o in card["options"]] == ["x", "y"]


async def test_the_hosts_message_reaches_everyone(formed_session, people):
    host, projector = await people.host(), await people.projector()
    bo, cai = await people.player("Bo"), await people.player("Cai")
    group = [host, projector, bo, cai]
    await people.settle(*group)
    ok = await host.send(type="message", text="Kaffepause til 10.15")
    await everyone_until(group, ok["v"])
    assert all(c.view["session"]["message"] == "Kaffepause til 10.15" for c in group)
    assert (await host.send(type="message", text="x" * 501))["code"] == "invalid"


async def test_the_host_ends_the_session(formed_session, people):
    await running_at(formed_session, 1)
    host, projector, bo = await people.host(), await people.projector(), await people.player("Bo")
    group = [host, projector, bo]
    await people.settle(*group)
    ok = await host.send(type="end")
    await everyone_until(group, ok["v"])
    assert all(c.view["session"]["status"] == "ended" for c in group)
    assert bo.view["committee"]["outcome"]["id"] in ("good", "bad")
    assert projector.view["committees"]["1"]["outcome"] == bo.view["committee"]["outcome"]
    assert bo.view["committee"]["meters"] is not None  # the numbers show at the end
    assert (await bo.send(type="vote", key="fokus", value=["f1"]))["code"] == "closed"
    assert (await host.send(type="end"))["code"] == "closed"


# --- sync, ping, reconnect, presence ------------------------------------------------------------


async def test_sync_returns_a_fresh_snapshot_and_ping_a_pong(formed_session, people):
    host, bo = await people.host(), await people.player("Bo")
    v = await people.settle(host, bo)
    snapshot = await bo.send(type="sync", ref="s")
    assert snapshot["type"] == "snapshot" and snapshot["v"] == v and snapshot["ref"] == "s"
    # The pong carries the session's version: a client behind it missed a frame.
    assert await bo.send(type="ping", ref=3) == {"type": "pong", "ref": 3, "v": v}
    assert await host.send(type="ping") == {"type": "pong", "ref": None, "v": v}
    snapshot = await host.send(type="sync")
    assert snapshot["v"] == v and snapshot["view"] == host.view


async def test_a_ping_is_answered_while_the_database_is_busy(formed_session, people, monkeypatch):
    """Every database call of a process runs in one thread; a slow one (a round change
    in a big session) holds up no one's ping, as a consumer does not go into that
    thread for each message it handles (it is held here until the pong has come)."""
    monkeypatch.setattr(consumers, "VERSION_FRESH", 1.0)  # as in production (conftest: 0)
    monkeypatch.setattr(consumers, "PONG_WAITS", False)
    bo = await people.player("Bo")
    v = await people.settle(bo)
    assert (await bo.send(type="ping", ref=1))["v"] == v  # the figure pongs use: fresh now
    release = threading.Event()
    busy = asyncio.ensure_future(database_sync_to_async(release.wait)(30))
    try:
        assert await bo.send(type="ping", ref=2) == {"type": "pong", "ref": 2, "v": v}
    finally:
        release.set()
        await busy


async def test_a_reconnect_gets_a_fresh_snapshot_with_the_current_version(formed_session, people):
    bo = await people.player("Bo")
    await people.settle(bo)
    await bo.close()
    v = await host_does(formed_session, kind="message", text="Velkommen tilbage")
    again = await people.player("Bo")
    assert again.v == v  # the snapshot is taken before his own presence event
    assert again.view["session"]["message"] == "Velkommen tilbage"
    assert (await again.event())["v"] == v + 1  # then his presence
    assert again.v == await db_version(formed_session)


async def test_the_host_sees_who_is_online(formed_session, seats, people):
    host = await people.host()
    bo_id = pid_of(seats, "Bo")
    assert host.view["players"][bo_id]["online"] is False
    bo = await people.player("Bo")
    event = await host.event()
    assert [path for path, _v in event["patch"]] == [["players", bo_id], ["committees", "1"]]
    assert host.view["players"][bo_id]["online"] is True
    assert next(m for m in host.view["committees"]["1"]["members"] if m["id"] == bo_id)["online"]
    await bo.close()
    await host.event()
    assert host.view["players"][bo_id]["online"] is False


async def test_a_fault_in_the_server_is_a_polite_error_and_changes_nothing(
    formed_session, people, monkeypatch
):
    bo = await people.player("Bo")
    await people.settle(bo)
    before = await db_version(formed_session)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("game.rules.apply", broken)
    answer = await bo.send(type="vote", key="fokus", value=["f1"], ref="x")
    assert answer["type"] == "error" and answer["code"] == "server_error" and answer["ref"] == "x"
    assert answer["reason"] and "bug" not in answer["reason"]
    monkeypatch.undo()
    assert await db_version(formed_session) == before
    assert (await bo.send(type="ping"))["type"] == "pong"  # the connection is still open


async def test_a_change_the_server_cannot_cut_into_patches_reaches_everyone_as_a_snapshot(
    formed_session, people, monkeypatch
):
    await host_does(formed_session, kind="start")
    await host_does(formed_session, kind="advance")
    bo, dan = await people.player("Bo"), await people.player("Dan")
    await people.settle(bo, dan)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a view")

    monkeypatch.setattr("game.visibility.advance", broken)
    answer = await bo.send(type="vote", key="fokus", value=["f1"], ref=7)
    monkeypatch.undo()
    assert answer["type"] == "ok"  # the vote is saved: no "try again" that would vote twice
    frame = await dan.frame()
    assert frame["type"] == "snapshot" and frame["v"] == answer["v"]
    fokus = next(d for d in dan.view["committee"]["decisions"] if d["key"] == "fokus")
    assert fokus["tally"] == {"f1": 1}


async def test_a_host_who_is_no_longer_staff_cannot_run_the_session(formed_session, alice, clients):
    alice.is_staff = False
    await database_sync_to_async(alice.save)()
    host = Client(connect(f"/ws/host/{formed_session.code}/", user=alice), "alice")
    first = await host.connect()
    assert first["type"] == "error" and first["code"] == "not_host"
    assert (await host.communicator.receive_output(WAIT))["type"] == "websocket.close"


async def test_a_seat_that_reconnects_in_a_loop_is_refused(formed_session, seats):
    from game.consumers import CONNECTS_PER_MINUTE

    _pid, token = seats["Bo"]
    for _ in range(CONNECTS_PER_MINUTE):
        bo = Client(player_client(formed_session, token), "Bo")
        assert (await bo.connect())["type"] == "snapshot"
        await bo.close()
    looping = Client(player_client(formed_session, token), "Bo")
    refused = await looping.connect()
    assert refused["type"] == "error" and refused["code"] == "too_often"
    assert (await looping.communicator.receive_output(WAIT))["code"] == 4429
    # Another seat is not affected.
    dan = Client(player_client(formed_session, seats["Dan"][1]), "Dan")
    assert (await dan.connect())["type"] == "snapshot"
    await dan.close()


async def test_a_seat_formed_into_a_committee_then_gets_its_committees_frames_only(
    session, seats, people
):
    """A phone in the lobby gets its committee by a frame of its own seat, and from then
    on the frames of that committee, and no longer the lobby's."""
    bo, eva = await people.player("Bo"), await people.player("Eva")
    await people.settle(bo, eva)
    ok = await host_does(session, kind="form")
    await everyone_until([bo, eva], ok)
    assert bo.view["committee"]["id"] != eva.view["committee"]["id"]
    bo_seen = len(bo.events)
    ok = await eva.send(type="vote", key="fokus", value=["f1"])
    assert ok["type"] == "error"  # not started: refused, nothing sent
    v = await host_does(session, kind="start")
    await everyone_until([bo, eva], v)
    assert bo.view["session"]["status"] == "running" and len(bo.events) == bo_seen + 1
    await bo.send(type="vote", key="fokus", value=["f1"])
    assert await eva.nothing()  # another committee's vote: no frame


async def test_a_change_right_after_the_forming_reaches_the_formed_seat(
    session, seats, people, monkeypatch
):
    """The committee's first frame can go out before a formed seat's consumer has joined
    the committee's group (form and start a moment apart): the seat then gets the whole
    view, even while the figure its pongs use is a moment old."""
    monkeypatch.setattr(consumers, "VERSION_FRESH", 1.0)  # as in production (conftest: 0)
    monkeypatch.setattr(consumers, "PONG_WAITS", False)
    bo = await people.player("Bo")
    await people.settle(bo)
    assert (await bo.send(type="ping", ref=1))["type"] == "pong"  # that figure: fresh now

    def form_and_start() -> tuple[actions.Done, actions.Done]:
        return (
            actions.perform(session.pk, {"kind": "form"}, actor="host"),
            actions.perform(session.pk, {"kind": "start"}, actor="host"),
        )

    formed, started = await database_sync_to_async(form_and_start)()
    for done in (formed, started):  # both out before Bo's consumer has read the first
        await actions.broadcast(actions.in_order.noted(done))
    await bo.until(started.version)
    assert bo.view["committee"] is not None and bo.view["session"]["status"] == "running"
