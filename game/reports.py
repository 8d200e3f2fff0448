"""The report views: the host's debrief page and the export downloads.

The data comes from ``game.debrief`` (the debrief page) and ``game.export``
(the pseudonymised research export); the URLs are in ``game.reports_urls``.
Only the session's own host may see the debrief or download anything.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from .debrief import debrief
from .export import export_json, export_xlsx, export_zip
from .models import Session
from .views import host_required, own_session


def _filename(session: Session, suffix: str) -> str:
    return f"policymaker-{session.code}-{timezone.localdate(session.created).isoformat()}{suffix}"


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"  # personal data: keep it out of caches
    return response


@require_safe
@host_required
def debrief_view(request: HttpRequest, code: str) -> HttpResponse:
    session = own_session(request, code)
    return render(request, "game/debrief.html", {"d": debrief(session), "code": session.code})


@require_safe
@host_required
def export_zip_view(request: HttpRequest, code: str) -> HttpResponse:
    session = own_session(request, code)
    return _download(export_zip(session), "application/zip", _filename(session, ".zip"))


@require_safe
@host_required
def export_xlsx_view(request: HttpRequest, code: str) -> HttpResponse:
    session = own_session(request, code)
    return _download(
        export_xlsx(session),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _filename(session, ".xlsx"),
    )


@require_safe
@host_required
def export_json_view(request: HttpRequest, code: str) -> HttpResponse:
    session = own_session(request, code)
    return _download(
        export_json(session), "application/json; charset=utf-8", _filename(session, "-events.json")
    )
