"""The case admin: labelled fields per section, saving as a new version, errors, YAML out and in.

Forms are submitted the way a browser would: the fields are read from the rendered
page (inputs and text areas of the case form), changed, and posted back.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.loader import dump_case, load_case, save_version
from cases.models import Case, CaseVersion

CASES = Path(__file__).parent / "cases"
MINI = CASES / "mini.yaml"
SCHOOL = Path(__file__).parent.parent / "cases" / "skole.yaml"


class _FormReader(HTMLParser):
    """What a browser would submit from the form ``form_id``: inputs and text areas."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.textarea = form_id, False, None
        self.fields: dict[str, str] = {}
        self.labels: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "file", "checkbox", "radio"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self.textarea = a["name"]
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea:
            value = self.fields[self.textarea]
            # Browsers drop the one line break right after <textarea>.
            self.fields[self.textarea] = value[1:] if value.startswith("\n") else value
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


def form_fields(response) -> dict[str, str]:
    reader = _FormReader("case_form")
    reader.feed(response.content.decode())
    return reader.fields


@pytest.fixture
def lea(db):
    """A workshop leader: staff, with the permissions on cases and no more."""
    user = get_user_model().objects.create_user("lea", password="lea-pw", is_staff=True)
    codenames = ["view_case", "change_case", "add_case", "delete_case", "view_caseversion"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def client_lea(client, lea):
    client.force_login(lea)
    client.cookies["django_language"] = "en"  # labels in English, whatever the default
    return client


@pytest.fixture
def mini(db) -> Case:
    return load_case(MINI)[0].case


def change_url(case: Case, section: str | None = None) -> str:
    url = reverse("admin:cases_case_change", args=[case.pk])
    return f"{url}?section={section}" if section else url


def test_the_change_page_shows_labelled_fields_not_a_json_blob(client_lea, mini):
    response = client_lea.get(change_url(mini))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.fields["brief"].label == "Brief"
    assert form.fields["mandate"].label == "Mandate"
    assert "data" not in form.fields
    page = response.content.decode()
    assert '<textarea name="brief"' in page
    assert "Download as YAML" in page
    # The sections to choose from, and the versions inline.
    assert "Rounds" in page and "Stakeholders" in page and "Upload a YAML file" in page
    assert response.context["inline_admin_formsets"][0].formset.queryset.count() == 1


def test_a_section_labels_fields_by_the_names_in_the_case(client_lea, mini):
    response = client_lea.get(change_url(mini, "rounds"))

    assert response.status_code == 200
    fields = response.context["adminform"].form.fields
    assert fields["rounds[1].tasks[0].prompt"].label == "Rounds › R1 › fokus › Prompt"
    assert fields["rounds[1].tasks[2].options[0].label"].label == "Rounds › R1 › rang › O1 › Label"
    assert fields["rounds[1].title"].widget.input_type == "text"
    assert "brief" not in fields  # one section at a time
    meters = client_lea.get(change_url(mini, "meters")).context["adminform"].form.fields
    assert meters["budget.total"].widget.input_type == "number"
    assert meters["politician_card.effects.b"].label == "Politician card › Effects › B"


def test_the_school_case_opens_in_every_section(client_lea, db):
    case = load_case(SCHOOL)[0].case
    response = client_lea.get(change_url(case))
    sections = [key for key, _heading, _url in response.context["case_sections"]]

    for section in sections:
        response = client_lea.get(change_url(case, section))
        assert response.status_code == 200, section
        assert len(response.context["adminform"].form.fields) > 1, section


def test_changing_the_brief_makes_a_new_version_and_keeps_the_old(client_lea, mini):
    v1 = mini.latest()
    url = change_url(mini, "brief")
    data = form_fields(client_lea.get(url))
    data["brief"] = "Byrådet har nedsat et udvalg.\nDet skal se på skolerne."

    response = client_lea.post(url, data)

    assert response.status_code == 302
    assert mini.versions.count() == 2
    v2 = mini.latest()
    assert v2.number == 2
    assert v2.data["brief"] == "Byrådet har nedsat et udvalg.\nDet skal se på skolerne."
    assert {k: v for k, v in v2.data.items() if k != "brief"} == {
        k: v for k, v in v1.data.items() if k != "brief"
    }
    v1.refresh_from_db()
    assert v1.data["brief"] == "b"


def test_saving_without_changes_makes_no_version(client_lea, db):
    """Also for the school case's long texts with line breaks, as a browser sends them back."""
    case = load_case(SCHOOL)[0].case
    for section in ("brief", "rounds", "stakeholders", "dilemmas"):
        url = change_url(case, section)
        data = form_fields(client_lea.get(url))
        data = {k: v.replace("\n", "\r\n") for k, v in data.items()}  # as browsers post text areas

        response = client_lea.post(url, data)

        assert response.status_code == 302, response.context and response.context["errors"]
    assert case.versions.count() == 1


def test_changing_a_task_prompt_and_continuing_returns_to_the_section(client_lea, mini):
    url = change_url(mini, "rounds")
    data = form_fields(client_lea.get(url))
    data["rounds[1].tasks[0].prompt"] = "Hvad er problemet?"
    data["rounds[1].tasks[2].options[0].consequence"] = "Udvalget rangerer."  # absent before
    data["_continue"] = "1"

    response = client_lea.post(url, data)

    assert response.status_code == 302
    assert "section=rounds" in response["Location"]
    latest = mini.latest()
    assert latest.number == 2
    assert latest.data["rounds"][1]["tasks"][0]["prompt"] == "Hvad er problemet?"
    assert latest.data["rounds"][1]["tasks"][2]["options"][0]["consequence"] == "Udvalget rangerer."
    assert "consequence" not in latest.data["rounds"][1]["tasks"][2]["options"][1]


def test_an_invalid_value_shows_the_error_and_makes_no_version(client_lea, mini):
    url = change_url(mini, "meters")
    data = form_fields(client_lea.get(url))
    data["budget.total"] = "-3"

    response = client_lea.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "greater than 0" in errors["budget.total"][0]
    assert "greater than 0" in response.content.decode()
    assert mini.versions.count() == 1


def test_a_required_text_left_empty_shows_the_error(client_lea, mini):
    url = change_url(mini, "brief")
    data = form_fields(client_lea.get(url))
    data["brief"] = ""  # required: min length 1

    response = client_lea.post(url, data)

    assert response.status_code == 200
    assert "at least 1 character" in response.context["adminform"].form.errors["brief"][0]
    assert mini.versions.count() == 1


def test_an_effect_out_of_range_is_shown_at_its_field(client_lea, mini):
    url = change_url(mini, "framings")
    data = form_fields(client_lea.get(url))
    data["framings[0].effects.a"] = "99"

    response = client_lea.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "from -50 to 50" in errors["framings[0].effects.a"][0]
    assert mini.versions.count() == 1


def test_a_form_from_an_older_version_is_refused(client_lea, mini):
    url = change_url(mini, "brief")
    data = form_fields(client_lea.get(url))
    changed = dict(mini.latest().data, mandate="Changed meanwhile")
    save_version(mini, changed)  # someone else saves in between
    data["brief"] = "Mine"

    response = client_lea.post(url, data)

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert mini.versions.count() == 2
    assert mini.latest().data["brief"] == "b"


def test_the_yaml_download_returns_the_dump(client_lea, mini):
    response = client_lea.get(reverse("admin:cases_case_yaml", args=[mini.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert 'filename="mini-v1.yaml"' in response["Content-Disposition"]
    assert response.content.decode() == dump_case("mini")


def test_the_download_action_returns_the_dump(client_lea, mini):
    response = client_lea.post(
        reverse("admin:cases_case_changelist"),
        {"action": "download_yaml", "_selected_action": [mini.pk]},
    )

    assert response.status_code == 200
    assert response.content.decode() == dump_case("mini")


def test_uploading_a_file_adds_a_case(client_lea, db):
    url = reverse("admin:cases_case_add")
    upload = SimpleUploadedFile("mini.yaml", MINI.read_bytes(), "application/yaml")

    response = client_lea.post(url, {"yaml_file": upload})

    assert response.status_code == 302
    case = Case.objects.get(slug="mini")
    assert case.title == "Mini"
    assert case.latest().number == 1
    assert case.latest().data == yaml.safe_load(MINI.read_text(encoding="utf-8"))


def test_uploading_a_broken_file_shows_the_error_and_stores_nothing(client_lea, db):
    url = reverse("admin:cases_case_add")
    broken = CASES / "broken" / "unknown_lead.yaml"
    upload = SimpleUploadedFile("unknown_lead.yaml", broken.read_bytes())

    response = client_lea.post(url, {"yaml_file": upload})

    assert response.status_code == 200
    assert "rounds[1].lead: unknown role" in response.content.decode()
    assert Case.objects.count() == 0 and CaseVersion.objects.count() == 0


def test_uploading_a_new_file_on_the_case_page_makes_a_new_version(client_lea, mini):
    url = change_url(mini, "file")
    data = form_fields(client_lea.get(url))
    changed = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    changed["mandate"] = "Et nyt kommissorium."
    content = yaml.safe_dump(changed, allow_unicode=True).encode()
    data["yaml_file"] = SimpleUploadedFile("mini.yaml", content)

    response = client_lea.post(url, data)

    assert response.status_code == 302
    assert mini.latest().number == 2
    assert mini.latest().data["mandate"] == "Et nyt kommissorium."


def test_versions_are_read_only(client_lea, mini):
    version = mini.latest()
    url = reverse("admin:cases_caseversion_change", args=[version.pk])

    response = client_lea.get(url)

    assert response.status_code == 200
    assert "slug: mini" in response.content.decode()  # the content, as YAML
    assert 'name="_save"' not in response.content.decode()
    assert client_lea.post(url, {"number": 7}).status_code == 403
    delete = reverse("admin:cases_caseversion_delete", args=[version.pk])
    assert client_lea.post(delete, {"post": "yes"}).status_code == 403
    assert CaseVersion.objects.get(pk=version.pk).number == 1


def test_a_staff_user_without_case_permissions_is_refused(client, db, mini):
    user = get_user_model().objects.create_user("bo", password="bo-pw", is_staff=True)
    client.force_login(user)

    assert client.get(change_url(mini)).status_code == 403
    assert client.get(reverse("admin:cases_case_yaml", args=[mini.pk])).status_code == 403


def test_a_user_who_may_only_view_sees_the_content_as_yaml(client, db, mini):
    user = get_user_model().objects.create_user("ib", password="ib-pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_case"))
    client.force_login(user)

    response = client.get(change_url(mini))

    assert response.status_code == 200
    page = response.content.decode()
    assert "slug: mini" in page and "brief: b" in page
    assert '<textarea name="brief"' not in page
    assert client.get(reverse("admin:cases_case_yaml", args=[mini.pk])).status_code == 200


def test_the_versions_list_counts_the_sessions_using_each(client_lea, session):
    case = session.case_version.case

    response = client_lea.get(change_url(case))

    (inline,) = response.context["inline_admin_formsets"]
    (row,) = inline.formset.queryset
    assert (row.number, row.n_sessions) == (1, 1)
