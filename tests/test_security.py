"""Security over HTTP: headers, login throttling, join limits, codes that cannot be
probed, the join API's answers to any body, the locked lobby, accounts, and ids.

People: alice (the host), mallory (another host), the players Bo … Ida, and an
outsider who writes scripts (here: the Django test client, from one address).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client as HttpClient

from game import actions, limits
from game.consumers import seat_cookie
from game.models import Event, Player, Session

from .conftest import NAMES
from .support import Client, connect, player_client

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", ROOT / "cases" / "templates"]


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def api_join(client, code: str, name: str, **extra):
    return client.post(
        "/api/join/", json.dumps({"code": code, "name": name}), "application/json", **extra
    )


class FakeClock:
    """The limits' clock, moved on by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(limits, "clock", fake)
    return fake


# --- headers ---------------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def pages_of(session: Session) -> list[str]:
    code = session.code
    return [
        "/host/",
        f"/host/{code}/",
        f"/host/{code}/projector/",
        f"/host/{code}/debrief/",
        "/admin/",
        "/admin/game/session/",
        f"/admin/game/session/{session.pk}/change/",
        "/admin/cases/case/",
        f"/admin/cases/case/{session.case_version.case_id}/change/",
    ]


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


@pytest.fixture
def alice_admin(alice):
    """alice with the admin rights ensure_host gives a host."""
    from game.management.commands.ensure_host import host_permissions

    alice.user_permissions.add(*host_permissions())
    return alice


def test_every_page_has_a_strict_csp_and_a_permissions_policy(client, alice_admin, session):
    alice = alice_admin
    public = ["/", "/host/login/", "/admin/login/", f"/play/{session.code}/next/", "/jsi18n/"]
    responses = [client.get(url) for url in public]
    client.force_login(alice)
    responses += [client.get(url) for url in pages_of(session)]
    responses.append(client.get(f"/host/{session.code}/qr.svg"))
    for response in responses:
        assert response.status_code in (200, 403), (response.request["PATH_INFO"], response)
        csp = csp_directives(response)
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce, no other host
        assert csp["style-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
        assert csp["connect-src"] == ["'self'"]
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_script_or_handler():
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
                found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)


def test_no_served_template_has_a_style_element():
    """Styles come from static/css (the CSP's style-src is 'self'); a <style> would be dropped.

    The one exception is the handout's PDF form, printed from a file (no CSP there).
    """
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            for line in path.read_text().splitlines():
                if re.search(r"<style\b", line):
                    assert "{% if for_pdf %}<style>" in line, (path, line)


def test_no_served_page_has_an_inline_script_or_handler(client, alice_admin, formed_session):
    """As served, with the admin's own templates: what the CSP would block is not there."""
    anonymous = HttpClient()
    pages = [anonymous.get(url) for url in ["/", "/host/login/", "/admin/login/"]]
    client.force_login(alice_admin)
    pages += [client.get(url) for url in pages_of(formed_session)]
    for page in pages:
        url = page.request["PATH_INFO"]
        assert page.status_code == 200, url
        text = page.content.decode()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
            assert not pattern.search(text), (url, pattern.search(text).group(0))


def test_the_debrief_prints_from_a_script_file_not_an_inline_handler(client, alice, session):
    client.force_login(alice)
    page = client.get(f"/host/{session.code}/debrief/").text
    assert 'data-print data-testid="print"' in page
    assert re.search(r'<script src="/static/js/debrief[.\w]*js"></script>', page)
    assert "onclick" not in page


def test_the_qr_code_is_an_svg_from_this_site_with_no_script(client, alice, session):
    client.force_login(alice)
    qr = client.get(f"/host/{session.code}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    body = qr.content.decode()
    assert body.lstrip().startswith(("<?xml", "<svg")) and "<script" not in body.lower()
    dashboard = client.get(f"/host/{session.code}/").text
    assert f'data-qr="/host/{session.code}/qr.svg"' in dashboard  # same origin: 'self'


# --- login throttling -----------------------------------------------------------------------


def login(client, username: str, password: str, address: str = "10.0.0.1", url="/host/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_host_passwords_pause_the_account_with_a_clear_message(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = login(client, "alice", "guess")
        assert wrong.status_code == 200 and 'data-testid="login-error"' in wrong.text
    assert login(client, "alice", "guess").status_code == 429  # the last one allowed
    paused = login(client, "alice", "alice-pw")  # even the right password, for now
    assert paused.status_code == 429
    assert "Der er lukket for login i 15 minutter" in paused.text
    assert "python manage.py unlock_host" in paused.text
    english(client)
    paused = login(client, "alice", "alice-pw")
    assert "Logging in is paused for 15 minutes" in paused.text
    assert "_auth_user_id" not in client.session


def test_the_pause_holds_for_the_account_from_any_address(client, alice):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "guess", address=f"10.0.1.{i}")
    assert login(client, "alice", "alice-pw", address="10.0.9.9").status_code == 429


def test_the_pause_holds_for_the_address_whatever_account(client, alice, mallory):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"nobody{i}", "guess", address="10.0.2.1")
    assert login(client, "alice", "alice-pw", address="10.0.2.1").status_code == 429
    # mallory, elsewhere, is not kept out by someone else's guessing
    assert login(client, "mallory", "mallory-pw", address="10.0.2.2").status_code == 302


def test_the_admin_login_is_throttled_too(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "alice", "guess", url="/admin/login/").status_code == 200
    login(client, "alice", "guess", url="/admin/login/")
    paused = login(client, "alice", "alice-pw", url="/admin/login/")
    assert paused.status_code == 429 and "unlock_host" in paused.text


def test_the_host_gets_back_in_after_the_cool_off_or_with_unlock_host(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "guess")
    assert login(client, "alice", "alice-pw").status_code == 429
    # more wrong guesses during the pause do not make it longer
    login(client, "alice", "guess")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )
    assert login(client, "alice", "alice-pw").status_code == 302
    client.post("/host/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "guess")
    assert login(client, "alice", "alice-pw").status_code == 429
    out = StringIO()
    call_command("unlock_host", "--username", "alice", "--ip", "10.0.0.1", stdout=out)
    assert "logging in works again" in out.getvalue()
    assert login(client, "alice", "alice-pw").status_code == 302


# --- joining: limits per address and session -------------------------------------------------


def seated(session: Session) -> int:
    session.refresh_from_db()
    return len(session.state["players"])


def test_a_burst_of_300_joins_from_one_address_takes_a_few_seats(client, session):
    answers = [api_join(client, session.code, f"Bot {i}") for i in range(300)]
    taken = [a for a in answers if a.status_code == 201]
    slowed = [a for a in answers if a.status_code == 429]
    assert len(taken) + len(slowed) == 300
    assert settings.JOIN_BURST <= len(taken) <= settings.JOIN_BURST + 3
    assert seated(session) == len(taken)
    body = slowed[-1].json()
    assert body["error"] == "slow_down"
    assert body["reason"].startswith("Mange deltager fra det samme netværk på én gang. Vent ")
    assert int(slowed[-1]["Retry-After"]) >= 1
    english(client)
    again = api_join(client, session.code, "Bot x")
    assert (
        again.status_code == 429 and "joining from this network at once" in again.json()["reason"]
    )


def test_the_join_page_says_the_same_and_keeps_what_was_typed(client, session, clock):
    for i in range(settings.JOIN_BURST):
        other = HttpClient()
        assert other.post("/join/", {"code": session.code, "name": f"P{i}"}).status_code == 302
    page = client.post("/join/", {"code": session.code, "name": "Gry"})
    assert page.status_code == 429
    assert "Vent 2 sekunder, og tryk på Deltag igen." in page.text
    assert 'value="Gry"' in page.text and f'value="{session.code}"' in page.text
    clock.now += settings.JOIN_INTERVAL
    assert client.post("/join/", {"code": session.code, "name": "Gry"}).status_code == 302


def test_a_room_of_40_behind_one_address_gets_in_within_two_minutes(session, clock):
    """40 phones behind the venue's NAT, arriving within a minute; each waits as told, then retries."""
    start = clock.now
    arrivals = [start + i * 60 / 40 for i in range(40)]
    due = {i: t for i, t in enumerate(arrivals)}  # phone -> when it presses Join
    joined_at: dict[int, float] = {}
    phones = {i: HttpClient() for i in due}
    while due:
        i, t = min(due.items(), key=lambda kv: kv[1])
        clock.now = t
        answer = api_join(phones[i], session.code, f"Person {i}")
        if answer.status_code == 201:
            joined_at[i] = t
            del due[i]
        else:
            assert answer.status_code == 429
            due[i] = t + int(answer["Retry-After"])
    assert len(joined_at) == 40 and seated(session) == 40
    assert max(joined_at.values()) - start <= 120
    waited = [joined_at[i] - arrivals[i] for i in joined_at]
    print(f"waited: max {max(waited):.0f} s, {sum(w > 0 for w in waited)} of 40 waited")
    assert max(waited) <= 15  # nobody waits long, and most not at all
    assert sum(w > 0 for w in waited) <= 20  # at 40 a minute, 15 wait a few seconds


def test_limits_are_per_address_and_per_session(client, session, alice, mini_case):
    other = actions.create_session(host=alice, case_version=mini_case, options={"size": 4})
    for i in range(settings.JOIN_BURST):
        assert api_join(client, session.code, f"A{i}").status_code == 201
    assert api_join(client, session.code, "late").status_code == 429
    assert api_join(client, other.code, "Bo").status_code == 201  # another session
    elsewhere = api_join(client, session.code, "Cai", REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 201  # another address


def test_ipv6_addresses_in_one_64_share_a_bucket(client, session):
    for i in range(settings.JOIN_BURST):
        answer = api_join(client, session.code, f"A{i}", REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}")
        assert answer.status_code == 201
    assert api_join(client, session.code, "B", REMOTE_ADDR="2001:db8:1:2::ff").status_code == 429
    assert api_join(client, session.code, "C", REMOTE_ADDR="2001:db8:1:3::1").status_code == 201


def test_the_hosts_own_bots_carry_a_pass_past_the_limit(client, session):
    for i in range(settings.JOIN_BURST):
        assert api_join(client, session.code, f"Bo {i}").status_code == 201
    assert api_join(client, session.code, "Cai").status_code == 429
    header = {"HTTP_X_JOIN_PASS": limits.join_pass(session.code)}
    for i in range(20):
        assert api_join(client, session.code, f"Bot {i}", **header).status_code == 201
    forged = {"HTTP_X_JOIN_PASS": limits.join_pass("AAAAAA")}  # another session's pass
    assert api_join(client, session.code, "Mallory", **forged).status_code == 429


# --- codes cannot be guessed or probed -------------------------------------------------------


def test_wrong_codes_are_throttled_per_address_even_for_a_right_code(client, session, clock):
    for i in range(settings.CODE_GUESS_BURST):
        assert api_join(client, f"AAAA{i % 10}A"[:6], "x").status_code == 404
    guess = api_join(client, session.code, "Bo")  # the right one gives no sign now
    assert guess.status_code == 429
    assert guess.json()["reason"].startswith("For mange forsøg med en forkert kode")
    assert seated(session) == 0
    assert api_join(client, session.code, "Bo", REMOTE_ADDR="192.0.2.9").status_code == 201
    clock.now += settings.CODE_GUESS_INTERVAL
    assert api_join(client, session.code, "Cai").status_code == 201


def test_an_ended_code_is_answered_as_one_that_never_was(client, session):
    actions.perform(session.pk, {"kind": "end"}, actor="host")
    ended, unknown = api_join(client, session.code, "Bo"), api_join(client, "ACDEFG", "Bo")
    assert ended.status_code == unknown.status_code == 404
    assert (
        ended.json()
        == unknown.json()
        == {
            "error": "no_session",
            "reason": "Der er intet åbent spil med den kode.",
        }
    )
    page_ended = client.post("/join/", {"code": session.code, "name": "Bo"})
    page_unknown = client.post("/join/", {"code": "ACDEFG", "name": "Bo"})
    assert page_ended.status_code == page_unknown.status_code == 400
    error = re.compile(r'<p class="field-error"[^>]*>(.*?)</p>', re.S)  # under the code field
    assert error.findall(page_ended.text) == error.findall(page_unknown.text) != []


def _same(a, b) -> None:
    assert a.status_code == b.status_code
    assert a.get("Location", "").replace("ACDEFG", "X") == b.get("Location", "").replace(
        "HJKMNP", "X"
    )
    if a.get("Content-Type", "").startswith("application/json"):
        assert a.json() == b.json()


def test_no_address_tells_a_live_code_from_a_made_up_one(session, seats, django_user_model):
    """Anonymous, a non-staff account, another host: the same answers for both codes."""
    Session.objects.filter(pk=session.pk).update(code="ACDEFG")
    paths = [
        "/play/{}/",
        "/play/{}/next/",
        "/play/{}/summary/",
        "/join/wait/{}/",
        "/join/wait/{}/status/",
        "/host/{}/handout/",
        "/host/{}/handout.pdf",
        "/?code={}",
        "/host/{}/",
        "/host/{}/qr.svg",
        "/host/{}/projector/",
        "/host/{}/debrief/",
        "/host/{}/export.zip",
        "/host/{}/events.json",
    ]
    outsider = django_user_model.objects.create_user("olga", password="pw")
    other_host = django_user_model.objects.create_user("otto", password="pw", is_staff=True)
    for who in (None, outsider, other_host):
        c = HttpClient()
        if who is not None:
            c.force_login(who)
        for path in paths:
            live, made_up = c.get(path.format("ACDEFG")), c.get(path.format("HJKMNP"))
            _same(live, made_up)
            assert live.status_code != 500, path
        for path in (
            "/host/{}/again/",
            "/host/{}/bots/",
            "/host/{}/delete-data/",
            "/join/wait/{}/cancel/",
        ):
            _same(c.post(path.format("ACDEFG")), c.post(path.format("HJKMNP")))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("endpoint", ["play", "host", "projector"])
async def test_websockets_answer_a_live_and_a_made_up_code_alike(formed_session, endpoint):
    answers = []
    for code in (formed_session.code, "HJKMNP"):
        client = Client(connect(f"/ws/{endpoint}/{code}/"), "outsider")
        frame = await client.connect()
        close = await client.communicator.receive_output(3)
        answers.append((frame["code"], frame["reason"], close["code"]))
        await client.communicator.wait()
    assert answers[0] == answers[1]


# --- the join API: any body, a polite 4xx ------------------------------------------------------


BODIES = [
    b"",
    b"not json",
    b"[]",
    b'"text"',
    b"null",
    b"{}",
    b'{"code": "ACDEFG"}',
    b'{"code": 123456, "name": "Bo"}',
    b'{"code": "ACDEFG", "name": null}',
    b'{"code": "ACDEFG", "name": ["Bo"]}',
    b'{"code": ["A"], "name": {"x": 1}}',
    b"\xff\xfe\x00",
    b"[" * 1500 + b"]" * 1500,  # deeper than json's recursion limit, under the size limit
    b"[" * 3000 + b"]" * 3000,
    b'{"code": "\\u0000CDEFG", "name": "Bo"}',
    b'{"code": "\\ud800CDEF", "name": "Bo"}',
    b'{"code": "ACDEFG\\u0000", "name": "Bo\\u0000"}',
    b'{"code": "' + b"A" * 5000 + b'", "name": "Bo"}',
    b'{"code": "%s", "name": "\\ud83d"}',
    b'{"code": "%s", "name": "' + b"x" * 1000 + b'"}',
    b'{"code": "%s", "name": "   "}',
    b'{"code": "%s", "name": "Bo", "extra": {"deep": [1, 2, 3]}}',
]


@pytest.mark.postgres
@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_the_join_api_answers_any_body_with_a_reason_never_a_500(client, session, body):
    if b"%s" in body:
        body = body.replace(b"%s", session.code.encode())
    before = (seated(session), Event.objects.count(), Player.objects.count())
    answer = client.post("/api/join/", body, "application/json")
    if body.endswith(b'"extra": {"deep": [1, 2, 3]}}'):
        assert answer.status_code == 201  # unknown keys are ignored
        return
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:200])
    data = answer.json()
    assert data["error"] and data["reason"]
    assert (seated(session), Event.objects.count(), Player.objects.count()) == before


def test_a_huge_join_body_is_refused_unread(client, session):
    body = json.dumps({"code": session.code, "name": "x" * 3_000_000}).encode()
    answer = client.post("/api/join/", body, "application/json")
    assert answer.status_code == 413
    assert answer.json()["reason"] == "Forespørgslen er for stor."
    assert seated(session) == 0


def test_a_wrong_method_or_content_type_is_refused(client, session):
    assert client.get("/api/join/").status_code == 405
    plain = client.post(
        "/api/join/", json.dumps({"code": session.code, "name": "Bo"}), "text/plain"
    )
    assert plain.status_code == 415 and plain.json()["reason"] == "Send JSON."


# --- the locked lobby --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_host_locks_the_lobby_and_lets_a_latecomer_in_with_one_tap(
    formed_session, seats, alice
):
    code = formed_session.code
    host = Client(connect(f"/ws/host/{code}/", user=alice), "host")
    projector = Client(connect(f"/ws/projector/{code}/", user=alice), "projector")
    bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
    for c in (host, projector, bo):
        await c.connect()
    try:
        assert host.view["lobby"] == {"locked": False, "waiting": []}
        ok = await host.send(type="lobby", locked=True, op_id="lock-1")  # as live.js sends it
        assert ok["type"] == "ok"
        await host.until(ok["v"])
        assert host.view["lobby"]["locked"] is True

        # Jon joins on the page: he gets a seat cookie and a page that waits
        http = HttpClient()
        page = await database_sync_to_async(http.post)("/join/", {"code": code, "name": "Jon"})
        assert page.status_code == 302 and page["Location"] == f"/play/{code}/"
        token = page.cookies[seat_cookie(code)].value
        play = await database_sync_to_async(http.get)(f"/play/{code}/")
        assert play.status_code == 200
        jon = Client(player_client(formed_session, token), "Jon")
        await jon.connect()
        me = jon.view["me"]
        assert me["waiting"] is True and me["name"] == "Jon" and jon.view["committee"] is None

        await host.until(jon.v)
        waiting = host.view["lobby"]["waiting"]
        assert [w["name"] for w in waiting] == ["Jon"]
        assert "Jon" not in json.dumps(projector.view)  # not on the big screen before approval
        assert me["id"] not in host.view["players"]
        assert len(bo.view["committee"]["members"]) == 4  # the committee did not change

        # a waiting seat cannot act
        refused = await jon.send(type="vote", key="fokus", value="f1")
        assert refused["type"] == "error"

        ok = await host.send(type="admit", player=me["id"])
        assert ok["type"] == "ok"
        await jon.until(ok["v"])  # the phone moves on by itself
        assert not jon.view["me"].get("waiting") and jon.view["me"]["committee"] is not None
        await host.until(ok["v"])
        assert host.view["lobby"]["waiting"] == []
        assert host.view["players"][me["id"]]["name"] == "Jon"
        await projector.until(ok["v"])
    finally:
        for c in (host, projector, bo):
            await c.close()
        await jon.close()


@pytest.mark.django_db(transaction=True)
async def test_the_host_turns_a_stranger_away_and_the_phone_is_told(session, alice):
    host = Client(connect(f"/ws/host/{session.code}/", user=alice), "host")
    await host.connect()
    try:
        ok = await host.send(type="lobby", locked=True)
        player, token, done = await database_sync_to_async(actions.join)(session, "Mallory")
        await actions.broadcast(done)
        stranger = Client(player_client(session, token), "Mallory")
        await stranger.connect()
        assert stranger.view["me"]["waiting"] is True
        ok = await host.send(type="turn_away", player=player.pid)
        assert ok["type"] == "ok"
        await stranger.until(ok["v"])
        assert stranger.view["me"]["turned_away"] is True
        assert stranger.view["me"]["waiting"] is False
        await host.until(ok["v"])
        assert host.view["lobby"]["waiting"] == [] and host.view["players"] == {}
        again = await host.send(type="admit", player=player.pid)
        assert again["type"] == "error" and again["code"] == "not_found"
        # the host opens the lobby again: new seats go straight in
        await host.send(type="lobby", locked=False)
        _p, _t, done = await database_sync_to_async(actions.join)(session, "Bo")
        assert done.events[0]["kind"] == "join"
        await stranger.close()
    finally:
        await host.close()


@pytest.mark.django_db(transaction=True)
async def test_players_cannot_lock_or_open_the_lobby_or_let_anyone_in(formed_session, seats):
    bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
    await bo.connect()
    try:
        for frame in (
            {"type": "lobby", "locked": True},
            {"type": "admit", "player": "1"},
            {"type": "turn_away", "player": "2"},
        ):
            answer = await bo.send(**frame)
            assert answer["type"] == "error" and answer["code"] == "unknown_type"
    finally:
        await bo.close()


def test_a_locked_lobby_still_takes_the_hosts_bots_and_play_again_seats(client, formed_session):
    actions.perform(formed_session.pk, {"kind": "lobby", "locked": True}, actor="host")
    header = {"HTTP_X_JOIN_PASS": limits.join_pass(formed_session.code)}
    assert api_join(client, formed_session.code, "Bot 1", **header).status_code == 201
    stranger = api_join(client, formed_session.code, "Stranger")
    assert stranger.status_code == 201  # a seat, but one that waits
    formed_session.refresh_from_db()
    names = {p["name"] for p in formed_session.state["players"].values()}
    assert "Bot 1" in names and "Stranger" not in names
    assert [w["name"] for w in formed_session.state["waiting"].values()] == ["Stranger"]
    new = actions.play_again(formed_session)
    new.refresh_from_db()
    assert len(new.state["players"]) == len(NAMES) + 1 and not new.state.get("waiting")


def test_the_lobby_flag_is_a_boolean(session):
    for bad in ("yes", 1, None, [True]):
        with pytest.raises(actions.Refused):
            actions.perform(session.pk, {"kind": "lobby", "locked": bad}, actor="host")


# --- accounts ----------------------------------------------------------------------------------


def test_ensure_host_makes_a_staff_host_that_is_not_a_superuser(client, session, mini_case):
    out = StringIO()
    call_command("ensure_host", stdout=out)
    host = get_user_model().objects.get(username="host")
    assert host.is_staff and not host.is_superuser
    client.force_login(host)
    # it manages the cases in the admin …
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/cases/case/").status_code == 200
    # … and sees only its own sessions, there and on its pages
    own = actions.create_session(host=host, case_version=mini_case, options={"size": 4})
    listing = client.get("/admin/game/session/").text
    assert own.code in listing and session.code not in listing
    assert client.get(f"/admin/game/session/{session.pk}/change/").status_code == 302
    assert client.get(f"/admin/game/session/{own.pk}/change/").status_code == 200
    assert session.code not in client.get("/host/").text
    assert client.get(f"/host/{session.code}/").status_code == 404
    assert client.get(f"/host/{own.code}/").status_code == 200


def test_ensure_host_makes_a_superuser_only_when_asked(db):
    call_command("ensure_host", "--username", "root", "--superuser", stdout=StringIO())
    assert get_user_model().objects.get(username="root").is_superuser


def test_a_superuser_sees_every_session_in_the_admin(client, session, mallory, mini_case):
    theirs = actions.create_session(host=mallory, case_version=mini_case, options={"size": 4})
    root = get_user_model().objects.create_superuser("root", password="pw")
    client.force_login(root)
    listing = client.get("/admin/game/session/").text
    assert session.code in listing and theirs.code in listing


# --- opaque ids --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_player_ids_are_numbers_within_the_session_not_database_keys(client, session, alice):
    from cases.loader import load_case

    from .conftest import CASES

    version = load_case(CASES / "mini.yaml")[0]
    busy = actions.create_session(host=alice, case_version=version, options={"size": 4})
    for i in range(30):
        actions.join(busy, f"P{i}")
    assert api_join(client, session.code, "Bo").status_code == 201
    assert api_join(client, session.code, "Cai").status_code == 201
    session.refresh_from_db()
    assert sorted(session.state["players"]) == ["1", "2"]
    bo = Player.objects.get(session=session, name="Bo")
    assert bo.pid == "1" and bo.pk > 30  # the key tells how many seats the server gave; the id not
    assert [e.actor for e in Event.objects.filter(session=session)] == ["player:1", "player:2"]
    client.force_login(alice)
    exported = client.get(f"/host/{session.code}/events.json").content.decode()
    assert f'"{bo.pk}"' not in exported and f": {bo.pk}," not in exported


def test_play_again_numbers_the_seats_of_the_new_session_afresh(formed_session, seats):
    actions.perform(formed_session.pk, {"kind": "remove", "player": seats["Bo"][0]}, actor="host")
    new = actions.play_again(formed_session)
    new.refresh_from_db()
    assert sorted(new.state["players"], key=int) == [str(i) for i in range(1, len(NAMES))]
    numbers = list(Player.objects.filter(session=new).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, len(NAMES)))
    cai = seats["Cai"][1]  # the token carries over
    assert actions.seat_for(new, cai).name == "Cai"


@pytest.mark.django_db(transaction=True)
async def test_frames_carry_the_seat_number(formed_session, seats, alice):
    bo = Client(player_client(formed_session, seats["Bo"][1]), "Bo")
    await bo.connect()
    try:
        assert bo.view["me"]["id"] == "1"
        ids = {m["id"] for m in bo.view["committee"]["members"]}
        assert ids <= {str(i) for i in range(1, 9)}
    finally:
        await bo.close()
