"""HTTP views: thin; they parse, call the actions layer and render."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import actions, rules
from .consumers import seat_cookie
from .models import Session

SEAT_COOKIE_AGE = 60 * 60 * 24 * 2  # a workshop day and the debrief after it


def find_session(code: str) -> Session | None:
    code = "".join(str(code).split()).upper()
    return Session.objects.select_related("case_version").filter(code=code).first()


def take_seat(code: str, name: str) -> tuple[Session, str]:
    """Join a session by its code; raises Refused with a reason for the person."""
    session = find_session(code)
    if session is None:
        raise rules.Refused("no_session", rules._("There is no session with that code."))
    _player, token, done = actions.join(session, name)
    actions.async_to_sync(actions.broadcast)(done)
    return session, token


def set_seat_cookie(response, session: Session, token: str) -> None:
    response.set_cookie(
        seat_cookie(session.code),
        token,
        max_age=SEAT_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )


@csrf_exempt  # for bots and scripts: no cookie is read, so there is nothing to forge
@require_POST
def api_join(request: HttpRequest) -> JsonResponse:
    """POST {"code", "name"} -> 201 {"code", "player", "token", "cookie"}."""
    try:
        data = json.loads(request.body or b"{}")
        code, name = str(data["code"]), data["name"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"error": "bad_request", "reason": gettext("Send code and name.")}, status=400
        )
    try:
        session, token = take_seat(code, name)
    except rules.Refused as exc:
        status = 404 if exc.code == "no_session" else 409
        reason = gettext(exc.reason) % exc.params if exc.params else gettext(exc.reason)
        return JsonResponse({"error": exc.code, "reason": reason}, status=status)
    response = JsonResponse(
        {"code": session.code, "token": token, "cookie": seat_cookie(session.code)}, status=201
    )
    set_seat_cookie(response, session, token)
    return response
