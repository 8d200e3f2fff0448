"""A full session of the school case over websockets, every round, as real clients play it.

Alice hosts; eight players join and are formed into two committees of four;
every player votes, locks, writes ideas, dot-votes, plays the catalyst, puts
the budget together, couples the recommendation and reflects through their own
websocket, and the host advances the rounds through hers. At the end each
committee's outcome and headline are on its players' screens; every client saw
every version once, in order; the database's event log is 1..N with no hole.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from game import actions
from game.consumers import seat_cookie
from game.models import Event, Session
from tests.conftest import NAMES
from tests.support import Client, connect, everyone_until

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def school_session(alice, school_case):
    session = actions.create_session(host=alice, case_version=school_case, options={"size": 4})
    tokens = {name: actions.join(session, name)[1] for name in NAMES}
    session.refresh_from_db()
    return session, tokens


class Table:
    """The host, the projector and the players at their screens."""

    def __init__(self, host: Client, projector: Client, players: dict[str, Client]) -> None:
        self.host, self.projector, self.players = host, projector, players
        self.everyone = [host, projector, *players.values()]

    async def host_does(self, **message) -> int:
        return await self._do(self.host, message)

    async def player_does(self, name: str, **message) -> int:
        return await self._do(self.players[name], message)

    async def _do(self, client: Client, message: dict) -> int:
        answer = await client.send(**message)
        for _ in range(20):  # played at machine speed, a seat can outrun its rate limit:
            if answer.get("code") != "slow_down":  # send it again later (docs/protocol.md)
                break
            await asyncio.sleep(0.5)
            answer = await client.send(**message)
        assert answer["type"] == "ok", (client.name, message, answer)
        await everyone_until(self.everyone, answer["v"])
        return answer["v"]

    def committees(self) -> dict[str, list[str]]:
        """Committee id -> its players' names, as the host sees it."""
        return {
            cid: [m["name"] for m in part["members"]]
            for cid, part in self.host.view["committees"].items()
        }

    def holder(self, members: list[str], role: str) -> str:
        return next(n for n in members if self.players[n].view["me"]["role"] == role)

    def decisions(self, name: str) -> dict[str, dict]:
        return {d["key"]: d for d in self.players[name].view["committee"]["decisions"]}


async def open_table(session: Session, tokens: dict[str, str], alice, clients: list) -> Table:
    def client(path: str, name: str, **kw) -> Client:
        c = Client(connect(path, **kw), name)
        clients.append(c)
        return c

    host = client(f"/ws/host/{session.code}/", "alice", user=alice)
    projector = client(f"/ws/projector/{session.code}/", "projector", user=alice)
    players = {
        name: client(
            f"/ws/play/{session.code}/", name, cookies={seat_cookie(session.code): tokens[name]}
        )
        for name in NAMES
    }
    table = Table(host, projector, players)
    for c in table.everyone:
        assert (await c.connect())["type"] == "snapshot"
    v = await database_sync_to_async(lambda: Session.objects.get(pk=session.pk).version)()
    await everyone_until(table.everyone, v)
    return table


@pytest.fixture
async def clients():
    opened: list[Client] = []
    yield opened
    for c in opened:
        await c.close()


# Each committee's course through the case: what its members vote.
PLAN = {
    "1": {
        "fokus": ["laesning"],
        "pladser": ["elevraad", "laerer", "paedagog", "idraetsforening"],
        "arbejdsform": ["skolebesoeg", "elevworkshops"],
        "catalyst": "brugerrejse",
        "kobling": ["tidlig_dialog"],
    },
    "2": {
        "fokus": ["landsbyskoler"],
        "pladser": ["landsbyforaeldre", "skoleleder", "oekonomiafdeling"],
        "arbejdsform": ["korte_moeder"],
        "catalyst": None,  # the catalyst is not required: this committee skips it
        "kobling": ["aflever_rapporten"],
    },
}


@pytest.mark.slow
async def test_a_full_session_over_websockets(school_session, alice, school_case, clients):
    session, tokens = school_session
    case = school_case.parsed()
    t = await open_table(session, tokens, alice, clients)

    # Lobby: form, start; every player has a private card.
    await t.host_does(type="form", size=4)
    committees = t.committees()
    assert sorted(len(m) for m in committees.values()) == [4, 4]
    await t.host_does(type="start")
    for name, p in t.players.items():
        assert p.view["me"]["card"] is not None, name
        assert p.view["committee"]["id"] in committees
    await t.host_does(type="advance")

    # 1 Kommissorium: vote on every task; the igangsætter locks. Committee 2's igangsætter
    # locks the focus against the majority: the politician card.
    for cid, members in committees.items():
        plan = PLAN[cid]
        for name in members:
            for key in ("fokus", "pladser", "arbejdsform"):
                await t.player_does(name, type="vote", key=key, value=plan[key])
        lead = t.holder(members, "igangsaetter")
        if cid == "2":
            await t.player_does(lead, type="lock", key="fokus", value=["specialudgifter"])
        for key in ("fokus", "pladser", "arbejdsform"):
            if t.decisions(lead)[key]["locked"] is None:
                await t.player_does(lead, type="lock", key=key)
        seated = [s["id"] for s in t.players[members[0]].view["committee"]["seated"]]
        assert seated == [s.id for s in case.stakeholders if s.id in plan["pladser"]]
    assert t.host.view["committees"]["2"]["politician_cards"] == 1
    assert t.host.view["committees"]["1"]["politician_cards"] == 0
    await t.host_does(type="advance")

    # 2 Problemforståelse: rank the challenges, answer the pressure; the facilitator locks.
    for members in committees.values():
        decisions = t.decisions(members[0])
        (pres,) = [k for k in decisions if k.startswith("pres:")]
        ranking = [o["id"] for o in decisions["udfordringer"]["options"]]
        for i, name in enumerate(members):
            order = ranking if i % 2 == 0 else ranking[1:] + ranking[:1]
            await t.player_does(name, type="vote", key="udfordringer", value=order)
            await t.player_does(
                name, type="vote", key=pres, value=decisions[pres]["options"][0]["id"]
            )
        lead = t.holder(members, "facilitator")
        await t.player_does(lead, type="lock", key="udfordringer")
        await t.player_does(lead, type="lock", key=pres)
        # The facilitator's own move: one left-out stakeholder is invited back.
        guest = t.decisions(lead)["invitation"]["options"][0]["id"]
        await t.player_does(lead, type="lock", key="invitation", value=guest)
        assert guest in [s["id"] for s in t.players[lead].view["committee"]["seated"]]
        assert all(d["locked"] is not None for d in t.decisions(members[0]).values())
    await t.host_does(type="advance")

    # 3 Idéudvikling: everyone writes an idea, the katalysator may play a tool, dots decide.
    for cid, members in committees.items():
        for name in members:
            await t.player_does(name, type="idea", text=f"Idé fra {name}")
        katalysator = t.holder(members, "katalysator")
        if PLAN[cid]["catalyst"]:
            await t.player_does(
                katalysator,
                type="lock",
                key="katalysatorvaerktoej",
                value=PLAN[cid]["catalyst"],
            )
        ideas = t.players[members[0]].view["committee"]["ideas"]
        own = [i["id"] for i in ideas if i["author"]]
        assert len(own) == 4
        for i, name in enumerate(members):
            dots = {own[i]: 2, own[(i + 1) % 4]: 1}
            await t.player_does(name, type="vote", key="ideer", value=dots)
        wall = t.projector.view["committees"][cid]
        public = next(d for d in wall["decisions"] if d["key"] == "ideer")
        assert sum(public["tally"].values()) == 12  # a public task: the room sees the dots
        await t.player_does(katalysator, type="lock", key="ideer")
        kept = [i for i in t.players[members[0]].view["committee"]["ideas"] if i["kept"]]
        assert len(kept) == 5 and {i["id"] for i in kept} >= set(own)
    await t.host_does(type="advance")

    # 4 Dilemmaer: three cards each, drawn by the committee's state.
    drawn = {}
    for cid, members in committees.items():
        decisions = t.decisions(members[0])
        drawn[cid] = sorted(k for k in decisions if k.startswith("dilemmaer:"))
        assert len(drawn[cid]) == 4  # the case draws four dilemmas
        for name in members:
            for key in drawn[cid]:
                await t.player_does(
                    name, type="vote", key=key, value=decisions[key]["options"][-1]["id"]
                )
        lead = t.holder(members, "facilitator")
        for key in drawn[cid]:
            await t.player_does(lead, type="lock", key=key)
    assert drawn["1"] != drawn["2"]
    await t.host_does(type="advance")

    # 5 Anbefaling: the budget from the kept ideas, and the coupling; the igangsætter locks.
    for cid, members in committees.items():
        decisions = t.decisions(members[0])
        budget = decisions["anbefaling"]
        chosen, spent = [], 0
        for option in sorted(budget["options"], key=lambda o: o["cost"]):
            if spent + option["cost"] <= budget["budget"]["total"]:
                chosen.append(option["id"])
                spent += option["cost"]
        assert chosen
        for name in members:
            await t.player_does(name, type="vote", key="anbefaling", value=chosen)
            await t.player_does(name, type="vote", key="kobling", value=PLAN[cid]["kobling"])
        lead = t.holder(members, "igangsaetter")
        await t.player_does(lead, type="lock", key="anbefaling")
        await t.player_does(lead, type="lock", key="kobling")
    await t.host_does(type="advance")

    # 6 Byrådsmødet: the outcome and the headline on every player's screen; reflections.
    outcomes = {o.id: o for o in case.outcomes}
    for cid, members in committees.items():
        decided = t.host.view["committees"][cid]["outcome"]
        assert decided["id"] in outcomes
        for name in members:
            shown = t.players[name].view["committee"]["outcome"]
            assert shown == decided
            assert shown["headline"] == outcomes[decided["id"]].headline and shown["title"]
            questions = t.players[name].view["me"]["questions"]
            assert [q["id"] for q in questions] == [q.id for q in case.reflection]
            for q in questions[:2]:
                await t.player_does(name, type="reflect", question=q["id"], text=f"{name} svarer")
        assert t.projector.view["committees"][cid]["outcome"] == decided
    await t.host_does(type="end")
    for name, p in t.players.items():
        assert p.view["session"]["status"] == "ended"
        assert p.view["committee"]["meters"] is not None  # the numbers always show at the end
        assert p.view["me"]["reflections"] == {q.id: f"{name} svarer" for q in case.reflection[:2]}

    # Every client saw each change it can see once, in order, with none lost between
    # (each frame names the one before it), and its view is a fresh snapshot's.
    version = await database_sync_to_async(lambda: Session.objects.get(pk=session.pk).version)()
    for c in t.everyone:
        seen = [e["v"] for e in c.events]
        assert seen == sorted(set(seen)), c.name
        assert [e["prev"] for e in c.events[1:]] == seen[:-1], c.name
        view = c.view
        fresh = await c.send(type="sync")
        assert fresh["v"] == version and fresh["view"] == view, c.name
    logged = await database_sync_to_async(
        lambda: list(Event.objects.filter(session=session).values_list("version", flat=True))
    )()
    assert logged == list(range(1, version + 1))
