"""The admin reads sessions; it never changes one (only the actions layer does)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from .models import Event, Session
from .retention import data_until


class ReadOnly(admin.ModelAdmin):
    """Viewing only: a change here would bypass the rules, the version and the log."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = Event
    fields = ("version", "kind", "actor", "created", "what")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("-version",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("what happened"))
    def what(self, event: Event) -> str:
        return ", ".join(e.get("kind", "?") for e in event.events)


@admin.register(Session)
class SessionAdmin(ReadOnly):
    class Media:  # styles here, not in style attributes: the CSP allows no inline style
        css = {"all": ["css/admin.css"]}

    list_display = (
        "code",
        "case_version",
        "host",
        "status",
        "players",
        "version",
        "created",
        "personal_data",
    )
    list_filter = ("status", "case_version__case")
    search_fields = ("code", "host__username")
    fields = (
        "code",
        "case_version",
        "host",
        "status",
        "version",
        "created",
        "ended_at",
        "personal_data",
        "links",
        "state_json",
    )
    readonly_fields = fields
    inlines = [EventInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        """An ended session may go; a live one would leave a room of phones stranded."""
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == "ended"
        )

    def get_queryset(self, request):
        """A host sees its own sessions here as on its pages; a superuser sees all."""
        query = super().get_queryset(request).select_related("case_version__case", "host")
        return query if request.user.is_superuser else query.filter(host=request.user)

    @admin.display(description=_("players"))
    def players(self, session: Session) -> int:
        return sum(not p["removed"] for p in session.state["players"].values())

    @admin.display(description=_("personal data"))
    def personal_data(self, session: Session) -> str:
        """When the names, seat tokens and free texts go (game.retention), or that they went."""
        if session.purged_at is not None:
            return _("deleted %(date)s") % {"date": date_format(localtime(session.purged_at))}
        until = data_until(session)
        if session.ended_at is None:
            return _("kept until %(date)s (not ended: counted from its last change)") % {
                "date": date_format(localtime(until))
            }
        return _("kept until %(date)s") % {"date": date_format(localtime(until))}

    @admin.display(description=_("open"))
    def links(self, session: Session) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("debrief", args=[session.code]),
            _("debrief"),
            reverse("export-zip", args=[session.code]),
            _("export"),
        )

    @admin.display(description=_("state"))
    def state_json(self, session: Session) -> str:
        text = json.dumps(session.state, ensure_ascii=False, indent=1)
        return format_html('<pre class="pm-state">{}</pre>', text)
