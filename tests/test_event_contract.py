"""The event contract (STYLE.md 9): old snapshot + the patches an action sent = a fresh snapshot.

For every kind of action, for every viewer (host, projector, each player):
take the viewer's snapshot before, apply the patches the action sent to that
viewer, and compare with the snapshot a (re)connecting client would get after.
Once through the actions layer (``actions.perform(...).messages``, every kind) and
once through real consumers over websockets (a vote, a lock, an advance, a
move, a presence change).
"""

from __future__ import annotations

import copy
import json

import pytest
from channels.db import database_sync_to_async

from game import actions, visibility, wire
from game.consumers import _snapshot, _snapshot_text
from game.models import Session
from tests.conftest import NAMES
from tests.support import Client, connect, everyone_until, player_client

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = pytest.mark.postgres

NOW = 2_000_000_000.0


def snapshots(session_id: int) -> tuple[int, dict[str, dict]]:
    """Every viewer's snapshot now, as the consumers make it: 'host', 'projector', pids."""
    session = Session.objects.select_related("case_version").get(pk=session_id)
    views = {viewer: _snapshot(session, viewer, None)[1] for viewer in ("host", "projector")} | {
        pid: _snapshot(session, "player", pid)[1] for pid in session.state["players"]
    }
    return session.version, json.loads(json.dumps(views))


def sent_to(done: actions.Done, viewer: str, old: dict) -> list:
    """The patches the action sent this viewer, as its consumer picks them (none: [])."""
    assert done.messages is not None
    if viewer in ("host", "projector"):
        group, pid, stream = wire.stream_group(done.session_id, viewer), None, viewer
    else:
        pid, stream = viewer, visibility.stream_of(old["me"]) if old else None
        group = wire.stream_group(done.session_id, stream) if stream else None
    for to, message in done.messages:
        if pid is not None and to == wire.seat_group(done.session_id, pid):
            return json.loads(message["own"][pid][1])  # moved: its own group
    for to, message in done.messages:
        if to != group:
            continue
        picked = wire.patch_for(message, pid)
        return json.loads(picked[1]) if picked else []
    return []


class Contract:
    """Applies actions and checks the contract for every viewer after each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.kinds: set[str] = set()

    def check(self, done: actions.Done, before: tuple[int, dict], kind: str) -> actions.Done:
        v0, old = before
        v1, new = snapshots(self.session.pk)
        assert done.version == v1 == v0 + 1, kind
        for viewer, fresh in new.items():
            if viewer not in old:
                continue  # a new seat: its first connection gets a snapshot
            before = copy.deepcopy(old[viewer])
            patched = visibility.patch(before, sent_to(done, viewer, old[viewer]))
            if "joined" in fresh:  # not versioned: a message of its own, a few times a second
                patched["joined"] = fresh["joined"]
            assert patched == fresh, f"{kind}: the patches sent to {viewer} miss something"
        self.kinds.add(kind)
        return done

    def do(self, **action) -> actions.Done:
        before = snapshots(self.session.pk)
        return self.check(
            actions.perform(self.session.pk, action, actor="test"), before, action["kind"]
        )

    def join(self, name: str) -> str:
        before = snapshots(self.session.pk)
        player, _token, done = actions.join(self.session, name)
        self.check(done, before, "join")
        return player.pid

    def state(self) -> dict:
        return Session.objects.get(pk=self.session.pk).state


@pytest.mark.django_db
def test_every_kind_of_action_keeps_the_contract_for_every_viewer(alice, school_case):
    session = actions.create_session(host=alice, case_version=school_case, options={"size": 4})
    t = Contract(session)
    pid = {name: t.join(name) for name in NAMES}
    t.do(kind="presence", player=pid["Bo"], online=True)
    t.do(kind="form")
    t.do(kind="move", player=pid["Bo"], committee="new")
    t.do(kind="move", player=pid["Bo"], committee="1")
    t.do(kind="remove", player=pid["Dan"])
    t.do(kind="readmit", player=pid["Dan"])
    t.do(kind="start")
    t.do(kind="message", text="Velkommen")
    t.do(kind="advance")
    state = t.state()
    c1 = state["committees"]["1"]
    ig = next(p for p, r in c1["roles"].items() if r == "igangsaetter")
    for p in c1["members"]:
        t.do(kind="vote", player=p, key="fokus", value=["laesning"])
    t.do(kind="lock", player=ig, key="fokus", value=["trivsel"])  # the politician card
    t.do(kind="vote", player=ig, key="arbejdsform", value=["studietur"])
    t.do(kind="timer", op="start", now=NOW)
    t.do(kind="timer", op="add", seconds=30, now=NOW)
    t.do(kind="timer", op="pause", now=NOW + 5)
    t.do(kind="timer", op="resume", now=NOW + 5)
    t.do(kind="tick", now=t.state()["timer"]["ends_at"])  # times out: locks at plurality
    t.do(kind="lock_all")
    t.do(kind="inject", card="karakterer_i_tv", committee="2")
    t.do(kind="inject", card="staten_strammer")
    t.do(kind="move", player=pid["Hal"], committee="2")  # during play
    t.do(kind="advance")
    t.do(kind="back")
    t.do(kind="advance")
    t.do(kind="advance")  # ideudvikling
    state = t.state()
    c1 = state["committees"]["1"]
    ka = next(p for p, r in c1["roles"].items() if r == "katalysator")
    t.do(kind="idea", player=ka, text="Læsevenner på tværs af årgange")
    t.do(kind="lock", player=ka, key="katalysatorvaerktoej", value="brugerrejse")
    idea = str(t.state()["committees"]["1"]["ideas"][-1]["id"])
    t.do(kind="vote", player=ka, key="ideer", value={idea: 3})
    t.do(kind="lock", player=ka, key="ideer")
    t.do(kind="presence", player=pid["Bo"], online=False)
    t.do(kind="presence", player=pid["Cai"], online=True)
    t.do(kind="reset_presence")  # the server restarted
    t.do(kind="advance")
    t.do(kind="advance")
    t.do(kind="advance")  # byraadsmoede: the outcome
    t.do(kind="reflect", player=ka, question="roller", text="Katalysator")
    t.do(kind="end")
    assert t.kinds == {
        "join", "presence", "form", "move", "remove", "readmit", "start", "message", "advance",
        "vote", "lock", "timer", "tick", "lock_all", "inject", "back", "idea", "reflect", "end",
        "reset_presence",
    }  # fmt: skip


class TwoProcesses(Contract):
    """Two server processes of one session taking turns, as behind nginx: each action
    runs with the cache of views (game.actions) of the process whose turn it is."""

    def __init__(self, session: Session, monkeypatch) -> None:
        super().__init__(session)
        self.monkeypatch = monkeypatch
        self.caches: list[dict] = [{}, {}]
        self.turns = 0
        self.kind = ""
        self.made_whole: list[str] = []  # the kind of each action that made every view
        whole = visibility.views

        def counted(*args, **kwargs):
            self.made_whole.append(self.kind)
            return whole(*args, **kwargs)

        monkeypatch.setattr(visibility, "views", counted)

    def turn(self, kind: str) -> None:
        self.monkeypatch.setattr(actions, "_views", self.caches[self.turns % 2])
        self.turns += 1
        self.kind = kind

    def do(self, **action) -> actions.Done:
        self.turn(action["kind"])
        return super().do(**action)

    def join(self, name: str) -> str:
        self.turn("join")
        return super().join(name)


@pytest.mark.django_db(transaction=True)  # each process remembers its views once committed
def test_two_processes_taking_turns_remake_only_what_changed(alice, school_case, monkeypatch):
    """A process whose last change is older than the session's (the other process made
    the ones between) starts from the views it had and the parts written since: a vote
    re-makes its committee, not every view, and every viewer's patches still make its
    fresh snapshot."""
    session = actions.create_session(host=alice, case_version=school_case, options={"size": 4})
    t = TwoProcesses(session, monkeypatch)
    pid = {name: t.join(name) for name in NAMES}
    t.do(kind="form", size=3)
    t.do(kind="form")  # formed anew: three committees' parts become two
    t.do(kind="start")
    t.do(kind="advance")
    # Each process's first change after the other's round change makes every view.
    t.do(kind="presence", player=pid["Bo"], online=True)
    t.do(kind="presence", player=pid["Cai"], online=True)
    t.made_whole.clear()
    state = t.state()
    for cid in ("1", "2"):
        for p in state["committees"][cid]["members"]:  # each process in turn, both committees
            t.do(kind="vote", player=p, key="fokus", value=["laesning"])
    c1 = state["committees"]["1"]
    ig = next(p for p, r in c1["roles"].items() if r == "igangsaetter")
    t.do(kind="lock", player=ig, key="fokus", value=["trivsel"])
    t.do(kind="presence", player=pid["Bo"], online=False)
    mover = state["committees"]["2"]["members"][0]
    t.do(kind="move", player=mover, committee="1")
    t.do(kind="vote", player=mover, key="arbejdsform", value=["studietur"])
    t.turn("snapshot")  # the process that did not make the last change serves snapshots
    fresh = Session.objects.select_related("case_version").get(pk=session.pk)
    for viewer, seat in (("host", None), ("projector", None), ("player", mover)):
        _v, text, _stream = _snapshot_text(session.pk, viewer, seat)
        assert json.loads(text) == json.loads(json.dumps(_snapshot(fresh, viewer, seat)[1]))
    assert [entry[0] for entry in actions._views.values()] == [fresh.version]  # brought up
    assert t.made_whole == [], "a process behind the session made every view for a change"
    t.do(kind="advance")  # and the other process catches up with it
    t.do(kind="presence", player=pid["Bo"], online=True)
    assert all(t.caches), "both processes made changes"


# --- over websockets ---------------------------------------------------------------------


@pytest.fixture
async def table(formed_session, seats, alice):
    """Alice's host and projector screens and all eight players, connected."""
    code = formed_session.code
    host = Client(connect(f"/ws/host/{code}/", user=alice), "alice")
    projector = Client(connect(f"/ws/projector/{code}/", user=alice), "projector")
    players = {
        name: Client(player_client(formed_session, token), name)
        for name, (_p, token) in seats.items()
    }
    everyone = [host, projector, *players.values()]
    try:
        for c in everyone:
            assert (await c.connect())["type"] == "snapshot"
        yield host, players, everyone
    finally:
        for c in everyone:
            await c.close()


async def all_match_a_fresh_snapshot(everyone: list[Client], v: int) -> None:
    await everyone_until(everyone, v)
    for c in everyone:
        patched = copy.deepcopy(c.view)
        fresh = await c.send(type="sync")
        assert fresh["v"] == v >= c.v, c.name
        assert fresh["view"] == patched, f"{c.name}: patched view differs from a fresh snapshot"


@pytest.mark.django_db(transaction=True)
async def test_the_contract_holds_over_websockets(formed_session, seats, table):
    host, players, everyone = table
    answer = await host.send(type="start")
    await everyone_until(everyone, answer["v"])
    answer = await host.send(type="advance")  # an advance
    await all_match_a_fresh_snapshot(everyone, answer["v"])
    answer = await players["Bo"].send(type="vote", key="fokus", value=["f2"])  # a vote
    await all_match_a_fresh_snapshot(everyone, answer["v"])
    answer = await players["Dan"].send(type="vote", key="fokus", value=["f2"])
    await everyone_until(everyone, answer["v"])
    answer = await players["Bo"].send(type="lock", key="fokus", value=["f1"])  # a lock
    await all_match_a_fresh_snapshot(everyone, answer["v"])
    answer = await host.send(type="move", player=seats["Cai"][0], committee="1")  # a move
    await all_match_a_fresh_snapshot(everyone, answer["v"])
    leaving = players.pop("Eva")  # a presence change: Eva's phone goes to sleep
    everyone.remove(leaving)
    await leaving.close()
    v = await database_sync_to_async(lambda: Session.objects.get(pk=formed_session.pk).version)()
    assert v == answer["v"] + 1
    await all_match_a_fresh_snapshot(everyone, v)
