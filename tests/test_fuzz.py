"""Fuzz the websocket protocol: 10,000 frames of anything, from every kind of viewer.

Bo and Dan (committee 1) as players, alice's dashboard and her projector each
get a stream of frames that Hypothesis makes up: random JSON of any shape, raw
text, binary frames, strings with lone surrogates, NUL and brackets, frames
over the size limit, and the real message kinds with fields of every wrong
type. Meanwhile Cai votes normally in committee 2 and Eva sees it.

What must hold: every frame is answered (no close at all, so no 1011), nothing
is logged at ERROR, a refused frame changes nothing (the session's version
moves by exactly the frames answered ``ok``), and Cai's game goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from game import actions, consumers
from game.models import Session
from game.protocol import HOST, PLAYER
from tests.support import Client, connect, player_client

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(__import__("os").environ.get("FUZZ_EXAMPLES", "200"))
FRAMES_PER_EXAMPLE = 52  # 4 viewers x 13: 10,400 fuzzed frames in all

FIELDS = ["type", "ref", "op_id", "key", "value", "text", "question", "size", "player"]
FIELDS += ["committee", "card", "op", "seconds"]
KINDS = ["sync", "ping"] + [m.model_fields["type"].annotation.__args__[0] for m in PLAYER + HOST]

chars = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates
    st.sampled_from(list('[]{}"\\\x00\x7f\r\næøå ')),
)
texts = st.text(chars, max_size=30)
big_text = st.integers(0, 20_000).map(lambda n: "æ[" * (n // 2))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**53 - 2, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.sampled_from(["fokus", "rang", "pladser", "f1", "f2", "o1", "s1", "1", "2", "start"]),
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=8,
)
# The real kinds with fields of any value: "valid kinds with bad fields".
shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(KINDS)},
    optional={f: values for f in FIELDS if f != "type"},
)
random_objects = st.dictionaries(st.one_of(st.sampled_from(FIELDS), texts), values, max_size=5)


def _dump(obj) -> str:
    return json.dumps(obj, allow_nan=True)  # NaN and Infinity: not JSON, but sent by some


frames = st.one_of(
    shaped.map(_dump),
    shaped.map(_dump),
    random_objects.map(_dump),
    values.map(_dump),
    texts,  # not JSON at all (and raw surrogates, which a socket cannot even carry)
    st.builds(lambda t: json.dumps({"type": "idea", "text": t}), big_text),
    st.integers(1, 60).map(lambda n: "[" * n + "]" * n),
    st.binary(max_size=40),  # a binary frame
)
# Bo may also send real votes: some are accepted and change the session.
real_votes = st.builds(
    lambda v: json.dumps({"type": "vote", "key": "fokus", "value": v}),
    st.sampled_from([["f1"], ["f2"], ["f1", "f2"], []]),
)


def _host_frame(text):
    """The host's frames must not run the room (advance, end ...): each gets a bad field."""
    if isinstance(text, bytes):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        data["not_a_field"] = 1
        return json.dumps(data, allow_nan=True)
    return text


def test_ten_thousand_random_frames_break_nothing(formed_session, seats, alice, caplog):
    session = formed_session
    actions.perform(session.pk, {"kind": "start"}, actor="host")
    actions.perform(session.pk, {"kind": "advance"}, actor="host")  # round 1: fokus, pladser, rang
    loop = asyncio.new_event_loop()
    # The rate limits are tested elsewhere: here every frame must reach the parser.
    saved = {
        name: getattr(consumers, name)
        for name in ("BUCKET_RATE", "ACTION_BUCKET_RATE", "HOST_BUCKET_RATE", "SYNC_BUCKET_RATE")
    }
    for name in saved:
        setattr(consumers, name, 1e9)
    caplog.set_level(logging.ERROR)

    def viewer(communicator, name) -> Client:
        return Client(communicator, name)

    bo = viewer(player_client(session, seats["Bo"][1]), "Bo")
    dan = viewer(player_client(session, seats["Dan"][1]), "Dan")
    host = viewer(connect(f"/ws/host/{session.code}/", user=alice), "alice")
    projector = viewer(connect(f"/ws/projector/{session.code}/", user=alice), "projector")
    cai = viewer(player_client(session, seats["Cai"][1]), "Cai")
    eva = viewer(player_client(session, seats["Eva"][1]), "Eva")
    everyone = [bo, dan, host, projector, cai, eva]
    fuzzed = [bo, dan, host, projector]
    counts = {"frames": 0, "ok": 0, "closed": 0, "fair_votes": 0}

    async def open_all() -> None:
        for c in everyone:
            first = await c.connect()
            assert first["type"] == "snapshot"
        await consumers.presence_settled()

    async def answer(c: Client) -> dict:
        """The one answer to the frame just sent (events in between are skipped)."""
        while True:
            out = await c.communicator.receive_output(10)
            if out["type"] == "websocket.close":
                counts["closed"] += 1
                raise AssertionError(f"{c.name}: closed with {out.get('code')}")
            frame = json.loads(out["text"])
            if frame["type"] != "event":
                return frame

    async def drain(c: Client) -> None:
        while not await c.communicator.receive_nothing(0.001):
            out = await c.communicator.receive_output(1)
            assert out["type"] != "websocket.close", (c.name, out)

    def version() -> int:
        return Session.objects.get(pk=session.pk).version

    async def run(batch: list[tuple[int, object]]) -> None:
        before = await database_sync_to_async(version)()
        oks = 0
        for who, text in batch:
            c = fuzzed[who]
            if c is host:
                text = _host_frame(text)
            if isinstance(text, bytes):
                await c.communicator.send_to(bytes_data=text or b"\x00")
            else:  # the test client cannot send an empty frame
                await c.communicator.send_to(text_data=text or " ")
            reply = await answer(c)
            counts["frames"] += 1
            assert reply["type"] in ("ok", "error", "snapshot", "pong"), reply
            if reply["type"] == "error":
                assert reply["code"] and reply["reason"], reply
            oks += reply["type"] == "ok"
            json.dumps(reply, ensure_ascii=False).encode("utf-8")  # it could go over a socket
        # The fair player in the other committee: a normal vote reaches her committee.
        counts["fair_votes"] += 1
        value = ["f1"] if counts["fair_votes"] % 2 else ["f2"]
        await cai.communicator.send_to(
            text_data=json.dumps({"type": "vote", "key": "fokus", "value": value})
        )
        ok = await answer(cai)
        assert ok["type"] == "ok", ok
        await eva.until(ok["v"])
        fokus = next(d for d in eva.view["committee"]["decisions"] if d["key"] == "fokus")
        assert fokus["votes"][seats["Cai"][0]] == value
        after = await database_sync_to_async(version)()
        assert after - before == oks + 1  # refused frames changed nothing
        for c in (bo, dan, host, projector, cai):
            await drain(c)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: the failing batch is printed as it is
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(
            st.tuples(st.integers(0, 3), st.one_of(frames, frames, frames, real_votes)),
            min_size=FRAMES_PER_EXAMPLE,
            max_size=FRAMES_PER_EXAMPLE,
        )
    )
    def fuzz(batch):
        t = time.monotonic()
        loop.run_until_complete(run(batch))
        counts["run_s"] = counts.get("run_s", 0) + time.monotonic() - t

    started = time.monotonic()
    try:
        loop.run_until_complete(open_all())
        fuzz()
        assert counts["frames"] >= 10_000 or EXAMPLES < 200, counts
        print(counts)
        assert counts["closed"] == 0
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, errors[0].getMessage()
        print(f"{counts['frames']} frames in {time.monotonic() - started:.1f} s; {counts}")
    finally:
        for name, value in saved.items():
            setattr(consumers, name, value)

        async def close_all() -> None:
            for c in everyone:
                await c.close()
            await consumers.presence_settled()

        loop.run_until_complete(close_all())
        loop.close()
