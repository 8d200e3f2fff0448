"""The admin of cases, for a workshop leader rather than a programmer.

A case's change page edits the latest version's texts and numbers one section
at a time (the brief, the rounds, the stakeholders ...), each as a labelled
field ("Rounds › Kommissorium › fokus › Prompt"). Saving validates the edited
case with the schema (errors are shown at the field, naming the place) and
stores it as a new version: versions are never edited in place, because a
session keeps the version it was started with. A whole new file can be
uploaded instead, and the latest version downloaded as YAML.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import urlencode

import yaml
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count, Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import editor
from .loader import dump_version, save_version, validate
from .models import Case, CaseVersion
from .schema import CaseError

FILE_SECTION = "file"  # the change page's "upload a YAML file" section
BASE_FIELD = "base_version"  # hidden: the version the form was filled in from
UPLOAD_FIELD = "yaml_file"
TEXTAREA_ROWS = (2, 14)  # a text area is as tall as its text, within these bounds


def _has_sessions_relation() -> bool:
    """Whether the game app's Session (case_version -> related_name "sessions") is installed."""
    try:
        CaseVersion._meta.get_field("sessions")
    except FieldDoesNotExist:
        return False
    return True


def _with_session_counts(queryset: QuerySet[CaseVersion]) -> QuerySet[CaseVersion]:
    if _has_sessions_relation():
        return queryset.annotate(n_sessions=Count("sessions", distinct=True))
    return queryset


def _yaml_response(version: CaseVersion) -> HttpResponse:
    response = HttpResponse(dump_version(version), content_type="application/yaml; charset=utf-8")
    filename = f"{version.case.slug}-v{version.number}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _yaml_html(version: CaseVersion) -> str:
    return format_html('<pre class="pm-yaml">{}</pre>', dump_version(version))


# ---------------------------------------------------------------------------------------------
# Forms


class CaseTextField(forms.CharField):
    """A text kept exactly as typed: no stripping, line breaks as in YAML (\\n, not \\r\\n)."""

    def __init__(self, **kwargs: Any):
        super().__init__(required=False, strip=False, **kwargs)

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


def _formfield(place: editor.Place) -> forms.Field:
    help_text = format_html("<code>{}</code>", place.name)  # the place as error messages name it
    if place.kind == "number":
        cls = forms.FloatField if isinstance(place.value, float) else forms.IntegerField
        return cls(
            label=place.label,
            initial=place.value,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
        )
    if place.kind == "long":
        text = str(place.value)
        rows = len(text) // 90 + text.count("\n") + 1
        rows = max(TEXTAREA_ROWS[0], min(TEXTAREA_ROWS[1], rows))
        widget: forms.Widget = forms.Textarea(attrs={"rows": rows, "class": "vLargeTextField"})
    else:
        widget = forms.TextInput(attrs={"class": "vTextField"})
    return CaseTextField(label=place.label, initial=place.value, help_text=help_text, widget=widget)


def _read_upload(upload) -> Any:
    """The YAML data of an uploaded file; CaseError if it is not readable YAML."""
    try:
        return yaml.safe_load(upload.read().decode("utf-8"))
    except UnicodeDecodeError:
        raise CaseError(f"{upload.name}: not a UTF-8 text file") from None
    except yaml.YAMLError as exc:
        raise CaseError(f"{upload.name}: not valid YAML: {exc}") from None


class CaseForm(forms.ModelForm):
    """One section of the latest version's texts and numbers, or a YAML file replacing it all.

    Subclassed per request by ``CaseAdmin.get_form`` with a field per place.
    After ``is_valid()``, ``new_data`` is the validated data to save.
    """

    base: CaseVersion | None = None  # the version the fields were filled in from
    places: list[editor.Place] = []  # the places that are fields of this form
    labels: dict[str, str] = {}  # every place of the case: name -> label, for errors elsewhere

    class Meta:
        model = Case
        fields: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}  # Django's ModelForm returns its cleaned_data
        if self.errors:
            return cleaned  # a number that is not a number: nothing to validate yet
        if self.base is not None:
            latest = self.instance.latest()
            if latest is None or cleaned.get(BASE_FIELD) != latest.number:
                raise forms.ValidationError(
                    _(
                        "The case was changed by someone else while you edited it (it is now "
                        "version %(number)s). Reload the page and make your changes again."
                    ),
                    params={"number": latest.number if latest else 0},
                    code="stale",
                )
        upload = cleaned.get(UPLOAD_FIELD)
        slug = self.instance.slug if self.instance.pk else None
        try:
            if upload:
                source = upload.name
                data = _read_upload(upload)
            else:
                assert self.base is not None  # a form of fields is filled in from a version
                source = f"{slug} v{self.base.number} ({gettext('edited in the admin')})"
                data = editor.apply(self.base.data, self.places, cleaned)
            self.new_data, self.parsed = validate(data, source=source, slug=slug)
        except CaseError as exc:
            self._add_case_errors(exc, field=UPLOAD_FIELD if upload else None)
            return cleaned
        if slug is None and Case.objects.filter(slug=self.parsed.slug).exists():
            self.add_error(
                UPLOAD_FIELD,
                gettext(
                    "A case with the slug '%(slug)s' exists already: upload the file on its page."
                )
                % {"slug": self.parsed.slug},
            )
        return cleaned

    def _add_case_errors(self, exc: CaseError, *, field: str | None) -> None:
        """Each error line at its field when it is on this form, else at the top, labelled."""
        lines = [line.strip() for line in str(exc).splitlines()[1:]] or [str(exc)]
        for line in lines:
            place, sep, message = line.partition(": ")
            if field is None and sep and place not in self.fields:
                # "framings[0].effects: meter 'a': ..." belongs at framings[0].effects.a.
                inner = [
                    name
                    for name in self.fields
                    if name.startswith(f"{place}.") and f"'{name.rsplit('.', 1)[1]}'" in message
                ]
                place = inner[0] if len(inner) == 1 else place
            if field is None and sep and place in self.fields:
                self.add_error(place, message)
            elif field is None and sep and place in self.labels:
                self.add_error(None, f"{self.labels[place]} ({place}): {message}")
            else:
                self.add_error(field, line)


def _upload_field(*, required: bool) -> forms.FileField:
    return forms.FileField(
        label=_("Case file (YAML)"),
        required=required,
        help_text=_(
            "A whole case file; it replaces the case's content as a new version. The file "
            "is checked first: nothing is saved if it has errors."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml"}),
    )


# ---------------------------------------------------------------------------------------------
# Admin


class VersionInline(admin.TabularInline):
    """The case's versions, read-only: number, when, and how many sessions use each."""

    model = CaseVersion
    fields = readonly_fields = ("number", "created", "session_count")
    ordering = ("-number",)
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("version")
    verbose_name_plural = _("versions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseVersion]:
        return _with_session_counts(super().get_queryset(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("cases.view_case") or request.user.has_perm(
            "cases.change_case"
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("sessions"))
    def session_count(self, obj: CaseVersion) -> int | str:
        return getattr(obj, "n_sessions", "–")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    class Media:  # styles here, not in style attributes: the CSP allows no inline style
        css = {"all": ["css/admin.css"]}

    list_display = ("title", "slug", "latest_number", "version_count")
    search_fields = ("title", "slug")
    actions = ["download_yaml"]
    change_form_template = "admin/cases/case/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return (
            super()
            .get_queryset(request)
            .annotate(latest_number=Max("versions__number"), version_count=Count("versions"))
        )

    @admin.display(description=_("latest version"), ordering="latest_number")
    def latest_number(self, obj: Case) -> int | None:
        return obj.latest_number  # type: ignore[attr-defined]  # get_queryset annotates it

    @admin.display(description=_("versions"), ordering="version_count")
    def version_count(self, obj: Case) -> int:
        return obj.version_count  # type: ignore[attr-defined]  # get_queryset annotates it

    def get_inlines(self, request: HttpRequest, obj: Case | None) -> list:
        return [VersionInline] if obj is not None else []

    # -- the form: one section of the latest version, or a file -------------------------------

    def _state(self, request: HttpRequest, obj: Case | None) -> dict[str, Any]:
        """The latest version, its places and the chosen section, once per request."""
        cache = request.__dict__.setdefault("_case_admin_state", {})
        key = obj.pk if obj is not None else None
        if key not in cache:
            latest = obj.latest() if obj is not None else None
            places = editor.places(latest.data) if latest is not None else []
            present = [s for s, _h in editor.sections() if any(p.section == s for p in places)]
            section = request.GET.get("section")
            if section not in (*present, FILE_SECTION):
                section = present[0] if present else FILE_SECTION
            cache[key] = {
                "latest": latest,
                "places": places,
                "present": present,
                "section": section,
            }
        return cache[key]

    def get_form(
        self, request: HttpRequest, obj: Case | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        state = self._state(request, obj)
        latest = state["latest"]
        attrs: dict[str, Any] = {}
        if latest is None or state["section"] == FILE_SECTION:
            attrs[UPLOAD_FIELD] = _upload_field(required=True)
            places: list[editor.Place] = []
        else:
            places = [p for p in state["places"] if p.section == state["section"]]
            attrs.update((p.name, _formfield(p)) for p in places)
        if latest is not None:
            attrs[BASE_FIELD] = forms.IntegerField(widget=forms.HiddenInput, initial=latest.number)
        attrs.update(
            base=latest,
            places=places,
            labels={p.name: p.label for p in state["places"]},
        )
        return type("CaseForm", (CaseForm,), attrs)

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> list:
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": ["latest_content"]})]  # view only: the content as YAML
        state = self._state(request, obj)
        if state["latest"] is None or state["section"] == FILE_SECTION:
            fields = [UPLOAD_FIELD] + ([BASE_FIELD] if state["latest"] is not None else [])
            return [(None, {"fields": fields})]
        groups: dict[str, list[str]] = {}
        for place in state["places"]:
            if place.section == state["section"]:
                groups.setdefault(place.group, []).append(place.name)
        fieldsets = [(group, {"fields": names}) for group, names in groups.items()]
        fieldsets[0][1]["fields"].append(BASE_FIELD)
        return fieldsets

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Case | None = None,
    ) -> HttpResponse:
        state = self._state(request, obj)
        if obj is not None and state["latest"] is not None:
            context["case_yaml_url"] = reverse("admin:cases_case_yaml", args=[obj.pk])
        if (
            obj is not None
            and state["latest"] is not None
            and self.has_change_permission(request, obj)
        ):
            here = reverse("admin:cases_case_change", args=[obj.pk])
            links = [
                (s, editor.heading(s), f"{here}?{urlencode({'section': s})}")
                for s in state["present"]
            ]
            links.append(
                (FILE_SECTION, gettext("Upload a YAML file"), f"{here}?section={FILE_SECTION}")
            )
            context.update(
                case_version=state["latest"],
                case_sections=links,
                case_section=state["section"],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Case, form: CaseForm, change: bool) -> None:
        if not change:
            obj.slug, obj.title = form.parsed.slug, form.parsed.title
            obj.save()
        version, created = save_version(obj, form.new_data)
        if created:
            message = gettext("Saved as version %(number)s.")
        else:
            message = gettext("Nothing was changed: the case is still version %(number)s.")
        self.message_user(request, message % {"number": version.number}, messages.INFO)

    def response_change(self, request: HttpRequest, obj: Case) -> HttpResponse:
        response = super().response_change(request, obj)
        section = request.GET.get("section")
        if "_continue" in request.POST and section and isinstance(response, HttpResponseRedirect):
            # "Save and continue editing" returns to the section being edited.
            location = response["Location"]
            sep = "&" if "?" in location else "?"
            response["Location"] = f"{location}{sep}{urlencode({'section': section})}"
        return response

    @admin.display(description=_("content (YAML)"))
    def latest_content(self, obj: Case) -> str:
        latest = obj.latest()
        return _yaml_html(latest) if latest is not None else "–"

    # -- download ---------------------------------------------------------------------------

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/yaml/",
                self.admin_site.admin_view(self.yaml_view),
                name="cases_case_yaml",
            )
        ]
        return own + super().get_urls()

    def yaml_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        latest = obj.latest()
        if latest is None:
            raise Http404
        return _yaml_response(latest)

    @admin.action(description=_("Download as YAML"), permissions=["view"])
    def download_yaml(self, request: HttpRequest, queryset: QuerySet[Case]) -> HttpResponse | None:
        versions = [v for v in (case.latest() for case in queryset) if v is not None]
        if not versions:
            self.message_user(request, gettext("These cases have no version."), messages.WARNING)
            return None
        if len(versions) == 1:
            return _yaml_response(versions[0])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for version in versions:
                archive.writestr(f"{version.case.slug}.yaml", dump_version(version))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="cases.zip"'
        return response


@admin.register(CaseVersion)
class CaseVersionAdmin(admin.ModelAdmin):
    class Media:  # styles here, not in style attributes: the CSP allows no inline style
        css = {"all": ["css/admin.css"]}

    """Versions are read-only: a session keeps the version it started with."""

    list_display = ("__str__", "case", "number", "created", "session_count")
    list_filter = ("case",)
    fields = readonly_fields = ("case", "number", "created", "digest", "session_count", "content")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseVersion]:
        return _with_session_counts(super().get_queryset(request).select_related("case"))

    @admin.display(description=_("sessions"))
    def session_count(self, obj: CaseVersion) -> int | str:
        return getattr(obj, "n_sessions", "–")

    @admin.display(description=_("content (YAML)"))
    def content(self, obj: CaseVersion) -> str:
        return _yaml_html(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Asked when a case is deleted with its versions; one by one, never (see delete_view).
        return request.user.has_perm("cases.delete_case")

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "show_delete": False}
        )

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied
