"""Seats that come back: a player on a new device gets their OWN seat back.

Host alice runs ``formed_session`` (the mini case; committee 1 is Bo, Dan, Finn
and Hal, committee 2 Cai, Eva, Gry and Ida). Bo's phone dies; on a borrowed one
he types "Bo" again. He must get Bo's seat (committee and role included) by his
seat code or by alice's one tap, never "Bo (2)" silently; a stranger typing
"Bo" gets nothing without the code or alice; the old phone's token dies.
"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client as HttpClient

from game import actions, export, rules
from game.consumers import presence_settled, seat_cookie
from game.models import Player, SeatClaim, Session
from game.seats import claim_cookie
from tests.support import Client, player_client


def _state(session: Session) -> dict:
    session.refresh_from_db()
    return session.state


def _role(session: Session, pid: str) -> tuple[str, str | None]:
    state = _state(session)
    cid = state["players"][pid]["committee"]
    return cid, state["committees"][cid]["roles"].get(pid)


def _join(client: HttpClient, session: Session, name: str, **extra: str):
    return client.post("/join/", {"code": session.code, "name": name, **extra})


def _token(response, session: Session) -> str | None:
    cookie = response.cookies.get(seat_cookie(session.code))
    return cookie.value if cookie else None


def _players(session: Session) -> int:
    return Player.objects.filter(session=session).count()


# --- the same name again: "Is it you?" ----------------------------------------------------------


def test_rejoining_with_a_taken_name_asks_first_and_makes_no_seat(formed_session, seats):
    before = _players(formed_session)
    response = _join(HttpClient(), formed_session, "  bo ")  # trimmed, any case
    assert response.status_code == 200
    page = response.content.decode()
    assert "Er det dig?" in page
    assert 'data-testid="clash"' in page
    assert 'data-testid="ask-host"' in page  # Bo is offline: the host can help
    assert _token(response, formed_session) is None
    assert _players(formed_session) == before
    assert "Bo (2)" not in json.dumps(_state(formed_session)["players"])


def test_joining_as_someone_else_is_a_choice_not_an_accident(formed_session, seats):
    response = _join(HttpClient(), formed_session, "Bo", as_new="1")
    assert response.status_code == 302
    assert _token(response, formed_session)
    names = [p["name"] for p in _state(formed_session)["players"].values()]
    assert "Bo (2)" in names


def test_a_new_name_joins_as_before(formed_session, seats):
    response = _join(HttpClient(), formed_session, "Jens")
    assert response.status_code == 302
    assert _token(response, formed_session)


# --- the seat code -------------------------------------------------------------------------------


def test_the_seat_code_brings_back_the_same_seat_role_and_committee(formed_session, seats):
    pid, old_token = seats["Bo"]
    committee, role = _role(formed_session, pid)
    code = Player.objects.get(session=formed_session, number=int(pid)).seat_code
    assert len(code) == 4

    phone = HttpClient()
    response = _join(phone, formed_session, "Bo", seat_code=f" {code.lower()[:2]} {code[2:]} ")
    assert response.status_code == 302
    assert response["Location"] == f"/play/{formed_session.code}/"
    new_token = _token(response, formed_session)
    assert new_token and new_token != old_token

    player = actions.seat_for(formed_session, new_token)
    assert player is not None and player.pid == pid  # the same seat, not a new one
    assert _role(formed_session, pid) == (committee, role)
    assert actions.seat_for(formed_session, old_token) is None  # the old phone's token is dead
    assert (
        Player.objects.get(session=formed_session, number=int(pid)).seat_code != code
    )  # the code seen on the old screen is spent
    assert phone.get(f"/play/{formed_session.code}/").status_code == 200
    assert len(_state(formed_session)["players"]) == 8


def test_a_wrong_code_is_refused_politely_and_changes_nothing(formed_session, seats):
    pid, token = seats["Bo"]
    version = Session.objects.get(pk=formed_session.pk).version
    right = Player.objects.get(session=formed_session, number=int(pid)).seat_code
    wrong = "AAAA" if right != "AAAA" else "CCCC"
    response = _join(HttpClient(), formed_session, "Bo", seat_code=wrong)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Pladskoden passer ikke" in page
    assert 'data-testid="seat-code-error"' in page
    assert _token(response, formed_session) is None
    assert actions.seat_for(formed_session, token).pid == pid  # Bo's own phone still plays
    assert Session.objects.get(pk=formed_session.pk).version == version
    empty = _join(HttpClient(), formed_session, "Bo", seat_code="  ")
    assert empty.status_code == 400 and "Skriv pladskoden" in empty.content.decode()


def test_guessing_codes_locks_the_seat_until_the_host_hands_it_over(formed_session, seats, alice):
    pid, _token_ = seats["Bo"]
    right = Player.objects.get(session=formed_session, number=int(pid)).seat_code
    wrong = "AAAA" if right != "AAAA" else "CCCC"
    stranger = HttpClient()
    for _try in range(actions.MAX_CODE_FAILURES):
        assert _join(stranger, formed_session, "Bo", seat_code=wrong).status_code == 400
    locked = _join(stranger, formed_session, "Bo", seat_code=right)  # even the right code now
    assert locked.status_code == 400
    assert "spillederen" in locked.content.decode()
    assert _token(locked, formed_session) is None

    host = HttpClient()
    host.force_login(alice)
    answer = host.post(f"/host/{formed_session.code}/seats/{pid}/code/")
    assert answer.status_code == 200
    assert answer.json() == {"name": "Bo", "seat_code": right}
    response = _join(HttpClient(), formed_session, "Bo", seat_code=right)
    assert response.status_code == 302
    assert actions.seat_for(formed_session, _token(response, formed_session)).pid == pid


def test_another_host_cannot_read_a_seat_code(formed_session, seats, mallory):
    pid, _t = seats["Bo"]
    host = HttpClient()
    host.force_login(mallory)
    assert host.post(f"/host/{formed_session.code}/seats/{pid}/code/").status_code == 404
    assert HttpClient().post(f"/host/{formed_session.code}/seats/{pid}/code/").status_code == 302


# --- asking the host ------------------------------------------------------------------------------


def _ask(session: Session, name: str = "Bo") -> HttpClient:
    phone = HttpClient()
    response = _join(phone, session, name, ask_host="1")
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == f"/join/wait/{session.code}/"
    assert _token(response, session) is None  # no seat yet: only a request
    return phone


def test_the_host_confirms_with_one_tap_and_the_new_phone_moves_on(formed_session, seats, alice):
    pid, old_token = seats["Bo"]
    committee, role = _role(formed_session, pid)
    phone = _ask(formed_session)
    wait = phone.get(f"/join/wait/{formed_session.code}/")
    assert wait.status_code == 200 and "Bo" in wait.content.decode()
    assert phone.get(f"/join/wait/{formed_session.code}/status/").json() == {"state": "waiting"}
    assert phone.get(f"/play/{formed_session.code}/").status_code == 302  # not seated yet

    claims = _state(formed_session)["claims"]
    assert [c["player"] for c in claims.values()] == [pid]
    claim_id = next(iter(claims))
    host = HttpClient()
    host.force_login(alice)
    assert host.post(f"/host/{formed_session.code}/claims/{claim_id}/confirm/").json() == {
        "ok": True
    }

    status = phone.get(f"/join/wait/{formed_session.code}/status/")
    assert status.json() == {"state": "confirmed", "url": f"/play/{formed_session.code}/"}
    new_token = status.cookies[seat_cookie(formed_session.code)].value
    assert actions.seat_for(formed_session, new_token).pid == pid
    assert actions.seat_for(formed_session, old_token) is None
    assert _role(formed_session, pid) == (committee, role)
    assert phone.get(f"/play/{formed_session.code}/").status_code == 200
    assert _state(formed_session)["claims"] == {}
    assert not SeatClaim.objects.exists()


def test_a_stranger_asking_gets_nothing_until_the_host_says_yes(formed_session, seats, alice):
    pid, token = seats["Bo"]
    stranger = _ask(formed_session)
    # waiting gives no seat, whatever the stranger tries
    assert stranger.get(f"/play/{formed_session.code}/").status_code == 302
    assert stranger.get(f"/play/{formed_session.code}/next/").status_code == 403
    # a second request for the same seat, from anyone, is refused while one is open
    again = _join(HttpClient(), formed_session, "Bo", ask_host="1")
    assert again.status_code == 400 and "allerede bedt" in again.content.decode()
    claim_id = next(iter(_state(formed_session)["claims"]))
    host = HttpClient()
    host.force_login(alice)
    assert host.post(f"/host/{formed_session.code}/claims/{claim_id}/decline/").status_code == 200
    assert stranger.get(f"/join/wait/{formed_session.code}/status/").json() == {"state": "gone"}
    assert stranger.get(f"/join/wait/{formed_session.code}/").status_code == 302
    assert actions.seat_for(formed_session, token).pid == pid  # Bo's own phone still plays
    # an answered request cannot be confirmed after all
    late = host.post(f"/host/{formed_session.code}/claims/{claim_id}/confirm/")
    assert late.status_code == 409 and "ikke længere åben" in late.json()["reason"]


def test_only_the_sessions_own_host_can_confirm(formed_session, seats, mallory):
    _ask(formed_session)
    claim_id = next(iter(_state(formed_session)["claims"]))
    host = HttpClient()
    host.force_login(mallory)
    assert host.post(f"/host/{formed_session.code}/claims/{claim_id}/confirm/").status_code == 404
    assert (
        HttpClient().post(f"/host/{formed_session.code}/claims/{claim_id}/confirm/").status_code
        == 302
    )
    assert _state(formed_session)["claims"]  # still open


def test_the_waiting_phone_can_give_up(formed_session, seats):
    phone = _ask(formed_session)
    response = phone.post(f"/join/wait/{formed_session.code}/cancel/")
    assert response.status_code == 302
    assert _state(formed_session)["claims"] == {}
    assert claim_cookie(formed_session.code) in response.cookies


def test_an_online_seat_cannot_be_asked_for(formed_session, seats):
    pid, _t = seats["Bo"]
    actions.perform(
        formed_session.pk, {"kind": "presence", "player": pid, "online": True}, actor="x"
    )
    response = _join(HttpClient(), formed_session, "Bo")
    assert 'data-testid="ask-host"' not in response.content.decode()
    refused = _join(HttpClient(), formed_session, "Bo", ask_host="1")
    assert refused.status_code == 400 and "online" in refused.content.decode()
    assert "claims" not in _state(formed_session) or not _state(formed_session)["claims"]


# --- merging a duplicate ---------------------------------------------------------------------------


def test_merging_a_duplicate_keeps_the_original_seat_and_counts_no_vote_twice(school_case, alice):
    session = actions.create_session(host=alice, case_version=school_case, options={"size": 4})
    tokens = {}
    for name in ["Bo", "Cai", "Dan", "Eva", "Finn", "Gry"]:
        player, token, _d = actions.join(session, name)
        tokens[name] = (player.pid, token)
    actions.perform(session.pk, {"kind": "form"}, actor="host")
    actions.perform(session.pk, {"kind": "start"}, actor="host")
    actions.perform(session.pk, {"kind": "advance"}, actor="host")  # a round with votes
    bo = tokens["Bo"][0]
    committee, role = _role(session, bo)
    response = _join(HttpClient(), session, "Bo", as_new="1")
    dup_token = _token(response, session)
    dup = actions.seat_for(session, dup_token).pid
    state = _state(session)
    assert state["players"][dup]["name"] == "Bo (2)"
    dcid = state["players"][dup]["committee"]
    d = state["committees"][dcid]
    key = next(
        k
        for k, x in rules.round_decisions(school_case.parsed(), state, d).items()
        if x["locked"] is None and rules.task_of(school_case.parsed(), x).type == "choice"
    )
    task = rules.task_of(school_case.parsed(), d["decisions"][key])
    value = [o.id for o in school_case.parsed().task_options(task)][: max(1, task.min)]
    actions.perform(
        session.pk, {"kind": "vote", "player": dup, "key": key, "value": value}, actor="x"
    )

    host = HttpClient()
    host.force_login(alice)
    answer = host.post(f"/host/{session.code}/seats/{dup}/merge/", {"into": bo})
    assert answer.status_code == 200, answer.content
    state = _state(session)
    assert _role(session, bo) == (committee, role)  # the original keeps committee and role
    assert state["players"][dup]["removed"] and state["players"][dup]["merged"] == bo
    assert dup not in state["committees"][dcid]["members"]
    votes = state["committees"][dcid]["decisions"][key]["votes"]
    assert dup not in votes  # not twice: the duplicate's vote is gone …
    if dcid == committee:
        assert votes[bo] == value  # … or became the original's, who had none
    # the newer device now plays in the original seat; the old phone's token is dead
    assert actions.seat_for(session, dup_token).pid == bo
    assert actions.seat_for(session, tokens["Bo"][1]) is None
    assert sum(not p["removed"] for p in state["players"].values()) == 6
    # a merged seat cannot be let back in
    with pytest.raises(rules.Refused):
        actions.perform(session.pk, {"kind": "readmit", "player": dup}, actor="host")
    bad = host.post(f"/host/{session.code}/seats/{bo}/merge/", {"into": bo})
    assert bad.status_code == 409
    # the research export reads the new events without a hitch, and no name in them
    rows = export.export_rows(session)
    assert len(rows["players"]) == 7
    assert "Bo" not in json.dumps(json.loads(export.export_json(session))["events"])


# --- the old device's connection ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_old_phone_is_disconnected_when_the_seat_moves(formed_session, seats):
    pid, old_token = seats["Bo"]
    old_phone = Client(player_client(formed_session, old_token), "Bo's old phone")
    first = await old_phone.connect()
    assert first["type"] == "snapshot" and first["view"]["me"]["id"] == pid
    code = (
        await database_sync_to_async(Player.objects.get)(session=formed_session, number=int(pid))
    ).seat_code
    player, token, done = await database_sync_to_async(actions.reclaim_by_code)(
        formed_session, "Bo", code
    )
    await actions.broadcast(done)
    await actions.arevoke(formed_session.pk, [pid])
    frames = []
    while True:
        frame = await old_phone.frame()
        frames.append(frame)
        if frame["type"] == "error":
            break
    assert frame["code"] == "no_seat"
    closed = await old_phone.communicator.receive_output(3)
    assert closed["type"] == "websocket.close" and closed["code"] == 4401
    await old_phone.close()  # the consumer's disconnect runs to its end (presence -1)
    new_phone = Client(player_client(formed_session, token), "Bo's new phone")
    again = await new_phone.connect()
    assert again["view"]["me"]["id"] == pid
    await new_phone.close()
    await presence_settled()  # the phones' comings and goings are written before the test ends
