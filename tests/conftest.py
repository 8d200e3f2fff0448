"""Shared fixtures with named people.

- ``alice``: the host of ``session`` (a session of the mini case).
- ``mallory``: another host, with her own session; she must see nothing of alice's.
- ``seats``: players Bo, Cai, Dan, Eva, Finn, Gry, Hal, Ida, joined in that
  order; ``formed_session`` deals them round-robin into two committees of four.
- the outsider: a websocket client with no seat and no login (tests/support.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import translation

from cases.loader import load_case
from game import actions
from game import db as game_db

CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).parent.parent
NAMES = ["Bo", "Cai", "Dan", "Eva", "Finn", "Gry", "Hal", "Ida"]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.GAME_TIMER_LOOP = False  # tests drive the clock themselves
    # Hashing a password properly takes 0.3 s; the tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    translation.deactivate()  # a test that switched language must not leave it on


@pytest.fixture(scope="session", autouse=True)
def _close_the_database_thread(django_db_setup, django_db_blocker):
    """The websockets' database thread keeps its connection (game.db): close it
    before the test database is dropped, which PostgreSQL refuses while it is open."""
    yield
    with django_db_blocker.unblock():
        asyncio.run(game_db.database_sync_to_async(connections.close_all)())


@pytest.fixture
def mini_case(db):
    return load_case(CASES / "mini.yaml")[0]


@pytest.fixture
def school_case(db):
    return load_case(ROOT / "cases" / "skole.yaml")[0]


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password="alice-pw", is_staff=True)


@pytest.fixture
def mallory(db):
    return get_user_model().objects.create_user("mallory", password="mallory-pw", is_staff=True)


@pytest.fixture
def session(alice, mini_case):
    # Fixed roles, so that a test can name the lead once (real sessions rotate them).
    return actions.create_session(
        host=alice, case_version=mini_case, options={"size": 4, "rotate_roles": False}
    )


@pytest.fixture
def seats(session):
    """Eight players joined in the lobby: name -> (pid, token)."""
    out = {}
    for name in NAMES:
        player, token, _done = actions.join(session, name)
        out[name] = (player.pid, token)
    return out


@pytest.fixture
def formed_session(session, seats):
    actions.perform(session.pk, {"kind": "form"}, actor="host")
    session.refresh_from_db()
    return session


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The join limits (game.limits) live in the cache: each test starts with full buckets."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fixed_game_seed(settings):
    """Sessions draw personas and cards with a seed: a fixed one keeps tests repeatable."""
    settings.GAME_SEED = 0


@pytest.fixture(autouse=True)
def _fresh_streams(monkeypatch):
    """A pong reads the streams' versions from the database every time (no second-old
    figure), so a test's client knows at once which changes it is to wait for."""
    from game import consumers

    monkeypatch.setattr(consumers, "VERSION_FRESH", 0.0)
    monkeypatch.setattr(consumers, "PONG_WAITS", True)
    consumers._streams.clear()
