"""The round clock runs on the server: a due timer fires once, whoever calls, however often.

``actions.fire_due_timers(now)`` is what each server process's loop
(``game.timers``) calls once a second. The rules fire a timer once, so a
second call, or a second process finding the same session due, is refused and
does nothing: the log has exactly one ``timeout``.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from django.db.models import F

from game import actions, timers
from game.models import Event, Session
from tests.support import connect

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

T0 = 1_900_000_000.0  # the clock the tests give the rules


def perform(session: Session, **action) -> actions.Done:
    return actions.perform(session.pk, action, actor="host")


@database_sync_to_async
def reload(session: Session) -> Session:
    session = Session.objects.get(pk=session.pk)
    session.state  # noqa: B018  # read here: its parts are a query, not allowed in async code
    return session


@database_sync_to_async
def logged(session: Session) -> list[tuple[str, list]]:
    return list(Event.objects.filter(session=session).values_list("kind", "events"))


def timeouts(log: list[tuple[str, list]]) -> int:
    return sum(e["kind"] == "timeout" for _kind, events in log for e in events)


@pytest.fixture
def ticking(formed_session, seats):
    """Round 1 of the mini case, Bo and Dan voted f2 on the focus, the timer started at T0."""
    perform(formed_session, kind="start")
    perform(formed_session, kind="advance")
    for name in ("Bo", "Dan"):
        pid = seats[name][0]
        actions.perform(
            formed_session.pk,
            {"kind": "vote", "player": pid, "key": "fokus", "value": ["f2"]},
            actor=f"player:{pid}",
        )
    perform(formed_session, kind="timer", op="start", now=T0)
    formed_session.refresh_from_db()
    assert formed_session.timer_due == T0 + 600
    return formed_session


async def test_a_due_timer_fires_once_and_locks_at_the_plurality(ticking):
    due = ticking.timer_due
    assert await actions.fire_due_timers(due - 1) == []  # not yet
    (done,) = await actions.fire_due_timers(due)
    assert done.events[0] == {"kind": "timeout", "round": 1}
    locks = [e for e in done.events if e["kind"] == "lock"]
    assert [(e["committee"], e["key"], e["value"], e["by"]) for e in locks] == [
        ("1", "fokus", ["f2"], None)
    ]
    session = await reload(ticking)
    assert session.timer_due is None and session.state["timer"]["fired"] is True
    assert session.state["committees"]["1"]["decisions"]["fokus"]["locked"] == ["f2"]
    assert session.state["committees"]["2"]["decisions"]["fokus"]["locked"] is None  # no votes
    assert await actions.fire_due_timers(due + 5) == []  # once
    log = await logged(ticking)
    assert timeouts(log) == 1 and [k for k, _e in log].count("tick") == 1


async def test_two_callers_at_once_fire_it_once(ticking):
    due = ticking.timer_due
    first, second = await asyncio.gather(
        actions.fire_due_timers(due + 1), actions.fire_due_timers(due + 1)
    )
    assert len(first) + len(second) == 1
    assert timeouts(await logged(ticking)) == 1


async def test_a_paused_timer_never_fires(ticking):
    await database_sync_to_async(perform)(ticking, kind="timer", op="pause", now=T0 + 60)
    session = await reload(ticking)
    assert session.timer_due is None and session.state["timer"]["remaining"] == 540
    assert await actions.fire_due_timers(T0 + 100_000) == []
    assert timeouts(await logged(ticking)) == 0
    # Resumed, it is due 540 seconds later, not before.
    await database_sync_to_async(perform)(ticking, kind="timer", op="resume", now=T0 + 1000)
    assert await actions.fire_due_timers(T0 + 1539) == []
    assert len(await actions.fire_due_timers(T0 + 1540)) == 1


async def test_without_lock_on_timeout_nothing_is_locked(ticking):
    session = await reload(ticking)
    session.state["options"]["lock_on_timeout"] = False  # the host's option, set at creation
    # Written behind the actions layer's back, so as a new version: what a process
    # keeps of a session (its state, its views, its snapshots) is by version.
    session.version = F("version") + 1
    await database_sync_to_async(session.save)(update_fields=["state", "version"])
    (done,) = await actions.fire_due_timers(ticking.timer_due)
    assert done.events == [{"kind": "timeout", "round": 1}]
    session = await reload(ticking)
    assert session.state["committees"]["1"]["decisions"]["fokus"]["locked"] is None


async def test_the_timer_loop_fires_by_itself(ticking, alice, settings):
    """With GAME_TIMER_LOOP on, the first connection starts the loop; it fires a short timer."""
    settings.GAME_TIMER_LOOP = True
    # A timer that runs out one second from now: started (599 s ago) with its 600 s.
    await database_sync_to_async(perform)(ticking, kind="timer", op="pause", now=T0)
    await database_sync_to_async(perform)(ticking, kind="timer", op="resume", now=time.time() - 599)
    host = connect(f"/ws/host/{ticking.code}/", user=alice)
    try:
        assert (await host.connect())[0]
        snapshot = await host.receive_json_from()
        assert snapshot["view"]["session"]["timer"]["fired"] is False
        assert timers._task is not None and not timers._task.done()
        event = await host.receive_json_from(timeout=5)  # the loop looks once a second
        assert event["type"] == "event" and event["v"] == snapshot["v"] + 1
        (session_patch,) = [value for path, value in event["patch"] if path == ["session"]]
        assert session_patch["timer"]["fired"] is True
        assert timeouts(await logged(ticking)) == 1
        assert await host.receive_nothing(1.5)  # and never again
    finally:
        task, timers._task = timers._task, None
        if task is not None:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await host.disconnect()
