"""HTTP views: thin; they parse, call the actions layer and render.

Players have no account: the join form gives them a seat token in a cookie
(``seat_<CODE>``), and the play page opens the websocket that reads it. The
host logs in; every host page is the host's own sessions only (another host's
code is a 404, never a 403, so codes cannot be probed). The live parts of the
pages are small scripts in ``static/js`` fed by the websockets.
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import time
from functools import wraps
from urllib.parse import urlsplit

import segno
from csp.constants import SELF
from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
)
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext, gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cases.models import Case

from . import actions, bots, limits, rules, visibility
from .consumers import seat_cookie
from .models import Session, hash_token, normalise_code

log = logging.getLogger(__name__)

SEAT_COOKIE_AGE = 60 * 60 * 24 * 2  # a workshop day and the debrief after it
MAX_BOTS = 40  # a rehearsal, not a load test
BOTS_TIMEOUT = 4 * 60 * 60  # seconds: bots of a session nobody ends leave after a workshop
MAX_CODE_INPUT = 20  # codes are 6 characters; room for spaces typed in between
MAX_JOIN_BODY = 4096  # bytes: a code and a name of 40 characters, with room to spare
# One answer for a code that never was and one that has ended: a join must not
# tell a guesser which codes are (or were) real.
NO_SESSION = rules._("There is no game open with that code.")


def find_session(code: str) -> Session | None:
    if len(str(code)) > MAX_CODE_INPUT:
        return None
    normal = normalise_code(code)
    if normal is None:
        return None
    return (
        Session.objects.select_related("case_version")
        .defer(*Session.HEAVY)
        .filter(code=normal)
        .first()
    )


def _wait_refusal(wait: float, reason: str) -> rules.Refused:
    return rules.Refused("slow_down", reason, n=limits.seconds(wait))


def take_seat(code: str, name: str, request: HttpRequest) -> tuple[Session, str]:
    """Join a session by its code; raises Refused with a reason for the person.

    Limited per address (game.limits): wrong codes, so that codes cannot be
    guessed, and seats per session, so that one device cannot fill the room.
    The server's own bots carry a pass (``limits.join_pass``) instead.
    """
    session = find_session(code)
    admit = session is not None and limits.has_join_pass(request, session.code)
    address = limits.client_address(request)
    if not admit:
        wait = limits.guess_wait(address, take=False)
        if wait:
            raise _wait_refusal(
                wait,
                rules._(
                    "Too many tries with a wrong code from this network. Wait %(n)s seconds and try again."
                ),
            )
    if session is None or session.status == "ended":
        limits.guess_wait(address, take=True)
        raise rules.Refused("no_session", NO_SESSION)
    if not admit:
        wait = limits.join_wait(address, session.pk)
        if wait:
            raise _wait_refusal(
                wait,
                rules._(
                    "Many people are joining from this network at once. Wait %(n)s seconds and press Join again."
                ),
            )
    _player, token, done = actions.join(session, name, admit=admit)
    assert token is not None  # a new seat comes with its token
    actions.broadcast_sync(done)
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


def refusal_text(exc: rules.Refused) -> str:
    """A refusal from the rules, in the request's language."""
    return gettext(exc.reason) % exc.params if exc.params else gettext(exc.reason)


# The join API's answer to each refusal: bad input 400, no such game 404, a
# game that cannot take the seat 409, too fast 429.
JOIN_STATUS = {"no_session": 404, "invalid": 400, "slow_down": 429}


def _bad_join(reason: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": "bad_request", "reason": reason}, status=status)


def _join_body(request: HttpRequest) -> tuple[str, str] | JsonResponse:
    """The code and name of a join request, or the refusal: never an exception."""
    if request.content_type != "application/json":
        return _bad_join(gettext("Send JSON."), status=415)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_JOIN_BODY + 1
    if length > MAX_JOIN_BODY:
        return _bad_join(gettext("The request is too large."), status=413)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return _bad_join(gettext("The request is not valid JSON."))
    if not isinstance(data, dict) or not {"code", "name"} <= data.keys():
        return _bad_join(gettext("Send code and name."))
    code, name = data["code"], data["name"]
    if not isinstance(code, str) or not isinstance(name, str):
        return _bad_join(gettext("The code and the name are text."))
    return code, name


@csrf_exempt  # for bots and scripts: it reads no cookie and sets none, so nothing to forge
@require_POST
def api_join(request: HttpRequest) -> JsonResponse:
    """POST {"code", "name"} as JSON -> 201 {"code", "token", "cookie"}; for bots and scripts.

    The caller sends the token as the cookie itself. Setting it here would let
    any site post a form that takes over a visitor's seat cookie. Any other body
    gets 4xx with a reason (see JOIN_STATUS), never a server error.
    """
    body = _join_body(request)
    if isinstance(body, JsonResponse):
        return body
    code, name = body
    try:
        session, token = take_seat(code, name, request)
    except rules.Refused as exc:
        response = JsonResponse(
            {"error": exc.code, "reason": refusal_text(exc)},
            status=JOIN_STATUS.get(exc.code, 409),
        )
        if exc.code == "slow_down":
            response["Retry-After"] = str(exc.params["n"])
        return response
    return JsonResponse(
        {"code": session.code, "token": token, "cookie": seat_cookie(session.code)}, status=201
    )


# --- players -----------------------------------------------------------------------------


class JoinForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=MAX_CODE_INPUT,
        error_messages={"required": gettext_lazy("Type the code from the big screen.")},
    )
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=rules.MAX_NAME_LENGTH,
        error_messages={
            "required": gettext_lazy("Type your name."),
            "max_length": gettext_lazy("A name is at most %(limit_value)d characters."),
        },
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).upper()

    def clean_name(self) -> str:
        try:
            name = rules.free_text(
                self.cleaned_data["name"],
                rules.MAX_NAME_LENGTH,
                rules._("A name is 1 to %(n)s characters."),
                n=rules.MAX_NAME_LENGTH,
            )
        except rules.Refused as exc:
            raise forms.ValidationError(refusal_text(exc)) from None
        if not name:
            raise forms.ValidationError(gettext("Type your name."))
        return name


def _seated(request: HttpRequest, session: Session):
    return actions.seat_for(session, request.COOKIES.get(seat_cookie(session.code)))


def join_page(request: HttpRequest) -> HttpResponse:
    """GET: the join form (code from ?code=); POST: take a seat and go to the game."""
    if request.method == "POST":
        form = JoinForm(request.POST)
        if form.is_valid():
            session = find_session(form.cleaned_data["code"])
            if session is not None and _seated(request, session):
                return redirect("play", code=session.code)  # this device has a seat already
            try:
                session, token = take_seat(
                    form.cleaned_data["code"], form.cleaned_data["name"], request
                )
            except rules.Refused as exc:
                field = "name" if exc.code in ("invalid", "conflict") else "code"
                form.add_error(None if exc.code == "slow_down" else field, refusal_text(exc))
                if exc.code == "slow_down":
                    response = render(request, "game/join.html", {"form": form}, status=429)
                    response["Retry-After"] = str(exc.params["n"])
                    return response
            else:
                response = redirect("play", code=session.code)
                set_seat_cookie(response, session, token)
                return response
        return render(request, "game/join.html", {"form": form}, status=400)
    code = "".join(request.GET.get("code", "").split()).upper()[:MAX_CODE_INPUT]
    form = JoinForm(initial={"code": code})
    resume = None
    if code:
        session = find_session(code)
        if session and session.purged_at and seat_cookie(session.code) in request.COOKIES:
            return render(request, "game/purged.html", {"session": session}, status=410)
        if session is not None and session.status != "ended" and _seated(request, session):
            resume = session
    return render(request, "game/join.html", {"form": form, "resume": resume})


def _successor(session: Session, token: str | None) -> Session | None:
    """The newest "play again" session that carried this seat over, if any.

    Follows the chain (a session played again twice), so an old link still lands
    in the current game.
    """
    if not token:
        return None
    token_hash = hash_token(token)
    found = None
    current = session
    for _hop in range(20):  # a chain longer than a workshop day is a bug, not a game
        nxt = (
            Session.objects.filter(previous=current, players__token_hash=token_hash)
            .order_by("-created")
            .first()
        )
        if nxt is None:
            break
        found = current = nxt
    return found


def _join_url(code: str) -> str:
    return f"{reverse('join')}?{urlencode({'code': code})}"


@require_GET
def play(request: HttpRequest, code: str) -> HttpResponse:
    """The player's live page; without a seat, the join page with the code filled in.

    An unknown code is answered like a known one without a seat, so that this
    address cannot be used to tell real codes from made-up ones.
    """
    session = find_session(code)
    if session is None:
        return redirect(_join_url("".join(code.split()).upper()[:MAX_CODE_INPUT]))
    if session.purged_at is not None:  # the seat is gone with the data: say so, politely
        return render(request, "game/purged.html", {"session": session}, status=410)
    token = request.COOKIES.get(seat_cookie(session.code))
    seat = actions.seat_for(session, token)
    if seat is None or token is None:
        return redirect(_join_url(session.code))
    successor = _successor(session, token)
    if successor is not None:  # "play again": the seat carried over with the same token
        response = redirect("play", code=successor.code)
        set_seat_cookie(response, successor, token)
        return response
    return render(
        request,
        "game/play.html",
        {
            "session": session,
            "server_time": time.time(),
            "case_only_in": case_only_in(session),
            "seat_code": actions.ensure_seat_code(seat),  # shown under the role card
            # The case's texts keep their language: hyphenated and read aloud as such.
            "case_lang": session.case_version.languages()[0],
        },
    )


def case_only_in(session: Session) -> str | None:
    """The case's own language by name, when the page's language is not one the case has."""
    languages = session.case_version.languages()
    if get_language() in languages:
        return None
    return str(dict(settings.LANGUAGES).get(languages[0], languages[0]))


@require_GET
def play_next(request: HttpRequest, code: str) -> JsonResponse:
    """Whether the host has started a new game for this seat ("play again").

    No seat and no such code get the same answer (codes cannot be probed here).
    """
    session = find_session(code)
    token = request.COOKIES.get(seat_cookie(session.code)) if session else None
    if session is None or actions.seat_for(session, token) is None:
        return JsonResponse({"next": None}, status=403)
    successor = _successor(session, token)
    return JsonResponse({"next": successor.code if successor else None})


# --- the host --------------------------------------------------------------------------


class HostLoginView(auth_views.LoginView):
    template_name = "game/host_login.html"
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """django-axes' answer to a login while paused (host login and admin): 429, and how long."""
    minutes = settings.AXES_COOLOFF_MINUTES
    return render(request, "game/locked_out.html", {"minutes": minutes}, status=429)


def host_required(view):
    """Logged in (else the login page) and staff (else 403): hosts are staff accounts."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_staff:
            return HttpResponseForbidden(gettext("Only workshop hosts can open this page."))
        return view(request, *args, **kwargs)

    return wrapped


def own_session(request: HttpRequest, code: str) -> Session:
    """The session with this code if the user may run it; 404 otherwise."""
    session = find_session(code)
    if session is None or not session.is_run_by(request.user):
        raise Http404
    return session


def _latest_versions():
    out = []
    for case in Case.objects.prefetch_related("versions"):
        latest = case.latest()
        if latest is not None:
            out.append(latest)
    return out


class CreateSessionForm(forms.Form):
    case_version = forms.TypedChoiceField(label=gettext_lazy("Case"), coerce=int)
    size = forms.IntegerField(
        label=gettext_lazy("Committee size"),
        min_value=rules.MIN_COMMITTEE,
        max_value=rules.MAX_COMMITTEE,
        initial=rules.DEFAULT_OPTIONS["size"],
    )
    show_meters = forms.BooleanField(
        label=gettext_lazy("Show the meters to the players during play"), required=False
    )
    rotate_roles = forms.BooleanField(
        label=gettext_lazy("Rotate the roles each round"),
        required=False,
        initial=rules.DEFAULT_OPTIONS["rotate_roles"],
    )
    lock_on_timeout = forms.BooleanField(
        label=gettext_lazy("Lock open decisions at the plurality when time runs out"),
        required=False,
        initial=rules.DEFAULT_OPTIONS["lock_on_timeout"],
    )
    personas = forms.BooleanField(
        label=gettext_lazy("Stakeholder personas for players beyond the three roles"),
        required=False,
        initial=rules.DEFAULT_OPTIONS["personas"],
    )
    autostart_timer = forms.BooleanField(
        label=gettext_lazy("Start the timer by itself when a round with decisions begins"),
        required=False,
        initial=rules.DEFAULT_OPTIONS["autostart_timer"],
    )

    def __init__(self, *args, versions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.versions = {v.pk: v for v in versions}
        self.fields["case_version"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (v.pk, f"{v.case.title} (v{v.number})") for v in versions
        ]

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "size": data["size"],
            "show_meters": data["show_meters"],
            "rotate_roles": data["rotate_roles"],
            "lock_on_timeout": data["lock_on_timeout"],
            "personas": data["personas"],
            "autostart_timer": data["autostart_timer"],
        }


@host_required
def host_home(request: HttpRequest) -> HttpResponse:
    """The host's own sessions, newest first, and the form that creates one."""
    versions = _latest_versions()
    if request.method == "POST":
        form = CreateSessionForm(request.POST, versions=versions)
        if form.is_valid():
            version = form.versions[form.cleaned_data["case_version"]]
            try:
                session = actions.create_session(
                    host=request.user, case_version=version, options=form.options()
                )
            except rules.Refused as exc:
                form.add_error(None, refusal_text(exc))
            else:
                return redirect("dashboard", code=session.code)
        status = 400
    else:
        form = CreateSessionForm(versions=versions)
        status = 200
    sessions = [
        {
            "session": s,
            "players": sum(not p["removed"] for p in s.state.get("players", {}).values()),
            "title": s.case.title,
        }
        for s in Session.objects.filter(host=request.user)  # type: ignore[misc]  # host_required
        .select_related("case_version__case")
        .order_by("-created")[:100]
    ]
    return render(
        request,
        "game/host_home.html",
        {"form": form, "sessions": sessions, "has_cases": bool(versions)},
        status=status,
    )


def site_address(request: HttpRequest) -> str:
    """The address the phones in the room open, with scheme and port, no slash at the end.

    PUBLIC_URL when set (the hosted layout). Otherwise the address this page was
    asked at, except that a host on the laptop itself (127.0.0.1, localhost) is
    shown the laptop's address on the room's network, which the phones can reach.
    """
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL
    host = request.get_host()
    domain, port = split_domain_port(host)
    if settings.LAN_ADDRESS and _is_loopback(domain):
        host = settings.LAN_ADDRESS + (f":{port}" if port else "")
    return f"{request.scheme}://{host}"


def _is_loopback(domain: str) -> bool:
    if domain == "localhost":
        return True
    try:
        return ipaddress.ip_address(domain.strip("[]")).is_loopback
    except ValueError:
        return False


def _join_address(request: HttpRequest, code: str) -> str:
    return site_address(request) + _join_url(code)


@host_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    session = own_session(request, code)
    successor = Session.objects.filter(previous=session).order_by("-created").first()
    join_url = _join_address(request, session.code)
    return render(
        request,
        "game/dashboard.html",
        {
            "session": session,
            "join_url": join_url,
            "join_unreachable": _is_loopback(split_domain_port(urlsplit(join_url).netloc)[0]),
            "successor": successor,
            "server_time": time.time(),
            "max_bots": MAX_BOTS,
        },
    )


@host_required
def qr_svg(request: HttpRequest, code: str) -> HttpResponse:
    """The join address as a QR code (SVG, scales to any size; black on white)."""
    session = own_session(request, code)
    qr = segno.make(_join_address(request, session.code), error="m")
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        border=2,
        dark="#000",
        light="#fff",
        omitsize=True,  # a viewBox only: the page sets the size
        title=gettext("QR code for joining session %(code)s") % {"code": session.code},
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@host_required
def projector(request: HttpRequest, code: str) -> HttpResponse:
    session = own_session(request, code)
    response = render(
        request,
        "game/projector.html",
        {
            "session": session,
            "join_url": _join_address(request, session.code),
            "join_site": site_address(request).split("://", 1)[1],
            "server_time": time.time(),
        },
    )
    # The big screen's own two features: fullscreen (its button) and sound after a click.
    allowed = {"fullscreen", "autoplay"}
    response.headers["Permissions-Policy"] = ", ".join(
        f"{f}=(self)" if f in allowed else f"{f}=()" for f in settings.PERMISSIONS_POLICY
    )
    return response


@host_required
@require_POST
def play_again(request: HttpRequest, code: str) -> HttpResponse:
    """A new session for the same people; the old one ends so their pages move on."""
    session = own_session(request, code)
    new_session = actions.play_again(session)
    if session.status != "ended":  # after the new one exists: players follow at once
        try:
            actions.perform_and_broadcast(session.pk, {"kind": "end"}, actor="host")
        except rules.Refused:
            pass  # ended meanwhile
    messages.success(
        request,
        gettext("A new game has started with the same people; their pages move on by themselves."),
    )
    return redirect("dashboard", code=new_session.code)


@host_required
@require_POST
def start_bots(request: HttpRequest, code: str) -> HttpResponse:
    """Rehearse alone: bot players join this session and play along."""
    session = own_session(request, code)
    try:
        count = int(request.POST.get("count", "3"))
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_BOTS:
        messages.error(request, gettext("Choose 1 to %(n)s bots.") % {"n": MAX_BOTS})
        return redirect("dashboard", code=session.code)
    base_url = request.build_absolute_uri("/").rstrip("/")
    bots.start_bots_thread(
        base_url,
        session.code,
        count,
        timeout=BOTS_TIMEOUT,
        join_pass=limits.join_pass(session.code),
    )
    log.info("started %s bots in %s", count, session.code)
    messages.success(request, gettext("%(n)s bot players are joining.") % {"n": count})
    return redirect("dashboard", code=session.code)


# --- the host's preview of a phone --------------------------------------------------------


def _preview_view(session: Session, pid: str) -> dict:
    """What the phone of seat ``pid`` shows now: the player's own view, made where every
    view is made (game.visibility), so the preview can show nothing the phone does not."""
    if pid not in session.state["players"]:
        raise Http404
    return visibility.player_view(session.case, session.state, pid, session.meta())


@host_required
@require_GET
@xframe_options_sameorigin  # shown in a frame on the host's own dashboard
@csp_replace({"frame-ancestors": [SELF]})  # type: ignore[arg-type]  # typed for views of a request alone
def preview(request: HttpRequest, code: str, pid: str) -> HttpResponse:
    """A read-only copy of one player's phone page; nothing on it can act."""
    session = own_session(request, code)
    view = _preview_view(session, pid)
    return render(
        request,
        "game/preview.html",
        {
            "session": session,
            "server_time": time.time(),
            "preview": {"view": view, "v": session.version, "name": view["me"]["name"]},
            "preview_url": reverse("preview-view", args=[session.code, pid]),
        },
    )


@host_required
@require_GET
def preview_view(request: HttpRequest, code: str, pid: str) -> JsonResponse:
    """The preview's view now, polled by static/js/preview.js (no websocket, no presence)."""
    session = own_session(request, code)
    return JsonResponse({"v": session.version, "view": _preview_view(session, pid)})
