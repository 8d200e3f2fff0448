"""The screens over HTTP: join, play, the host's pages, the QR code, play again.

The live parts are JavaScript fed by the websockets (tested elsewhere); here
the Django test client checks what the server decides: language, refusals,
the seat cookie, who may open which page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import trans_real

from game import actions
from game.consumers import seat_cookie
from game.models import Session

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.fixture(scope="module", autouse=True)
def _compiled_translations():
    """The .mo files are git-ignored; compile them if they are missing or stale."""
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", locale=["da", "en"], ignore_patterns=[".venv"], verbosity=0)
        trans_real._translations.clear()  # catalogs loaded before the compile are stale
        trans_real._default = None


def join(client, code, name):
    return client.post("/join/", {"code": code, "name": name})


# --- joining -----------------------------------------------------------------------------


def test_join_page_is_danish_by_default(client, db):
    # The phone's language is not asked: Danish unless the switch says otherwise.
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.status_code == 200
    assert '<html lang="da">' in page.text
    assert "Deltag i spillet" in page.text
    assert 'data-testid="language-switch"' in page.text


def test_join_page_in_english_with_the_language_cookie(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/")
    assert '<html lang="en">' in page.text
    assert "Join the game" in page.text


def test_the_code_is_filled_in_from_the_address(client, session):
    page = client.get(f"/?code={session.code.lower()}")
    assert f'value="{session.code}"' in page.text


def test_a_wrong_code_is_refused_without_a_cookie(client, session):
    page = join(client, "ZZZZZZ", "Bo")
    assert page.status_code == 400
    assert "Der er intet åbent spil med den kode." in page.text
    assert not [c for c in page.cookies if c.startswith("seat_")]


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Skriv dit navn."), ("   ", "Skriv dit navn."), ("x" * 41, "Et navn er højst 40 tegn.")],
)
def test_an_empty_or_too_long_name_is_refused(client, session, name, message):
    page = join(client, session.code, name)
    assert page.status_code == 400
    assert message in page.text
    assert seat_cookie(session.code) not in page.cookies
    session.refresh_from_db()
    assert session.state["players"] == {}


def test_an_ended_session_is_refused(client, session):
    # Refused as a code that never was (tests/test_security.py): a join tells no
    # guesser which codes are real.
    actions.perform(session.pk, {"kind": "end"}, actor="host")
    page = join(client, session.code, "Bo")
    assert page.status_code == 400
    assert "Der er intet åbent spil med den kode." in page.text
    assert seat_cookie(session.code) not in page.cookies


def test_a_full_session_is_refused_in_english_too(client, session):
    assert join(client, session.code, "Ann").status_code == 302
    session.refresh_from_db()
    session.state["options"]["max_players"] = 1
    session.save(update_fields=["state"])
    client.cookies.clear()  # another phone
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = join(client, session.code, "Bo")
    assert page.status_code == 400
    assert "The session is full." in page.text


def test_the_max_players_setting_caps_a_new_session(client, alice, mini_case, settings):
    settings.MAX_PLAYERS = 2
    session = actions.create_session(host=alice, case_version=mini_case, options={"size": 3})
    for name in ("Ann", "Bo"):
        client.cookies.clear()
        assert join(client, session.code, name).status_code == 302
    client.cookies.clear()
    page = join(client, session.code, "Cy")
    assert page.status_code == 400
    assert "Spillet er fuldt." in page.text
    session.refresh_from_db()
    assert [p["name"] for p in session.state["players"].values()] == ["Ann", "Bo"]


def test_a_good_join_sets_the_seat_cookie_and_goes_to_the_game(client, session):
    page = join(client, f" {session.code.lower()} ", "  Bo  ")
    assert page.status_code == 302
    assert page["Location"] == f"/play/{session.code}/"
    cookie = page.cookies[seat_cookie(session.code)]
    assert cookie.value and cookie["httponly"] and cookie["samesite"] == "Lax"
    session.refresh_from_db()
    assert [p["name"] for p in session.state["players"].values()] == ["Bo"]
    play = client.get(page["Location"])
    assert play.status_code == 200
    assert f'data-code="{session.code}"' in play.text
    assert 'data-testid="tab-role"' in play.text


def test_joining_again_from_a_seated_device_goes_back_to_the_seat(client, session):
    first = join(client, session.code, "Bo")
    again = join(client, session.code, "Bo")  # the phone's back button, the form sent twice
    assert again.status_code == 302 and again["Location"] == first["Location"]
    session.refresh_from_db()
    assert [p["name"] for p in session.state["players"].values()] == ["Bo"]  # no second seat


def test_the_join_api_takes_json_only_and_sets_no_cookie(client, session):
    # A form on another site can post text/plain; it must not take over a seat cookie.
    forged = client.post("/api/join/", f'{{"code": "{session.code}", "name": "X"}}', "text/plain")
    assert forged.status_code == 415 and not forged.cookies
    seat = client.post("/api/join/", {"code": session.code, "name": "Bot"}, "application/json")
    assert seat.status_code == 201 and seat.json()["token"] and not seat.cookies
    session.refresh_from_db()
    assert [p["name"] for p in session.state["players"].values()] == ["Bot"]


def test_the_play_page_without_a_seat_goes_to_the_join_page(client, session):
    page = client.get(f"/play/{session.code}/")
    assert page.status_code == 302
    assert page["Location"] == f"/?code={session.code}"
    client.cookies[seat_cookie(session.code)] = "not-a-seat"
    assert client.get(f"/play/{session.code}/")["Location"] == f"/?code={session.code}"


def test_the_play_page_of_an_unknown_code_goes_to_the_join_page(client, db):
    # As for a real code without a seat: the address cannot tell real codes apart.
    page = client.get("/play/zzzzzz/")
    assert page.status_code == 302
    assert page["Location"] == "/?code=ZZZZZZ"


def test_the_javascript_catalog_is_danish(client, db):
    page = client.get("/jsi18n/")
    assert page.status_code == 200
    assert "Forbinder igen" in page.content.decode()


# --- the host ----------------------------------------------------------------------------


def host_pages(code: str) -> list[str]:
    return ["/host/", f"/host/{code}/", f"/host/{code}/qr.svg", f"/host/{code}/projector/"]


def test_the_host_pages_need_a_login(client, session):
    for url in host_pages(session.code):
        page = client.get(url)
        assert page.status_code == 302, url
        assert page["Location"].startswith("/host/login/?next="), url
    assert client.post(f"/host/{session.code}/again/").status_code == 302
    assert Session.objects.count() == 1


def test_the_login_page_logs_the_host_in(client, alice):
    assert "Log ind som spilleder" in client.get("/host/login/").text
    bad = client.post("/host/login/", {"username": "alice", "password": "wrong"})
    assert 'data-testid="login-error"' in bad.text
    good = client.post("/host/login/", {"username": "alice", "password": "alice-pw"})
    assert good["Location"] == "/host/"
    assert client.post("/host/logout/")["Location"] == "/host/login/"


def test_the_host_sees_her_pages(client, alice, session):
    client.force_login(alice)
    for url in host_pages(session.code):
        assert client.get(url).status_code == 200, url
    dashboard = client.get(f"/host/{session.code}/").text
    assert f"/host/{session.code}/projector/" in dashboard
    assert 'target="_blank"' in dashboard


def test_another_host_gets_404(client, mallory, session):
    client.force_login(mallory)
    for url in host_pages(session.code)[1:]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/host/{session.code}/again/").status_code == 404
    assert client.post(f"/host/{session.code}/bots/", {"count": 2}).status_code == 404
    assert session.code not in client.get("/host/").text


def test_a_player_account_that_is_not_staff_gets_no_host_page(client, session, django_user_model):
    user = django_user_model.objects.create_user("ola", password="ola-pw")
    client.force_login(user)
    assert client.get("/host/").status_code == 403


def test_creating_a_session(client, alice, mini_case):
    client.force_login(alice)
    form = client.get("/host/")
    assert "Opret spillet" in form.text
    page = client.post(
        "/host/",
        {"case_version": mini_case.pk, "size": 5, "show_meters": "on", "lock_on_timeout": "on"},
    )
    session = Session.objects.get()
    assert page.status_code == 302
    assert page["Location"] == f"/host/{session.code}/"
    assert session.host == alice and session.case_version == mini_case
    assert session.state["options"] == {
        "size": 5,
        "show_meters": True,
        "rotate_roles": False,
        "lock_on_timeout": True,
        "personas": False,
        "autostart_timer": False,  # not ticked
        "max_players": settings.MAX_PLAYERS,  # the setting, not a form field
    }
    listing = client.get("/host/").text
    assert session.code in listing and "Lobby" in listing


def test_creating_a_session_with_a_bad_size_is_refused(client, alice, mini_case):
    client.force_login(alice)
    page = client.post("/host/", {"case_version": mini_case.pk, "size": 9})
    assert page.status_code == 400
    assert not Session.objects.exists()


def test_the_qr_code_is_svg(client, alice, session):
    client.force_login(alice)
    page = client.get(f"/host/{session.code}/qr.svg")
    assert page["Content-Type"] == "image/svg+xml"
    assert b"<svg" in page.content and b"</svg>" in page.content
    assert session.code.encode() in page.content  # in its title


def test_the_projector_shows_the_join_address(client, alice, session):
    client.force_login(alice)
    page = client.get(f"/host/{session.code}/projector/")
    assert f'data-join-url="http://testserver/?code={session.code}"' in page.text


# --- play again -----------------------------------------------------------------------------


def test_play_again_carries_the_seats_over(client, alice, formed_session, seats):
    old = formed_session
    client.force_login(alice)
    page = client.post(f"/host/{old.code}/again/")
    new = Session.objects.exclude(pk=old.pk).get()
    assert page.status_code == 302 and page["Location"] == f"/host/{new.code}/"
    assert new.previous == old and new.host == alice
    old.refresh_from_db()
    assert old.status == "ended"  # so the players' pages move on
    assert sorted(p["name"] for p in new.state["players"].values()) == sorted(seats)
    again = client.post(f"/host/{old.code}/again/")  # pressed twice: still one new game
    assert again["Location"] == f"/host/{new.code}/" and Session.objects.count() == 2

    _pid, token = seats["Bo"]
    client.logout()
    client.cookies[seat_cookie(old.code)] = token
    assert client.get(f"/play/{old.code}/next/").json() == {"next": new.code}
    follow = client.get(f"/play/{old.code}/")
    assert follow.status_code == 302 and follow["Location"] == f"/play/{new.code}/"
    assert follow.cookies[seat_cookie(new.code)].value == token
    assert client.get(f"/play/{new.code}/").status_code == 200
    assert actions.seat_for(new, token) is not None


def test_without_a_new_game_the_player_stays(client, session, seats):
    _pid, token = seats["Bo"]
    client.cookies[seat_cookie(session.code)] = token
    assert client.get(f"/play/{session.code}/next/").json() == {"next": None}
    assert client.get(f"/play/{session.code}/").status_code == 200


def test_rehearsing_with_bots_starts_them(client, alice, session, monkeypatch):
    started = []
    monkeypatch.setattr(
        "game.bots.start_bots_thread", lambda url, code, n, **kw: started.append((url, code, n))
    )
    client.force_login(alice)
    page = client.post(f"/host/{session.code}/bots/", {"count": 3})
    assert page["Location"] == f"/host/{session.code}/"
    assert started == [("http://testserver", session.code, 3)]
    assert client.post(f"/host/{session.code}/bots/", {"count": 0}).status_code == 302
    assert len(started) == 1
