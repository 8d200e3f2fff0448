"""A whole game of the school case recorded frame by frame: nothing reaches anyone it should not.

alice runs a session of ten players in two committees of five (three leadership
roles and two stakeholder personas each, roles rotating every round); mallory
runs a session of her own beside it. Every viewer of alice's session — the host,
the projector and each player — is a websocket client from before the first
join to the end; bots' brains (game.bots.Brain) choose the players' moves, with
ideas and reflections written as texts that name their committee, so that a
stray one can be found in any frame.

Every frame each viewer received is checked as text and, after it is applied,
as the view it makes:

- no seat token (nor its hash) reaches anyone, host included;
- no private card text — a leadership role's task and tips, a persona's
  interests, tips and description — reaches a player who has not held that
  seat, nor the projector;
- a player never gets another committee's part, members' names, ideas,
  reflections or votes; mallory's players never appear in alice's session;
- votes are open within a committee (a show of hands): a member may see who
  voted what in their own committee, but the projector gets no voters, no
  votes, and a tally (counts per option) only on a task the case marks public
  or once the decision is locked;
- reflections reach only their author, the author's committee at most, and the host.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from game import actions, visibility
from game.bots import Brain
from game.models import Player, hash_token
from tests.support import Client, connect, player_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SIZE = 5
NAMES = [
    "Aase Kjærgaard", "Birthe Mølgaard", "Claus Thygesen", "Dorthe Vestergaard",
    "Egon Skovbjerg", "Frede Lindholm", "Gitte Rosenkvist", "Hans Overgaard",
    "Inger Damsgaard", "Jørgen Holmgaard",
]  # fmt: skip
MALLORYS = ["Kirsten Fjordside", "Leif Bakkegaard", "Merete Engholm"]
MIN_SECRET = 20  # characters: shorter strings (a name, "Ja") are not told apart from ordinary text


class Recorder(Client):
    """A client that keeps every frame's text, and the view after each one."""

    def __init__(self, communicator, name: str) -> None:
        super().__init__(communicator, name)
        self.frames: list[tuple[str, dict | None]] = []  # (text, view after it)
        receive = communicator.receive_from

        async def receive_from(timeout: float = 1) -> str:
            text = await receive(timeout)
            self._last = text
            return text

        communicator.receive_from = receive_from

    async def frame(self, timeout: float = 3) -> dict:
        frame = await super().frame(timeout)
        self.frames.append((self._last, json.loads(json.dumps(self.view))))
        return frame


def secrets_of(case) -> dict[str, set[str]]:
    """Each seat's (role's or persona's) private texts."""
    out: dict[str, set[str]] = {}
    for role in case.roles:
        texts = {role.description, role.question}
        for card in role.cards.values():
            texts.add(card.task)
            texts.update(card.tips)
        out[role.id] = texts
    for persona in case.personas:
        out[persona.id] = {persona.interests, persona.description, *persona.tips}
    return {
        seat: {t.strip() for t in texts if t and len(t.strip()) >= MIN_SECRET}
        for seat, texts in out.items()
    }


def all_views_frames(clients: list[Recorder]) -> int:
    return sum(len(c.frames) for c in clients)


async def drain(clients: list[Client], v: int) -> None:
    for c in clients:
        await c.until(v)


@pytest.fixture
def skole_session(alice, school_case):
    return actions.create_session(
        host=alice,
        case_version=school_case,
        options={"size": SIZE, "personas": True, "rotate_roles": True, "show_meters": False},
    )


async def test_a_whole_game_leaks_nothing(alice, mallory, school_case, skole_session) -> None:
    session = skole_session
    case = school_case.parsed()
    rng = random.Random(17)

    # mallory's session beside it, with three players of her own
    other = await database_sync_to_async(actions.create_session)(
        host=mallory, case_version=school_case, options={"size": 3}
    )
    other_tokens = []
    for name in MALLORYS:
        _p, token, done = await database_sync_to_async(actions.join)(other, name)
        await actions.broadcast(done)
        other_tokens.append(token)

    host = Recorder(connect(f"/ws/host/{session.code}/", user=alice), "host")
    projector = Recorder(connect(f"/ws/projector/{session.code}/", user=alice), "projector")
    for viewer in (host, projector):
        assert (await viewer.connect())["type"] == "snapshot"

    players: dict[str, Recorder] = {}
    tokens: list[str] = []
    pid_of: dict[str, str] = {}
    for name in NAMES:
        player, token, done = await database_sync_to_async(actions.join)(session, name)
        await actions.broadcast(done)
        tokens.append(token)
        pid_of[name] = player.pid
        client = Recorder(player_client(session, token), name)
        assert (await client.connect())["type"] == "snapshot"
        players[player.pid] = client
    everyone = [host, projector, *players.values()]
    brains = {pid: Brain(random.Random(i), grace=0.0) for i, pid in enumerate(players)}
    written: dict[str, list[str]] = {}  # committee id -> idea and reflection texts written there
    reflections: dict[str, list[str]] = {}

    async def host_does(**message: Any) -> dict:
        answer = await host.send(**message)
        if answer["type"] == "ok":
            await drain(everyone, answer["v"])
        return answer

    async def play_round() -> None:
        """Every player moves until none has a move left (at most 40 passes)."""
        for _pass in range(40):
            moved = False
            for pid, client in players.items():
                move = brains[pid].next_move(client.view, time.monotonic())
                if move is None:
                    continue
                cid = client.view["me"]["committee"]
                if move["type"] == "idea":
                    move["text"] = f"Idé {rng.randrange(10**6):06d} fra udvalg {cid}"
                    written.setdefault(cid, []).append(move["text"])
                elif move["type"] == "reflect":
                    move["text"] = f"Refleksion {rng.randrange(10**6):06d} i udvalg {cid}"
                    reflections.setdefault(cid, []).append(move["text"])
                answer = await client.send(**move)
                moved = True
                if answer["type"] == "ok":
                    await drain(everyone, answer["v"])
            if not moved:
                return

    assert (await host_does(type="form", size=SIZE))["type"] == "ok"
    assert (await host_does(type="start"))["type"] == "ok"
    assert (await host_does(type="message", text="Velkommen til udvalget"))["type"] == "ok"
    for index, round_ in enumerate(case.rounds):
        if index:
            answer = await host_does(type="advance", from_round=index - 1)
            assert answer["type"] == "ok", answer
        if any(t.type == "card" for t in round_.tasks):
            cards = [k["id"] for k in host.view["case"]["cards"]]
            await host_does(type="inject", card=cards[index % len(cards)], committee="1")
        await play_round()
        if not round_.reflection:
            await host_does(type="lock_all")
            await play_round()  # what the locks opened (the budget after the ideas)
    assert (await host_does(type="end"))["type"] == "ok"
    for client in everyone:
        await client.close()

    # --- what was seen ------------------------------------------------------------------
    assert all(c.view["session"]["status"] == "ended" for c in everyone)
    state = await database_sync_to_async(lambda: type(session).objects.get(pk=session.pk).state)()
    committee_of = {pid: p["committee"] for pid, p in state["players"].items()}
    assert sorted(set(committee_of.values())) == ["1", "2"]
    assert all(len(written.get(cid, [])) >= SIZE for cid in ("1", "2")), written
    assert all(len(reflections.get(cid, [])) >= SIZE for cid in ("1", "2")), reflections
    votes_cast = sum(
        len(d["votes"]) for c in state["committees"].values() for d in c["decisions"].values()
    )
    assert votes_cast >= 50  # the game was played, not walked through
    frames_seen = all_views_frames(everyone)
    assert frames_seen > 1000, frames_seen

    hashes = [hash_token(t) for t in tokens + other_tokens]
    hashes += await database_sync_to_async(
        lambda: list(Player.objects.values_list("token_hash", flat=True))
    )()
    secret_texts = secrets_of(case)
    names_in = {
        cid: {state["players"][p]["name"] for p, c in committee_of.items() if c == cid}
        for cid in ("1", "2")
    }
    assert all(len(n) == SIZE for n in names_in.values())

    for client in everyone:
        for text, _view in client.frames:
            for token in tokens + other_tokens + hashes:
                assert token not in text, f"{client.name} got a seat token"
            for name in MALLORYS:
                assert name not in text, f"{client.name} got mallory's player {name}"

    for pid, client in players.items():
        own = committee_of[pid]
        others = "2" if own == "1" else "1"
        held: set[str] = set()
        for text, view in client.frames:
            me = view["me"]
            if me.get("role"):
                held.add(me["role"])
            forbidden = set().union(*(t for seat, t in secret_texts.items() if seat not in held))
            allowed = set().union(*(t for seat, t in secret_texts.items() if seat in held))
            for secret in forbidden - allowed:
                assert secret not in text, (
                    f"{client.name} got a card of another seat: {secret[:60]}"
                )
            for name in names_in[others]:
                assert name not in text, f"{client.name} of {own} got {name} of {others}"
            for idea in written.get(others, []) + reflections.get(others, []):
                assert idea not in text, f"{client.name} of {own} got {idea!r}"
            if view.get("committee") is not None:
                assert view["committee"]["id"] == own
            assert set(view) <= {"session", "case", "joined", "committee", "me"}, set(view)
        assert held, f"{client.name} never held a seat"

    everyone_secret = set().union(*secret_texts.values())
    public_tasks = {t.id for r in case.rounds for t in r.tasks if t.public}
    for text, view in projector.frames:
        for secret in everyone_secret:
            assert secret not in text, f"the projector got a private card: {secret[:60]}"
        for words in reflections.values():
            for reflection in words:
                assert reflection not in text, "the projector got a reflection"
        assert set(view) <= {"session", "lobby", "committees"}, set(view)
        for c in view["committees"].values():
            for member in c["members"]:
                assert set(member) <= {"id", "name", "role", "role_name", "online"}
            for idea in c["ideas"]:
                assert idea["author"] is None, "the idea wall names an author"
            for d in c["decisions"]:
                assert not {"voted", "majority"} & set(d), d
                # how many have voted, at most: never who, never what
                assert type(d.get("votes", 0)) is int, d
                task = d["key"].split(":")[0]
                if "tally" in d or "options" in d:  # counts per option, never who
                    assert (d["public"] and task in public_tasks) or d["locked"] is not None, d
            assert not {"log", "reflections", "stakeholders", "history", "seated"} & set(c)

    # the host sees the whole session (that is the host's job), tokens excepted (above)
    final = visibility.host_view(case, state, session.meta())
    assert host.view["players"].keys() == final["players"].keys()
