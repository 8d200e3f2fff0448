"""Seats that come back: a player on a new device gets their own seat back.

Joining with a name that is already in the game no longer makes "Bo (2)"
silently. The join page asks "Is it you?" and offers three ways on:

- the seat code from the old screen (under the role card): the seat moves to
  this device at once (wrong codes are counted per seat, see
  ``actions.MAX_CODE_FAILURES``);
- for a seat that is offline, asking the host, who confirms with one tap on the
  dashboard; this device waits on a page that moves on by itself;
- joining as someone else after all ("Bo (2)"), knowingly.

In every case the seat gets a new token and the old device's token stops
working. The host can also read a seat's code out (to hand it to a new
device) and merge a duplicate seat into the original. The join form itself
stays in ``game.views``; this module only takes the POSTs that are about a
seat already in the game and hands every other one back to it.
"""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import actions, rules, views
from .models import Player, SeatClaim, Session, hash_token

_Response = TypeVar("_Response", bound=HttpResponse)

MAX_SEAT_CODE_INPUT = 12  # 4 characters, with room for spaces typed in between


def claim_cookie(code: str) -> str:
    return f"claim_{code}"


def _set_claim_cookie(response: HttpResponse, session: Session, token: str) -> None:
    response.set_cookie(
        claim_cookie(session.code),
        token,
        max_age=actions.CLAIM_MINUTES * 60,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )


def _clash(request: HttpRequest, form, session: Session, seat: Player, **extra) -> HttpResponse:
    context = {
        "form": form,
        "clash": {
            "name": seat.name,
            "online": actions.is_online(session, seat),
            "code": session.code,
            **extra,
        },
    }
    status = 400 if extra.get("code_error") or extra.get("ask_error") else 200
    return render(request, "game/join.html", context, status=status)


def join_page(request: HttpRequest) -> HttpResponse:
    """POST of the join form: a name already in the game asks "Is it you?" first."""
    if request.method != "POST":
        return views.join_page(request)
    form = views.JoinForm(request.POST)
    if not form.is_valid():
        return views.join_page(request)
    session = views.find_session(form.cleaned_data["code"])
    if session is None or session.status == "ended" or views._seated(request, session):
        return views.join_page(request)
    name = form.cleaned_data["name"]
    seat = actions.seat_named(session, name)
    if seat is None or request.POST.get("as_new"):
        return views.join_page(request)  # a new seat ("Bo (2)" when chosen knowingly)
    if "seat_code" in request.POST:
        code = str(request.POST.get("seat_code", ""))[:MAX_SEAT_CODE_INPUT]
        if not code.strip():
            return _clash(request, form, session, seat, code_error=_("Type the seat code."))
        try:
            player, token, done = actions.reclaim_by_code(session, name, code)
        except rules.Refused as exc:
            return _clash(request, form, session, seat, code_error=views.refusal_text(exc))
        actions.broadcast_sync(done)
        actions.revoke_sync(session.pk, [player.pid])
        response = redirect("play", code=session.code)
        views.set_seat_cookie(response, session, token)
        return response
    if request.POST.get("ask_host"):
        token = request.COOKIES.get(claim_cookie(session.code)) or Player.new_token()[0]
        try:
            _claim, asked = actions.claim_seat(session, seat, hash_token(token))
        except rules.Refused as exc:
            return _clash(request, form, session, seat, ask_error=views.refusal_text(exc))
        if asked is not None:
            actions.broadcast_sync(asked)
        response = redirect("seat-wait", code=session.code)
        _set_claim_cookie(response, session, token)
        return response
    return _clash(request, form, session, seat)


def _claim_state(request: HttpRequest, session: Session) -> tuple[str, SeatClaim | None, str]:
    """("confirmed" | "waiting" | "gone", the claim, the token) for this device."""
    token = request.COOKIES.get(claim_cookie(session.code), "")
    if not token:
        return "gone", None, token
    if actions.seat_for(session, token) is not None:
        return "confirmed", None, token
    claim = (
        SeatClaim.objects.select_related("player")
        .filter(session=session, token_hash=hash_token(token))
        .first()
    )
    return ("waiting" if claim else "gone"), claim, token


def _seated_response(response: _Response, session: Session, token: str) -> _Response:
    views.set_seat_cookie(response, session, token)
    response.delete_cookie(claim_cookie(session.code))
    return response


@require_GET
def wait(request: HttpRequest, code: str) -> HttpResponse:
    """The new device waits here for the host's yes; seat_wait.js polls ``wait_status``."""
    session = views.find_session(code)
    if session is None:  # as a real code with no claim: codes cannot be probed (issue 10)
        return redirect(views._join_url("".join(code.split()).upper()[:20]))
    state, claim, token = _claim_state(request, session)
    if state == "confirmed":
        return _seated_response(redirect("play", code=session.code), session, token)
    if state == "gone":
        return redirect(f"{reverse('join')}?code={session.code}")
    assert claim is not None  # "waiting": there is one
    return render(request, "game/seat_wait.html", {"session": session, "name": claim.player.name})


@require_GET
def wait_status(request: HttpRequest, code: str) -> JsonResponse:
    session = views.find_session(code)
    if session is None:  # as a real code with no claim (issue 10)
        return JsonResponse({"state": "gone"})
    state, _claim, token = _claim_state(request, session)
    if state == "confirmed":
        response = JsonResponse({"state": state, "url": reverse("play", args=[session.code])})
        return _seated_response(response, session, token)
    return JsonResponse({"state": state})


@require_POST
def wait_cancel(request: HttpRequest, code: str) -> HttpResponse:
    session = views.find_session(code)
    if session is None:  # as a real code with no claim (issue 10)
        return redirect(views._join_url("".join(code.split()).upper()[:20]))
    state, claim, _token = _claim_state(request, session)
    if claim is not None:
        try:
            actions.broadcast_sync(actions.end_claim(session, claim.cid, "cancelled"))
        except rules.Refused:
            pass  # answered meanwhile
    response = redirect(f"{reverse('join')}?code={session.code}")
    response.delete_cookie(claim_cookie(session.code))
    return response


# --- the host ----------------------------------------------------------------------------


def _refused(exc: rules.Refused) -> JsonResponse:
    return JsonResponse({"error": exc.code, "reason": views.refusal_text(exc)}, status=409)


@views.host_required
@require_POST
def host_claim(request: HttpRequest, code: str, claim: str, answer: str) -> JsonResponse:
    """The host confirms (one tap) or declines a new device's request for a seat."""
    session = views.own_session(request, code)
    if answer not in ("confirm", "decline"):
        raise Http404
    try:
        if answer == "confirm":
            player, done = actions.confirm_claim(session, claim)
        else:
            player, done = None, actions.end_claim(session, claim, "declined")
    except rules.Refused as exc:
        return _refused(exc)
    actions.broadcast_sync(done)
    if player is not None:
        actions.revoke_sync(session.pk, [player.pid])
    return JsonResponse({"ok": True})


@views.host_required
@require_POST
def host_seat_code(request: HttpRequest, code: str, pid: str) -> JsonResponse:
    """The seat's code, for the host to hand the seat to a new device."""
    session = views.own_session(request, code)
    try:
        player = actions.seat_code_for_host(session, pid)
    except rules.Refused as exc:
        return _refused(exc)
    return JsonResponse({"name": player.name, "seat_code": player.seat_code})


@views.host_required
@require_POST
def host_merge(request: HttpRequest, code: str, pid: str) -> JsonResponse:
    """Merge the duplicate seat ``pid`` into the seat ``into`` (POST field)."""
    session = views.own_session(request, code)
    into = str(request.POST.get("into", ""))[:20]
    try:
        done = actions.merge_seats(session, pid, into)
    except rules.Refused as exc:
        return _refused(exc)
    actions.broadcast_sync(done)
    actions.revoke_sync(session.pk, [str(actions._int(pid)), str(actions._int(into))])
    return JsonResponse({"ok": True})
