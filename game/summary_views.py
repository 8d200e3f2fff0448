"""The take-home pages: a player's own summary, the host's handout, deleting the personal data.

Thin like game.views: they find the session and the seat, call game.summary,
game.retention or the actions layer, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from . import actions, pdf, retention, summary
from .consumers import seat_cookie
from .models import Session
from .views import _join_url, find_session, host_required, own_session

CSS_FILES = ("css/summary.css", "css/print.css")


def purged_page(request: HttpRequest, session: Session) -> HttpResponse:
    """The polite answer to a seat cookie (or a link) of a session whose data has gone."""
    return render(request, "game/purged.html", {"session": session}, status=410)


def _player_summary_context(session: Session, player, errors=None, posted=None) -> dict:
    data = summary.player_summary(session, player)
    if posted is not None:  # a refused form shows what was typed, so nothing is lost
        for step in data["steps"]:
            step["next_step"] = posted.get(f"step_{step['id']}", "")
    for step in data["steps"]:
        step["error"] = (errors or {}).get(step["id"])
    return {"session": session, "s": data, "max_next_step": summary.MAX_NEXT_STEP}


@require_http_methods(["GET", "POST"])
def player_summary(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the player's own summary, once the session has ended. POST: their next steps."""
    session = find_session(code)
    if session is None:  # as a real code without a seat: codes cannot be probed (issue 10)
        return redirect(_join_url("".join(code.split()).upper()[:20]))
    if session.purged_at is not None:
        return purged_page(request, session)
    player = actions.seat_for(session, request.COOKIES.get(seat_cookie(session.code)))
    if player is None:
        return redirect(_join_url(session.code))
    if session.status != "ended":
        return render(
            request,
            "game/summary_wait.html",
            {"session": session},
            status=409 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        steps, errors = summary.clean_next_steps(request.POST)
        if errors:
            context = _player_summary_context(session, player, errors, request.POST)
            context["form_error"] = gettext("Nothing was saved: see the note under the step.")
            return render(request, "game/summary.html", context, status=400)
        actions.save_next_steps(player, steps)
        # Said beside the steps, where the page lands (a message at the top is out of sight).
        return redirect(reverse("summary", args=[session.code]) + "?saved=1#steps")
    context = _player_summary_context(session, player)
    context["saved"] = request.GET.get("saved") == "1"
    return render(request, "game/summary.html", context)


def _inline_css() -> str:
    parts = []
    for name in CSS_FILES:
        path = finders.find(name)
        if path:
            with open(path, encoding="utf-8") as f:
                parts.append(f.read())
    return "\n".join(parts)


def _handout_html(request: HttpRequest, session: Session, *, for_pdf: bool) -> str:
    context = {
        "session": session,
        "summaries": summary.all_summaries(session),
        "for_pdf": for_pdf,
        # Our own style sheets, inline: the PDF page is printed from a file and loads nothing.
        "inline_css": mark_safe(_inline_css()) if for_pdf else "",
    }
    return render_to_string("game/handout.html", context, request=request)


@host_required
def handout(request: HttpRequest, code: str) -> HttpResponse:
    """Every player's summary, one per page, to print from the browser."""
    session = own_session(request, code)
    if session.purged_at is not None:
        return purged_page(request, session)
    return HttpResponse(_handout_html(request, session, for_pdf=False))


@host_required
def handout_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The same handout as one PDF, printed by headless Chromium."""
    session = own_session(request, code)
    if session.purged_at is not None:
        return purged_page(request, session)
    try:
        data = pdf.html_to_pdf(_handout_html(request, session, for_pdf=True))
    except pdf.PdfError:
        return render(request, "game/pdf_failed.html", {"session": session}, status=503)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="policymaker-{session.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@host_required
@require_http_methods(["GET", "POST"])
def delete_data(request: HttpRequest, code: str) -> HttpResponse:
    """GET: what will be deleted, and a confirmation; POST with the code typed: delete it now."""
    session = own_session(request, code)
    if session.purged_at is not None:
        messages.info(request, gettext("The personal data of this session is already deleted."))
        return redirect("dashboard", code=session.code)
    context: dict[str, Any] = {"session": session, "data_until": retention.data_until(session)}
    if request.method == "POST":
        typed = "".join(str(request.POST.get("confirm", "")).split()).upper()
        if typed != session.code:
            context["error"] = gettext("Type the session's code to confirm.")
            return render(request, "game/delete_data.html", context, status=400)
        retention.purge(session, actor="host")
        messages.success(
            request,
            gettext(
                "The personal data of session %(code)s is deleted; the pseudonymous export remains."
            )
            % {"code": session.code},
        )
        return redirect("dashboard", code=session.code)
    return render(request, "game/delete_data.html", context)
