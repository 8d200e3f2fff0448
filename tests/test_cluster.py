"""The production layout: two Daphne processes behind nginx, on Redis and PostgreSQL.

`make cluster` starts the same (game/devserver.py, Cluster). Every client here
is a real websocket client (game/bots.py, ViewClient) that joins through
`POST /api/join/`, as a phone does; some talk to one process, some to the other,
some go through nginx. The servers share a PostgreSQL database of their own,
made for this module and dropped after it, and a Redis database of their own.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest

from game.bots import ViewClient, join_seat
from game.devserver import Cluster

from . import browser_support as bs

PG_URL = os.environ.get("PG_TEST_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = [pytest.mark.slow]
MISSING = not (PG_URL and REDIS_URL and shutil.which("nginx"))
WHY = "needs PostgreSQL, Redis and nginx: make test provides them (scripts/services.sh)"
MINI = Path(__file__).parent / "cases" / "mini.yaml"
WAIT = 15  # seconds: a change reaching a client on a loaded 2-core machine


def _admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="module")
def cluster():
    if MISSING:  # by hand without them: skip; under CI a missing piece is a failure
        (pytest.fail if os.environ.get("CI") else pytest.skip)(WHY)
    db = f"pm_cluster_{secrets.token_hex(4)}"
    with _admin(PG_URL) as conn:
        conn.execute(f'create database "{db}"')
    parts = urlsplit(PG_URL)
    redis = urlsplit(REDIS_URL)
    env = bs.server_env(Path("unused.sqlite3")) | {
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{db}")),
        "REDIS_URL": urlunsplit(redis._replace(path="/2")),  # the tests' own Redis database
    }
    cl = Cluster(env, processes=2)
    try:
        bs.manage(env, "migrate", "--noinput", "-v", "0")
        bs.manage(env, "load_case", str(MINI))
        bs.manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            "User.objects.create_user('alice', password='alice-pw-123', is_staff=True)",
        )
        url = cl.start()
        yield SimpleNamespace(
            url=url, env=env, servers=cl.servers, cookie=bs.http_login(url, "alice", "alice-pw-123")
        )
    finally:
        cl.stop()
        with _admin(PG_URL) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')


def _shell(cl, code: str) -> str:
    """Python in a separate process on the cluster's database; what it printed last."""
    return bs.manage(cl.env, "shell", "-c", code).split()[-1]


async def _game(cl, names: list[str]) -> tuple[str, list[dict], ViewClient]:
    """A session of the mini case, one committee of these players, started; the host on process 0."""
    code = _shell(
        cl,
        "from django.contrib.auth.models import User; from cases.models import CaseVersion;"
        "from game import actions; print(actions.create_session(host=User.objects.get("
        "username='alice'), case_version=CaseVersion.objects.get(case__slug='mini'),"
        f" options={{'size': {len(names)}}}).code)",
    )
    seats = [await asyncio.to_thread(join_seat, cl.url, code, name) for name in names]
    for seat in seats:  # the answer names the cookie; the phone sends it with the token
        seat["cookie"] = f"{seat['cookie']}={seat['token']}"
    host = ViewClient(cl.servers[0].url, f"/ws/host/{code}/", cl.cookie)
    await host.open()
    for message in ({"type": "form"}, {"type": "start"}):
        await host.request(message)
    return code, seats, host


def _decision(view: dict, key: str) -> dict:
    return next(d for d in view["committee"]["decisions"] if d["key"] == key)


async def _close(*clients: ViewClient) -> None:
    for client in clients:
        await client.close()


async def test_a_committee_split_over_two_processes_sees_its_votes_live(cluster):
    code, seats, host = await _game(cluster, ["Bo", "Cai", "Dan"])
    await host.request({"type": "advance"})
    bo, cai = (
        ViewClient(cluster.servers[i].url, f"/ws/play/{code}/", seats[i]["cookie"]) for i in (0, 1)
    )
    await bo.open()
    await cai.open()
    await bo.request({"type": "vote", "key": "fokus", "value": ["f1"]})
    assert await cai.wait_until(lambda v: _decision(v, "fokus")["tally"] == {"f1": 1}, WAIT)
    await cai.request({"type": "vote", "key": "fokus", "value": ["f2"]})
    assert await bo.wait_until(lambda v: _decision(v, "fokus")["tally"] == {"f1": 1, "f2": 1}, WAIT)
    await _close(bo, cai, host)


async def test_the_host_on_one_process_moves_the_players_on_the_other(cluster):
    code, seats, host = await _game(cluster, ["Eva", "Finn", "Gry"])
    phones = [ViewClient(cluster.servers[1].url, f"/ws/play/{code}/", s["cookie"]) for s in seats]
    for phone in phones:
        await phone.open()
        assert phone.view["session"]["round"] == 0
    await host.request({"type": "advance"})
    for phone in phones:
        assert await phone.wait_until(lambda v: v["session"]["round"] == 1, WAIT)
        assert _decision(phone.view, "fokus")["locked"] is None  # the round's tasks are there
    await _close(*phones, host)


async def test_a_round_timer_fires_exactly_once_with_two_clocks(cluster):
    code, seats, host = await _game(cluster, ["Hal", "Ida", "Jon"])
    await host.request({"type": "advance"})
    phones = [
        ViewClient(cluster.servers[i % 2].url, f"/ws/play/{code}/", s["cookie"])
        for i, s in enumerate(seats)
    ]
    for phone in phones:
        await phone.open()
    if host.view["session"]["timer"]["ends_at"] is None:  # unless it started with the round
        await host.request({"type": "timer", "op": "start"})
    # Time passes: the round's ten minutes are up in two seconds (both processes' clocks look).
    _shell(
        cluster,
        "import time; from game.models import Session;"
        f"s = Session.objects.get(code='{code}'); due = time.time() + 2;"
        "s.state['timer']['ends_at'] = due; s.timer_due = due; s.save(); print('ok')",
    )
    for phone in phones:
        assert await phone.wait_until(lambda v: v["session"]["timer"]["fired"], WAIT)
    time.sleep(2)  # both clocks have looked again since
    fired = _shell(
        cluster,
        "from game.models import Event;"
        f"print(Event.objects.filter(session__code='{code}', kind='tick').count())",
    )
    assert fired == "1"
    await _close(*phones, host)


async def test_a_process_killed_mid_round_loses_nobody(cluster):
    names = ["Kim", "Liv", "Mia", "Nor"]
    code, seats, host = await _game(cluster, names)
    await host.request({"type": "advance"})
    # Through nginx, which spreads the sockets over both processes.
    phones = [ViewClient(cluster.url, f"/ws/play/{code}/", s["cookie"]) for s in seats]
    for phone in phones:
        await phone.open()
    acknowledged = []
    for i, phone in enumerate(phones):
        value = ["f1"] if i % 2 else ["f2"]
        ok = await phone.request({"type": "vote", "key": "fokus", "value": value})
        acknowledged.append((ok["v"], value))
    tally = {"f1": 2, "f2": 2}
    for phone in phones:
        assert await phone.wait_until(lambda v: _decision(v, "fokus")["tally"] == tally, WAIT)

    cluster.servers[0].kill()
    await asyncio.sleep(1)
    dropped = [phone for phone in phones if phone.closed is not None]
    assert 0 < len(dropped) < len(phones), "nginx put every phone on one process"
    deadline = time.monotonic() + 30
    for phone in dropped:  # they come back through nginx, to the process that lives
        while True:
            try:
                await phone.open(timeout=5)
                break
            except Exception:
                assert time.monotonic() < deadline, "a phone did not get back within 30 s"
                await asyncio.sleep(0.5)
    fresh = ViewClient(cluster.url, f"/ws/play/{code}/", seats[0]["cookie"])
    await fresh.open()
    for phone, name in zip(phones, names, strict=True):
        assert _decision(phone.view, "fokus")["tally"] == tally, name
        assert phone.view["committee"] == fresh.view["committee"], name
    # And the game goes on: a lock reaches everyone, whichever process they are on now.
    lead = next(
        p for p in phones if p.view["me"]["role"] == p.view["session"]["round_info"]["lead"]
    )
    await lead.request({"type": "lock", "key": "fokus", "value": ["f1"]})
    for phone in phones:
        assert await phone.wait_until(lambda v: _decision(v, "fokus")["locked"], WAIT)
    await _close(fresh, *phones, host)
    cluster.servers[0].start()  # as a supervisor would
