"""The player's page as the server renders it: the seat code, the one-line header, the case's language.

Bo sits in alice's ``formed_session`` (the mini case, written in Danish only).
"""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from game.consumers import seat_cookie
from game.models import Player


def _page(session, token: str, language: str | None = None) -> str:
    client = HttpClient()
    client.cookies[seat_cookie(session.code)] = token
    if language:
        client.cookies["django_language"] = language
    response = client.get(f"/play/{session.code}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_carries_the_seats_own_code_and_no_one_elses(formed_session, seats):
    pid, token = seats["Bo"]
    page = _page(formed_session, token)
    own = Player.objects.get(session=formed_session, number=pid).seat_code
    assert re.fullmatch(r"[A-Z0-9]{4}", own)
    assert f'data-seat-code="{own}"' in page
    others = Player.objects.filter(session=formed_session).exclude(pk=pid)
    assert not any(p.seat_code in page for p in others if p.seat_code != own)
    assert 'id="mini-head"' in page and 'aria-hidden="true"' in page


def test_danish_case_text_is_marked_danish_on_an_english_page(formed_session, seats):
    _pid, token = seats["Bo"]
    english = _page(formed_session, token, "en")
    assert '<html lang="en">' in english
    assert re.search(r'id="panel-case"[^>]* lang="da"', english)
    danish = _page(formed_session, token)
    assert '<html lang="da">' in danish
    assert not re.search(r'id="panel-case"[^>]* lang=', danish)  # the page's own language
