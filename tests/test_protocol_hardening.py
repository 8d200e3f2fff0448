# ruff: noqa: F811 - the fixtures of test_consumers are imported by name
"""A participant who sends anything, opens many sockets, floods, or drops off.

Committee 1 is Bo, Dan, Finn and Hal; committee 2 is Cai, Eva, Gry and Ida
(``formed_session`` of the mini case, host alice). What must never happen: a
frame that closes a connection or leaves a traceback, a seat that stays online
after its devices left, an action applied twice because the network resent it,
a socket from another origin, a flood that slows the fair players down, and a
vote seen outside its committee.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import threading
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from game import actions, consumers, protocol
from game.consumers import presence_settled, seat_cookie
from game.models import Event, Session
from policymaker.asgi import application
from tests.support import WAIT, Client, player_client
from tests.test_consumers import (  # noqa: F401 - fixtures
    clients,
    db_version,
    host_does,
    people,
    pid_of,
    running_at,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@database_sync_to_async
def state_of(session: Session) -> dict:
    return Session.objects.get(pk=session.pk).state


def decision(view: dict, key: str) -> dict:
    return next(d for d in view["committee"]["decisions"] if d["key"] == key)


# --- no frame ends a connection ------------------------------------------------------------

CRASHERS = [
    ('{"type":[]}', "unknown_type"),
    ('{"type":{}}', "unknown_type"),
    ('{"type":"ping","ref":"\\ud800"}', "bad_message"),  # a lone surrogate, echoed it was fatal
    ('{"type":"vote","key":"fokus","value":["f1"],"ref":"\\udfff"}', "bad_message"),
    ('{"type":"ping","ref":true}', "bad_message"),  # a bool is not an integer ref
    ('{"type":"ping","ref":"x\\u0000y"}', "bad_message"),
    ('{"type":"ping","ref":' + "9" * 30 + "}", "bad_message"),  # not exact in JavaScript
    ('{"type":"vote","key":"fokus","value":{"\\ud800":1}}', "bad_message"),
    ('{"type":"vote","key":"\\ud800","value":["f1"]}', "bad_message"),
    ('{"type":"vote","key":"fokus","value":["f1"],"\\ud800":1}', "bad_message"),
    ('{"type":"vote","key":"fokus","value":["f1"],"op_id":"not ok!"}', "bad_message"),
    ('{"type":"ping","ref":"' + "r" * 41 + '"}', "bad_message"),
    ('{"type":"idea","text":' + json.dumps("x" * 20_000) + "}", "too_large"),
    ('{"type":"ping","pad":"' + "x" * (1024 * 1024 + 1) + '"}', "too_large"),  # over 1 MiB too
    ("[" * 30 + "]" * 30, "bad_json"),
    ("\ud800", "bad_json"),  # a frame that is nothing but a surrogate
]


async def test_frames_that_crashed_a_connection_get_an_error_and_it_stays_open(
    formed_session, people, caplog
):
    await running_at(formed_session, 1)
    bo, dan = await people.player("Bo"), await people.player("Dan")
    host, projector = await people.host(), await people.projector()
    v = await people.settle(bo, dan, host, projector)
    caplog.set_level(logging.ERROR)
    for viewer in (bo, host, projector):
        for text, code in CRASHERS:
            if viewer is not bo and '"type":"vote"' in text:
                code = "unknown_type"  # the host and the projector do not vote at all
            answer = await viewer.send_raw(text)
            assert answer["type"] == "error" and answer["code"] == code, (viewer.name, text, answer)
            assert answer["ref"] is None and answer["reason"]
            # Every answer can be sent over a real socket: encodable UTF-8.
            json.dumps(answer, ensure_ascii=False).encode("utf-8")
        assert (await viewer.send(type="ping", ref=1))["type"] == "pong"
    assert await db_version(formed_session) == v
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await dan.nothing()


async def test_an_idea_of_brackets_is_text_and_control_characters_are_cleaned(
    formed_session, people, seats
):
    await running_at(formed_session, 2)
    bo, dan = await people.player("Bo"), await people.player("Dan")
    await people.settle(bo, dan)
    ok = await bo.send(type="idea", text="[" * 250)
    assert ok["type"] == "ok"
    # NUL and a lone surrogate would break PostgreSQL and the frame; they are dropped.
    await bo.communicator.send_to(
        text_data='{"type":"idea","text":"Skole\\u0000bus \\ud800i\\r\\nweekenden"}'
    )
    ok = await bo.reply()
    assert ok["type"] == "ok", ok
    await dan.until(ok["v"])
    texts = [i["text"] for i in dan.view["committee"]["ideas"]]
    assert texts == ["[" * 250, "Skolebus i\nweekenden"]


async def test_a_fault_while_reading_a_frame_is_answered_and_the_seat_goes_offline_after(
    formed_session, people, seats, monkeypatch, caplog
):
    bo, host = await people.player("Bo"), await people.host()
    await people.settle(bo, host)
    assert host.view["players"][pid_of(seats, "Bo")]["online"] is True

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the parser")

    monkeypatch.setattr(protocol, "parse", broken)
    answer = await bo.send(type="ping", ref="p")
    assert (answer["type"], answer["code"], answer["ref"]) == ("error", "server_error", "p")
    assert "bug" not in answer["reason"]
    assert "a bug in the parser" in caplog.text  # logged for whoever runs the server
    monkeypatch.undo()
    assert (await bo.send(type="ping"))["type"] == "pong"  # still open
    await bo.close()
    await presence_settled()
    await people.settle(host)
    assert host.view["players"][pid_of(seats, "Bo")]["online"] is False


# --- presence tells the truth ----------------------------------------------------------------


async def test_a_close_storm_leaves_every_seat_offline(session, alice, clients):
    """60 seats with 4 sockets each, all closed at once: every seat offline, every count 0."""
    seats = []
    for i in range(60):
        player, token, _done = await database_sync_to_async(actions.join)(session, f"P{i}")
        seats.append((player.pid, token))
    communicators = [player_client(session, token) for _pid, token in seats for _ in range(4)]
    # Connect in waves (as phones do), but close all at once.
    for start in range(0, len(communicators), 60):
        wave = communicators[start : start + 60]
        results = await asyncio.gather(*(c.connect(timeout=60) for c in wave))
        assert all(ok for ok, _ in results)
        for c in wave:
            assert json.loads(await c.receive_from(60))["type"] == "snapshot"
    await presence_settled()
    state = await state_of(session)
    counts = [state["players"][pid]["online"] for pid, _t in seats]
    assert counts == [4] * len(seats), counts
    # A close that does not wait: Daphne cancels an application that is slow to
    # finish; the test client cancels after 0.05 s.
    await asyncio.gather(*(c.disconnect(timeout=0.05) for c in communicators))
    for _ in range(200):
        await presence_settled()
        state = await state_of(session)
        if all(state["players"][pid]["online"] == 0 for pid, _t in seats):
            break
        await asyncio.sleep(0.05)
    counts = [state["players"][pid]["online"] for pid, _t in seats]
    assert counts == [0] * len(seats)
    assert not any(key[0] == "seat" and key[1] == session.code for key in consumers._live)
    # The storm made a handful of versions, not one per socket.
    presence_events = await database_sync_to_async(
        lambda: Event.objects.filter(session=session, kind="presence").count()
    )()
    assert presence_events < len(communicators)


# --- connection limits --------------------------------------------------------------------


async def test_a_seat_has_a_few_connections_at_once_and_an_address_a_few_hundred(
    formed_session, seats, monkeypatch
):
    token = seats["Bo"][1]
    open_ = []
    for _ in range(consumers.MAX_PER_SEAT):
        bo = Client(player_client(formed_session, token), "Bo")
        assert (await bo.connect())["type"] == "snapshot"
        open_.append(bo)
    extra = Client(player_client(formed_session, token), "Bo")
    refused = await extra.connect()
    assert refused["type"] == "error" and refused["code"] == "too_many"
    assert (await extra.communicator.receive_output(WAIT))["code"] == 4429
    await open_.pop().close()  # one closed: one may open
    again = Client(player_client(formed_session, token), "Bo")
    assert (await again.connect())["type"] == "snapshot"
    open_.append(again)

    # Per address: with the limit at 3 for the test, a fourth device there is refused.
    monkeypatch.setattr(consumers, "MAX_PER_ADDRESS", 3)
    venue = []
    for name in ("Cai", "Dan", "Eva", "Finn"):
        c = player_client(formed_session, seats[name][1])
        c.scope["client"] = ("192.0.2.7", 50000)
        venue.append(Client(c, name))
    firsts = [await c.connect() for c in venue]
    assert [f["type"] for f in firsts] == ["snapshot", "snapshot", "snapshot", "error"]
    assert firsts[3]["code"] == "too_many"
    for c in open_ + venue[:3]:
        await c.close()


async def test_a_phone_is_accepted_and_answered_while_the_database_thread_is_busy(
    formed_session, seats, monkeypatch
):
    """A busy server (a room reconnecting, a queue of actions) holds up the database
    thread. A phone's handshake and a ping need nothing from it: they must not wait
    behind it (Daphne drops a handshake after 5 s, and every phone retrying lengthens
    the queue; a pong that waits makes the phone think the server is gone)."""
    monkeypatch.setattr(consumers, "VERSION_FRESH", 1.0)  # as served: read once a second
    monkeypatch.setattr(consumers, "PONG_WAITS", False)
    bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
    await bo.connect()
    assert (await bo.send(type="ping", ref=1))["type"] == "pong"  # the versions are known
    busy = threading.Event()
    held = asyncio.ensure_future(database_sync_to_async(lambda: busy.wait(WAIT * 3))())
    await asyncio.sleep(0.1)  # the database thread is taken
    cai = Client(player_client(formed_session, seats["Cai"][1]), "Cai")
    try:
        assert (await bo.send(type="ping", ref=2))["type"] == "pong"
        connected, _ = await cai.communicator.connect(timeout=WAIT)
        assert connected  # accepted with the database thread still busy
        cai.open = True
        assert not held.done()
    finally:
        busy.set()
        await held
    assert (await cai.frame())["type"] == "snapshot"  # once the thread is free
    for c in (bo, cai):
        await c.close()


async def test_a_sync_flood_costs_one_snapshot_per_version(formed_session, people, monkeypatch):
    await running_at(formed_session, 1)
    made = []
    real = consumers._snapshot

    def counting(*args, **kwargs):
        made.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(consumers, "_snapshot", counting)
    consumers._snapshots.clear()
    bo = [await people.player("Bo") for _ in range(consumers.MAX_PER_SEAT)]
    await people.settle(*bo)
    made.clear()
    answers = []
    for _round in range(3):
        for c in bo:
            answers.append(await c.send(type="sync", ref="s"))
    kinds = [a["type"] if a["type"] == "snapshot" else a["code"] for a in answers]
    # The seat's bucket: a few snapshots, then slow_down, whichever socket asks.
    assert kinds.count("snapshot") == consumers.SYNC_BUCKET_SIZE
    assert set(kinds) == {"snapshot", "slow_down"}
    assert len(made) <= 1  # one view made for all of them (often none: the actions' cache)
    snaps = [a for a in answers if a["type"] == "snapshot"]
    assert all(s["view"] == snaps[0]["view"] and s["ref"] == "s" for s in snaps)


SAMPLES = 60  # pings and votes of the fair player: enough for a 95th percentile


async def test_a_fair_player_stays_fast_while_another_floods_within_the_limits(
    formed_session, people, seats
):
    """Bo floods from four sockets (pings, syncs and votes as fast as the limits let
    him); Cai in the other committee pings and votes at a person's pace: his answers
    stay under 100 ms (issue 10), 95 in 100 of them at least."""
    await running_at(formed_session, 1)
    floods = [await people.player("Bo") for _ in range(consumers.MAX_PER_SEAT)]
    cai = await people.player("Cai")
    await people.settle(*floods, cai)
    stop = asyncio.Event()
    sent = [0]

    async def flood(c: Client) -> None:
        frames = [
            {"type": "sync"},
            {"type": "ping"},
            {"type": "vote", "key": "fokus", "value": ["f1"]},
            {"type": "vote", "key": "fokus", "value": ["f2"]},
            {"type": "vote", "key": "rang", "value": ["o1", "o2"]},
        ]
        i = 0
        while not stop.is_set():
            await c.communicator.send_to(text_data=json.dumps(frames[i % len(frames)]))
            sent[0] += 1
            i += 1
            # Drain what comes back so the queue does not grow without bound.
            while True:
                try:
                    await asyncio.wait_for(c.communicator.receive_output(), 0.001)
                except TimeoutError:
                    break
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(flood(c)) for c in floods]
    await asyncio.sleep(0.5)  # the flood is running
    pings, votes = [], []
    for i in range(SAMPLES):  # a person's pace: a ping and a vote every 0.3 s
        t = time.perf_counter()
        answer = await cai.send(type="ping", ref=i)
        pings.append((time.perf_counter() - t) * 1000)
        assert answer["type"] == "pong"
        t = time.perf_counter()
        answer = await cai.send(type="vote", key="fokus", value=["f1" if i % 2 else "f2"])
        votes.append((time.perf_counter() - t) * 1000)
        assert answer["type"] == "ok", answer
        await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*tasks)
    assert sent[0] > 20 * SAMPLES  # the flood really ran: Bo sent far more than Cai

    def p95(ms: list[float]) -> float:
        return statistics.quantiles(ms, n=20, method="inclusive")[18]

    print(
        f"fair ping median {statistics.median(pings):.1f} ms, p95 {p95(pings):.1f} ms, "
        f"max {max(pings):.1f} ms; vote median {statistics.median(votes):.1f} ms, "
        f"p95 {p95(votes):.1f} ms, max {max(votes):.1f} ms; flood frames {sent[0]}"
    )
    # 95 in 100 answers under 100 ms: on a shared test machine (several test runs on
    # two cores) the odd answer is held up by the machine, not the flood (the max is
    # printed); a flood that slowed the room down would move the whole tail.
    assert p95(pings) < 100, sorted(pings)
    assert p95(votes) < 100, sorted(votes)


# --- actions that survive the network -----------------------------------------------------------


async def test_a_resend_after_a_reconnect_is_applied_once_and_answered_as_the_first(
    formed_session, people, seats
):
    await running_at(formed_session, 2)
    bo, dan = await people.player("Bo"), await people.player("Dan")
    await people.settle(bo, dan)
    first = await bo.send(type="idea", text="Lektiecafé", op_id="a1b2c3", ref="r1")
    assert first["type"] == "ok"
    await bo.close()  # the phone lost the network before it read the answer ...
    again = await people.player("Bo")  # ... and sends it again on the new connection
    second = await again.send(type="idea", text="Lektiecafé", op_id="a1b2c3", ref="r1")
    assert second == first
    await people.settle(dan)
    assert [i["text"] for i in dan.view["committee"]["ideas"]] == ["Lektiecafé"]
    # Another player's op_id of the same text is another action.
    other = await dan.send(type="idea", text="Lektiecafé", op_id="a1b2c3")
    assert other["type"] == "ok" and other["v"] > first["v"]
    # A refused action is not remembered: it may be tried again.
    refused = await again.send(type="vote", key="nope", value=["x"], op_id="z9")
    assert refused["code"] == "not_found"
    count = await database_sync_to_async(
        lambda: Event.objects.filter(session=formed_session, kind="idea").count()
    )()
    assert count == 2


# --- origins, exactly ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin,ok",
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.0.0.1:9999", False),  # another port
        ("https://127.0.0.1", False),  # another scheme (and port)
        ("https://127.0.0.1:8000", False),
        ("http://evil.example@127.0.0.1:8000", False),  # userinfo
        ("http://evil.example", False),
        ("null", False),
        ("", False),
        ("https://game.example.org", True),  # PUBLIC_URL
        ("https://kommune.example.net", True),  # CSRF_TRUSTED_ORIGINS
        ("https://sub.trusted.example", True),  # a wildcard there
        ("http://sub.trusted.example", False),
    ],
)
async def test_the_origin_must_be_this_site_exactly(formed_session, seats, settings, origin, ok):
    settings.PUBLIC_URL = "https://game.example.org/"
    settings.CSRF_TRUSTED_ORIGINS = ["https://kommune.example.net", "https://*.trusted.example"]
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"cookie", f"{seat_cookie(formed_session.code)}={seats['Bo'][1]}".encode()),
    ]
    if origin:
        headers.append((b"origin", origin.encode()))
    c = WebsocketCommunicator(application, f"/ws/play/{formed_session.code}/", headers=headers)
    connected, _ = await c.connect()
    assert connected is ok, origin
    if connected:
        assert json.loads(await c.receive_from(WAIT))["type"] == "snapshot"
    await c.disconnect()


async def test_the_host_header_must_be_an_allowed_host(formed_session, seats, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    for host, ok in ((b"127.0.0.1:8000", True), (b"evil.example:8000", False)):
        origin = b"http://" + host
        c = WebsocketCommunicator(
            application,
            f"/ws/play/{formed_session.code}/",
            headers=[
                (b"host", host),
                (b"origin", origin),
                (b"cookie", f"{seat_cookie(formed_session.code)}={seats['Bo'][1]}".encode()),
            ],
        )
        connected, _ = await c.connect()
        assert connected is ok, host
        await c.disconnect()


# --- open votes ---------------------------------------------------------------------------------


async def test_votes_are_open_in_the_committee_and_nowhere_else(formed_session, people, seats):
    await running_at(formed_session, 1)
    bo, dan, cai = await people.player("Bo"), await people.player("Dan"), await people.player("Cai")
    host, projector = await people.host(), await people.projector()
    await people.settle(bo, dan, cai, host, projector)
    cai_seen = len(cai.events)
    ok = await bo.send(type="vote", key="fokus", value=["f2"])
    await dan.until(ok["v"])
    await cai.until(ok["v"])
    await host.until(ok["v"])
    await projector.until(ok["v"])
    bo_id = pid_of(seats, "Bo")
    # Dan, in Bo's committee, sees who voted what, like a show of hands.
    assert decision(dan.view, "fokus")["votes"] == {bo_id: ["f2"]}
    assert host.view["committees"]["1"]["decisions"][0]["votes"] == {bo_id: ["f2"]}
    # Cai, in the other committee, got nothing of it; the projector no votes.
    assert len(cai.events) == cai_seen  # not even a frame
    assert "votes" not in decision(cai.view, "fokus") or decision(cai.view, "fokus")["votes"] == {}
    # Bo's id is a small number (the seat's number in the session), so look where an id goes.
    assert bo_id not in [m["id"] for m in cai.view["committee"]["members"]]
    for d in cai.view["committee"]["decisions"]:
        assert bo_id not in d.get("votes", {}) and bo_id not in d.get("voted", [])
    for d in projector.view["committees"]["1"]["decisions"]:
        # The room sees how many have voted, never who voted what.
        assert "voted" not in d and isinstance(d.get("votes", 0), int), d
    assert f'"{bo_id}"' not in json.dumps(projector.view["committees"]["1"]["decisions"])


async def test_an_event_for_a_socket_that_is_closing_is_dropped_quietly(caplog):
    """Closing 480 sockets at once gave 120 ``Disconnected`` tracebacks in game_patch (now game_frames)."""
    consumer = consumers.PlayerConsumer()
    consumer.session_id, consumer.pid, consumer.language = 1, "7", "da"
    consumer.bucket, consumer.seat = consumers._Bucket(20, 10), (1, "TEST", "7")
    consumer.texts = {}
    consumer.stream, consumer.viewer = "1", "player"
    consumer.in_groups = consumer._groups()
    consumer.joined_at = time.monotonic()  # in its group just now: the ping does not rejoin

    async def closed(*args, **kwargs):
        raise consumers.Disconnected("Attempt to send on a closed protocol")

    consumer.send = closed
    caplog.set_level(logging.INFO)
    frame = {"type": "game.frames", "v": 3, "prev": 2, "stream": "1", "shared": "[]"}
    await consumer.game_frames(frame)
    await consumer._send({"type": "pong", "ref": None, "v": 3})
    await consumer.receive(text_data='{"type":"ping"}')
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_change_whose_broadcast_was_lost_shows_in_the_next_pong(formed_session, people):
    """The pong carries the session's version: a client that missed a broadcast (a
    lost frame, Redis restarting) sees the gap within a ping or two and asks for sync."""
    bo = await people.player("Bo")
    v = await people.settle(bo)
    assert (await bo.send(type="ping"))["v"] == v
    # A change saved but never broadcast: nobody gets an event for it.
    await database_sync_to_async(actions.perform)(
        formed_session.pk, {"kind": "message", "text": "Pause til 10.30"}, actor="host"
    )
    assert await bo.nothing()
    await asyncio.sleep(consumers.VERSION_FRESH + 0.1)
    first = await bo.send(type="ping")  # may still be the figure of a second ago ...
    await asyncio.sleep(0.2)
    second = await bo.send(type="ping")  # ... the next one has the database's
    assert v + 1 in (first["v"], second["v"]) and second["v"] == v + 1
    snapshot = await bo.send(type="sync")
    assert snapshot["v"] == v + 1 and snapshot["view"]["session"]["message"] == "Pause til 10.30"


async def test_after_the_channel_layer_failed_the_phone_gets_what_it_missed(
    formed_session, people, monkeypatch
):
    """Redis went away mid-receive: the socket stays open and, once back in its group,
    the consumer sends a fresh snapshot, so a change broadcast meanwhile is not lost."""
    from channels.layers import InMemoryChannelLayer

    real_receive, armed, failed = InMemoryChannelLayer.receive, [], []

    async def receive_fails_once(self, channel):
        if armed and not failed:
            failed.append(channel)
            # a change lands while the layer is away: its broadcast is lost
            await database_sync_to_async(actions.perform)(
                formed_session.pk, {"kind": "message", "text": "Pause til 10.30"}, actor="host"
            )
            raise ConnectionError("Connection closed by server.")
        return await real_receive(self, channel)

    monkeypatch.setattr(InMemoryChannelLayer, "receive", receive_fails_once)
    bo = await people.player("Bo")
    v = await people.settle(bo)
    armed.append(True)
    # The consumer waits in the layer already; after this broadcast, its next wait fails.
    done = await database_sync_to_async(actions.perform)(
        formed_session.pk, {"kind": "message", "text": "Velkommen"}, actor="host"
    )
    await actions.broadcast(done)
    await bo.until(v + 2)
    assert failed and bo.view["session"]["message"] == "Pause til 10.30"
