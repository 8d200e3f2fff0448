"""Two things at once on one session: exactly one of them takes effect, every time.

Real parallel connections: each contender is a thread with its own database
connection, held at a barrier and then let go together, so both transactions are
in flight at the same moment (on PostgreSQL the second waits for the first's row
lock; on SQLite for the write lock). Each case is repeated 20 times on a fresh
session of the mini case (alice's, with Bo … Ida; "bo" below is whoever is
committee 1's igangsætter, the lead of round r1).

- Bo locks the same decision twice at once (two phones, or a double tap): one lock.
- alice double-clicks "next round": one advance, the other is ``stale``.
- alice has the dashboard open in two windows; one advances while the other steps
  back, from the same round: one round change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from game import actions, rules
from game.models import Event, Session
from tests.conftest import NAMES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

REPEAT = 20


@pytest.fixture
def parallel_db(transactional_db) -> None:
    """Real parallel transactions need a database server.

    pytest-django's SQLite test database is in memory with a shared cache, where a
    second writer gets "database table is locked" at once instead of waiting, which
    the file database of a real server never does (tests/test_sqlite_concurrency.py
    holds that one to concurrent writers). `make test` runs these on PostgreSQL.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://... (make test does)")


def new_round_one(alice, mini_case) -> tuple[Session, dict[str, str]]:
    """A fresh session in round r1 (the committees decide); name -> pid."""
    session = actions.create_session(host=alice, case_version=mini_case, options={"size": 4})
    pids = {name: actions.join(session, name)[0].pid for name in NAMES}
    for kind in ("form", "start", "advance"):
        actions.perform(session.pk, {"kind": kind}, actor="host")
    session.refresh_from_db()
    return session, pids


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads of their own, released together; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the caller inspects what each one got
            results[i] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    return results


def perform(session: Session, action: dict, actor: str) -> Callable[[], Any]:
    return lambda: actions.perform(session.pk, dict(action), actor=actor)


def split(results: list[Any]) -> tuple[list[actions.Done], list[rules.Refused]]:
    done = [r for r in results if isinstance(r, actions.Done)]
    refused = [r for r in results if isinstance(r, rules.Refused)]
    other = [r for r in results if r not in done and r not in refused]
    assert not other, f"neither applied nor refused: {other!r}"  # e.g. a deadlock or 'locked'
    return done, refused


def log_is_whole(session: Session) -> None:
    """Every version made is one Event row, 1..version with no hole and no double."""
    session.refresh_from_db()
    versions = list(
        Event.objects.filter(session=session).order_by("version").values_list("version", flat=True)
    )
    assert versions == list(range(1, session.version + 1))


@pytest.mark.postgres_only
def test_two_locks_of_the_same_decision_at_once_lock_it_once(parallel_db, alice, mini_case) -> None:
    for attempt in range(REPEAT):
        session, pids = new_round_one(alice, mini_case)
        # committee 1's igangsætter (the lead of r1) and two of the others
        c1 = session.state["committees"]["1"]
        bo = next(p for p, role in c1["roles"].items() if role == "ig")
        dan, finn = [p for p in c1["members"] if p != bo][:2]
        for pid, value in ((bo, ["f1"]), (dan, ["f1"]), (finn, ["f2"])):
            actions.perform(
                session.pk, {"kind": "vote", "player": pid, "key": "fokus", "value": value},
                actor=f"player:{pid}",
            )  # fmt: skip
        before = Session.objects.get(pk=session.pk).version
        # Bo's two phones: one locks at the plurality, the other plays the politician card.
        done, refused = split(
            at_once(
                perform(session, {"kind": "lock", "player": bo, "key": "fokus"}, f"player:{bo}"),
                perform(
                    session,
                    {"kind": "lock", "player": bo, "key": "fokus", "value": ["f2"]},
                    f"player:{bo}",
                ),
            )
        )
        assert len(done) == 1 and len(refused) == 1, f"attempt {attempt}: {done} {refused}"
        assert refused[0].code == "locked"
        session.refresh_from_db()
        assert session.version == before + 1
        c = session.state["committees"][session.state["players"][bo]["committee"]]
        # the decision holds the winner's value: the loser changed nothing
        assert c["decisions"]["fokus"]["locked"] == done[0].events[0]["value"]
        locks = [
            e
            for ev in Event.objects.filter(session=session, kind="lock")
            for e in ev.events
            if e.get("kind") == "lock"
        ]
        assert len(locks) == 1, f"attempt {attempt}: {locks}"
        log_is_whole(session)


@pytest.mark.postgres_only
def test_a_double_clicked_advance_moves_one_round(parallel_db, alice, mini_case) -> None:
    for attempt in range(REPEAT):
        session, _pids = new_round_one(alice, mini_case)
        click = {"kind": "advance", "from_round": 1}
        done, refused = split(
            at_once(perform(session, click, "host"), perform(session, click, "host"))
        )
        assert len(done) == 1 and len(refused) == 1, f"attempt {attempt}"
        assert refused[0].code == "stale"
        session.refresh_from_db()
        assert session.state["round"] == 2
        assert Event.objects.filter(session=session, kind="advance").count() == 2  # r0->r1, r1->r2
        log_is_whole(session)


@pytest.mark.postgres_only
def test_two_host_windows_changing_the_round_at_once_change_it_once(
    parallel_db, alice, mini_case
) -> None:
    for attempt in range(REPEAT):
        session, _pids = new_round_one(alice, mini_case)
        forward = {"kind": "advance", "from_round": 1}
        backward = {"kind": "back", "from_round": 1}
        done, refused = split(
            at_once(perform(session, forward, "host"), perform(session, backward, "host"))
        )
        assert len(done) == 1 and len(refused) == 1, f"attempt {attempt}"
        assert refused[0].code == "stale"
        session.refresh_from_db()
        winner = done[0].events[-1]
        assert session.state["round"] == (0 if winner.get("back") else 2)
        log_is_whole(session)


@pytest.mark.postgres_only
def test_without_the_round_both_clicks_count(parallel_db, alice, mini_case) -> None:
    """Control: an advance that does not say where it starts from is applied twice."""
    session, _pids = new_round_one(alice, mini_case)
    done, refused = split(
        at_once(
            perform(session, {"kind": "advance"}, "host"),
            perform(session, {"kind": "advance"}, "host"),
        )
    )
    assert len(done) == 2 and not refused
    session.refresh_from_db()
    assert session.state["round"] == 3


@pytest.mark.parametrize("bad", [True, "1", 1.0, -1])
def test_a_round_that_is_not_a_round_is_refused_and_changes_nothing(alice, mini_case, bad) -> None:
    session, _pids = new_round_one(alice, mini_case)
    with pytest.raises(rules.Refused) as refused:
        actions.perform(session.pk, {"kind": "advance", "from_round": bad}, actor="host")
    assert refused.value.code in ("invalid", "stale")
    assert Session.objects.get(pk=session.pk).version == session.version


async def test_a_double_click_on_the_dashboard_is_refused_politely(alice, formed_session) -> None:
    """Both frames of a double click arrive: the first moves the round, the second is stale."""
    from channels.db import database_sync_to_async

    from tests.support import Client, connect

    await database_sync_to_async(actions.perform)(
        formed_session.pk, {"kind": "start"}, actor="host"
    )
    host = Client(connect(f"/ws/host/{formed_session.code}/", user=alice), "alice")
    assert (await host.connect())["type"] == "snapshot"
    shown = host.view["session"]["round"]
    first = await host.send(type="advance", from_round=shown, ref="a")
    second = await host.send(type="advance", from_round=shown, ref="b")
    assert first["type"] == "ok"
    assert second["type"] == "error" and second["code"] == "stale" and second["ref"] == "b"
    assert second["reason"] == "Runden er allerede skiftet; se på skærmen igen."
    await host.until(first["v"])
    assert host.view["session"]["round"] == shown + 1
    assert await host.nothing()  # the refused click made no version
    await host.close()
