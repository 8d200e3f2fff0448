"""The authorisation matrix: every host page, every POST and every host or projector
websocket kind, tried as anonymous, as a player, as a non-staff user and as
another host (mallory): refused, and nothing changed (the session's version,
its Event rows, the sessions and the seats are as before).

The URLs come from the URLconf itself, so a new host URL is tried the day it is
added; a URL that is neither public nor a host's fails ``test_every_url_is_classified``.
"""

from __future__ import annotations

import json
import re

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from game import protocol
from game.consumers import seat_cookie
from game.management.commands.ensure_host import host_permissions
from game.models import Event, Player, Session

from .support import WAIT, connect

# Open to everyone by design (each checks what it gives: a seat cookie, a login).
PUBLIC = {
    "",
    "join/",
    "api/join/",
    "play/<str:code>/",
    "play/<str:code>/next/",
    "play/<str:code>/summary/",  # a seat's own summary, by its cookie (tests/test_summary.py)
    # a device waiting for the host to hand it a seat, by its claim cookie (the seat claims)
    "join/wait/<str:code>/",
    "join/wait/<str:code>/status/",
    "join/wait/<str:code>/cancel/",
    "host/login/",
    "host/logout/",
    "i18n/setlang/",
    "jsi18n/",
}
ACTORS = ["anonymous", "player", "non-staff", "other host"]


def routes() -> list[str]:
    """Every URL pattern of the site, as a route string; the admin's as "admin/"."""

    def walk(patterns, prefix: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern) == "admin/":
                    yield "admin/"
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return list(walk(get_resolver().url_patterns))


def host_routes() -> list[str]:
    return [r for r in routes() if r.startswith("host/") and r not in PUBLIC]


def url_of(route: str, code: str) -> str:
    """The route with the session's code, and "1" for any other part (a claim, an answer)."""
    return "/" + re.sub(r"<[^>]+>", "1", route.replace("<str:code>", code))


def test_every_url_is_classified():
    unknown = [
        r for r in routes() if r not in PUBLIC and not r.startswith("host/") and r != "admin/"
    ]
    assert not unknown, f"neither public nor a host page: {unknown}; add it to the matrix"
    assert len(host_routes()) >= 10  # the dashboard, QR, projector, again, bots, reports …


def snapshot(session: Session) -> tuple:
    """What must not change: the session's version and log, the sessions, the seats."""
    session.refresh_from_db()
    return (
        session.version,
        session.status,
        Event.objects.filter(session=session).count(),
        Session.objects.count(),
        Player.objects.count(),
    )


@pytest.fixture
def actors(formed_session, seats, mallory, django_user_model) -> dict[str, HttpClient]:
    out = {name: HttpClient() for name in ACTORS}
    out["player"].cookies[seat_cookie(formed_session.code)] = seats["Bo"][1]
    outsider = django_user_model.objects.create_user("olga", password="pw")  # not staff
    out["non-staff"].force_login(outsider)
    mallory.user_permissions.add(*host_permissions())  # a real host, with her admin rights
    out["other host"].force_login(mallory)
    return out


def expected_refusal(actor: str, route: str, response) -> bool:
    if response.status_code == 405:  # the wrong method: refused before anything is looked up
        return True
    if actor in ("anonymous", "player"):  # to the login page, with nothing of the session
        return response.status_code == 302 and response["Location"].startswith("/host/login/")
    if actor == "non-staff":
        return response.status_code == 403
    return response.status_code == 404  # another host: as if the code did not exist


@pytest.mark.postgres
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_host_url_refuses_everyone_but_the_sessions_host(
    actors, formed_session, actor, method
):
    client = actors[actor]
    before = snapshot(formed_session)
    tried = []
    for route in host_routes():
        url = url_of(route, formed_session.code)
        data = {"count": "3", "case_version": formed_session.case_version_id, "size": "4"}
        response = getattr(client, method)(url, data)
        tried.append(url)
        if route == "host/" and actor == "other host":
            # her own home page (and her own new session on POST): nothing of alice's
            assert formed_session.code not in response.content.decode()
            continue
        assert expected_refusal(actor, route, response), (actor, method, url, response)
        assert formed_session.code not in response.content.decode(), (actor, url)
    after = snapshot(formed_session)
    if actor == "other host" and method == "post":
        # mallory's POST to /host/ made her own session; alice's is untouched
        assert after[:3] == before[:3] and after[4] == before[4]
        assert Session.objects.filter(host__username="mallory").count() == 1
    else:
        assert after == before
    assert len(tried) == len(host_routes())


@pytest.mark.parametrize("actor", ACTORS)
def test_the_admin_shows_nothing_of_the_session_and_changes_nothing(actors, formed_session, actor):
    client = actors[actor]
    before = snapshot(formed_session)
    pk = formed_session.pk
    change, delete = f"/admin/game/session/{pk}/change/", f"/admin/game/session/{pk}/delete/"
    for url in (change, delete, "/admin/game/session/"):
        response = client.get(url)
        assert formed_session.code not in response.content.decode(), (actor, url)
        if actor == "other host" and url.endswith("/session/"):
            assert response.status_code == 200  # her own list: empty
        else:
            assert response.status_code in (302, 403, 404), (actor, url, response)
    client.post(delete, {"post": "yes"})
    client.post(change, {"status": "ended"})
    assert snapshot(formed_session) == before


def test_the_sessions_host_is_let_in_everywhere_the_others_are_not(client, alice, formed_session):
    """The matrix's other side: the same URLs open for alice (so refusals are not an accident).

    A POST-only URL answers her GET with 405; what it does is tested with its feature.
    """
    client.force_login(alice)
    opened = []
    for route in host_routes():
        url = url_of(route, formed_session.code)
        status = client.get(url).status_code
        assert status in (200, 405), (url, status)
        opened += [route] if status == 200 else []
    for page in ("host/<str:code>/", "host/<str:code>/qr.svg", "host/<str:code>/projector/"):
        assert page in opened
    assert len(opened) >= 8


# --- websockets ----------------------------------------------------------------------------

# One valid-looking frame of every kind a host (or projector) socket knows. A kind
# added to the protocol without an example here fails the test below.
EXAMPLES = {
    "sync": {},
    "ping": {},
    "form": {"size": 4},
    "move": {"player": "1", "committee": "2"},
    "remove": {"player": "1"},
    "readmit": {"player": "1"},
    "start": {},
    "advance": {},
    "back": {},
    "timer": {"op": "start"},
    "lock_all": {},
    "inject": {"card": "e1"},
    "message": {"text": "Mallory was here"},
    "end": {},
    "lobby": {"locked": True},
    "admit": {"player": "1"},
    "turn_away": {"player": "1"},
    "rename": {"player": "1", "name": "Mallory"},
}


def test_every_host_kind_has_an_example():
    kinds = protocol.KINDS["host"] | protocol.KINDS["projector"]
    assert kinds <= EXAMPLES.keys(), kinds - EXAMPLES.keys()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", ["host", "projector"])
async def test_host_and_projector_sockets_refuse_everyone_but_the_host(
    formed_session, seats, mallory, actor, endpoint
):
    outsider = await database_sync_to_async(get_user_model().objects.create_user)("olga")
    user = {"non-staff": outsider, "other host": mallory}.get(actor)
    cookies = {seat_cookie(formed_session.code): seats["Bo"][1]} if actor == "player" else None
    before = await database_sync_to_async(snapshot)(formed_session)
    communicator = connect(f"/ws/{endpoint}/{formed_session.code}/", cookies=cookies, user=user)
    connected, _ = await communicator.connect()
    assert connected  # accepted, to say why it closes
    for kind in sorted(protocol.KINDS["host"]):  # sent at once, before the refusal is read
        await communicator.send_to(text_data=json.dumps({"type": kind, **EXAMPLES[kind]}))
    frames = []
    while True:
        out = await communicator.receive_output(WAIT)
        if out["type"] == "websocket.close":
            break
        frames.append(json.loads(out["text"]))
    assert out["code"] == 4403
    assert [f["type"] for f in frames] == ["error"] and frames[0]["code"] == "not_host"
    assert await database_sync_to_async(snapshot)(formed_session) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_a_player_socket_takes_no_host_kind_and_the_projector_none_at_all(
    formed_session, seats, alice
):
    before = await database_sync_to_async(snapshot)(formed_session)
    player = connect(
        f"/ws/play/{formed_session.code}/",
        cookies={seat_cookie(formed_session.code): seats["Bo"][1]},
    )
    projector = connect(f"/ws/projector/{formed_session.code}/", user=alice)
    for communicator, role in ((player, "player"), (projector, "projector")):
        await communicator.connect()
        first = json.loads(await communicator.receive_from(WAIT))
        assert first["type"] == "snapshot"
        for kind in sorted(protocol.KINDS["host"] - protocol.KINDS[role]):
            await communicator.send_to(
                text_data=json.dumps({"type": kind, "ref": kind, **EXAMPLES[kind]})
            )
            while True:
                answer = json.loads(await communicator.receive_from(WAIT))
                if answer["type"] != "event":  # a presence change may come in between
                    break
            assert answer["type"] == "error" and answer["code"] == "unknown_type", (role, kind)
            assert answer["ref"] == kind
        await communicator.disconnect()
    after = await database_sync_to_async(snapshot)(formed_session)
    # only presence (a connect and a disconnect) moved the version; no action of a host
    kinds = await database_sync_to_async(
        lambda: set(
            Event.objects.filter(session=formed_session, version__gt=before[0]).values_list(
                "kind", flat=True
            )
        )
    )()
    assert kinds <= {"presence"}
    assert after[1] == before[1] and after[3:] == before[3:]
