"""Loading case files into versions: validation, versioning, dump and reload, the commands."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.loader import dump_case, load_case, save_version
from cases.management.commands.load_case import Command as LoadCaseCommand
from cases.models import Case, CaseVersion, content_hash
from cases.schema import CaseError

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = pytest.mark.postgres

CASES = Path(__file__).parent / "cases"
MINI = CASES / "mini.yaml"
SCHOOL = Path(__file__).parent.parent / "cases" / "skole.yaml"
BROKEN = CASES / "broken"

# Each broken file is mini.yaml with one fault, and what the error must say: the place in
# the file and what was expected there.
FAULTS = {
    "missing_title.yaml": "rounds[1].title: Field required",
    "wrong_type.yaml": "budget.total: Input should be a valid integer",
    "unknown_meter.yaml": "rounds[1].tasks[2].options[0].effects.tillid: unknown meter 'tillid', "
    "expected one of ['a', 'b']",
    "unknown_persona_stakeholder.yaml": "personas[0].stakeholder: unknown stakeholder 's9'",
    "unknown_unlocked_by.yaml": "idea_cards[0].unlocked_by[0]: unknown stakeholder 's9'",
    "unknown_lead.yaml": "rounds[1].lead: unknown role 'borgmester', expected one of",
    "duplicate_id.yaml": "dilemmas: duplicate id 'd1'",
    "persona_is_a_role.yaml": "personas[0].id: 'ig' is already a role's id",
    "card_in_both_decks.yaml": "events[0].id: 'd1' is also a dilemma's id",
    "invalid_yaml.yaml": "cannot read the file: while parsing a flow mapping",
}


@pytest.fixture(params=[MINI, SCHOOL], ids=["mini", "skole"])
def case_file(request) -> Path:
    return request.param


def _stored(case_file: Path) -> dict:
    """The file's data as a version stores it: with its translation beside it, if it has one."""
    data = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    english = case_file.with_name(f"{case_file.stem}.en.yaml")
    if english.exists():  # the school case is in English too (cases/skole.en.yaml)
        data["translations"] = {"en": yaml.safe_load(english.read_text(encoding="utf-8"))}
    return data


def _counts() -> tuple[int, int]:
    return Case.objects.count(), CaseVersion.objects.count()


def test_first_load_creates_version_1(db, case_file):
    data = _stored(case_file)

    version, created = load_case(case_file)

    assert created
    assert version.number == 1
    assert version.case.slug == data["slug"]
    assert version.case.title == data["title"]
    assert version.data == data  # the file's data as written, not pydantic's dump
    assert version.digest == content_hash(data)
    assert version.parsed().slug == data["slug"]
    assert _counts() == (1, 1)


def test_loading_the_same_file_again_changes_nothing(db, case_file):
    first, _ = load_case(case_file)

    again, created = load_case(case_file)

    assert not created
    assert again.pk == first.pk
    assert _counts() == (1, 1)


def test_a_changed_file_makes_version_2_and_version_1_keeps_the_old_data(db, tmp_path):
    path = tmp_path / "mini.yaml"
    shutil.copy(MINI, path)
    v1, _ = load_case(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["brief"] = "En ny brief."
    data["title"] = "Mini, anden udgave"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    v2, created = load_case(path)

    assert created
    assert v2.number == 2
    assert v2.data["brief"] == "En ny brief."
    assert v2.case.title == "Mini, anden udgave"
    v1.refresh_from_db()
    assert v1.data["brief"] == "b"
    assert v1.parsed().brief == "b"
    assert v1.digest != v2.digest
    assert Case.objects.get(slug="mini").latest() == v2
    assert _counts() == (1, 2)


def test_dump_then_reload_is_a_round_trip(db, case_file, tmp_path):
    version, _ = load_case(case_file)

    text = dump_case(version.case.slug)
    assert yaml.safe_load(text) == _stored(case_file)
    dumped = tmp_path / "dumped.yaml"
    dumped.write_text(text, encoding="utf-8")
    again, created = load_case(dumped)

    assert not created
    assert again.pk == version.pk
    assert again.digest == version.digest
    assert _counts() == (1, 1)


def test_dump_keeps_line_breaks_readable_and_exact(db, tmp_path):
    """Texts with line breaks are dumped as YAML blocks, and come back exactly."""
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["brief"] = "Første afsnit.\n\nAndet afsnit, med æøå.\n"
    data["mandate"] = "Linje med mellemrum til sidst   \nog en linje uden"
    case = Case.objects.create(slug="mini", title="Mini")
    version, _ = save_version(case, data)

    text = dump_case("mini")

    assert "brief: |\n  Første afsnit.\n\n  Andet afsnit, med æøå.\n" in text
    assert yaml.safe_load(text) == data
    dumped = tmp_path / "dumped.yaml"
    dumped.write_text(text, encoding="utf-8")
    assert load_case(dumped) == (version, False)


def test_save_version_refuses_another_cases_data(db):
    case = Case.objects.create(slug="other", title="Other")
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))

    with pytest.raises(CaseError, match=r"slug: 'mini' is not this case's slug 'other'"):
        save_version(case, data)

    assert CaseVersion.objects.count() == 0


@pytest.mark.parametrize(("name", "expected"), FAULTS.items(), ids=list(FAULTS))
def test_a_broken_file_is_refused_and_nothing_is_stored(db, name, expected):
    path = BROKEN / name

    with pytest.raises(CaseError) as caught:
        load_case(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: ")  # names the file
    assert expected in message  # the place and what was expected
    assert _counts() == (0, 0)


def test_invalid_yaml_names_the_line(db):
    with pytest.raises(CaseError, match=r"line 7, column 9"):
        load_case(BROKEN / "invalid_yaml.yaml")


def test_a_broken_file_changes_nothing_when_the_case_exists(db):
    v1, _ = load_case(MINI)

    with pytest.raises(CaseError):
        load_case(BROKEN / "unknown_lead.yaml")

    assert _counts() == (1, 1)
    assert Case.objects.get().latest() == v1


# -- the management commands ----------------------------------------------------------------


def test_load_case_command_loads_then_reports_unchanged(db):
    out = StringIO()
    call_command("load_case", str(MINI), stdout=out)
    call_command("load_case", str(MINI), stdout=out)

    assert out.getvalue().splitlines() == ["Loaded mini v1", "mini v1 unchanged"]
    assert _counts() == (1, 1)


def test_load_case_command_loads_several_files(db):
    out = StringIO()
    call_command("load_case", str(MINI), str(SCHOOL), stdout=out)

    assert out.getvalue().splitlines() == ["Loaded mini v1", f"Loaded {_slug(SCHOOL)} v1"]


def test_dump_case_command_writes_stdout_or_a_file(db, tmp_path):
    load_case(MINI)
    out = StringIO()

    call_command("dump_case", "mini", stdout=out)
    target = tmp_path / "out.yaml"
    call_command("dump_case", "mini", "-o", str(target))

    assert out.getvalue() == dump_case("mini")
    assert target.read_text(encoding="utf-8") == dump_case("mini")
    assert load_case(target)[1] is False


def test_dump_case_command_refuses_an_unknown_slug(db):
    with pytest.raises(CommandError, match="No case with the slug 'nope'"):
        call_command("dump_case", "nope")


@pytest.mark.parametrize(("name", "expected"), FAULTS.items(), ids=list(FAULTS))
def test_load_case_command_with_a_broken_file_raises_command_error(db, name, expected):
    with pytest.raises(CommandError) as caught:
        call_command("load_case", str(BROKEN / name))

    assert caught.value.returncode == 1
    assert str(caught.value).startswith(f"{BROKEN / name}: ")
    assert expected in str(caught.value)
    assert _counts() == (0, 0)


def test_load_case_command_exits_1_with_the_message_on_stderr(db, capsys, monkeypatch):
    """As from a shell: exit status 1, the error on stderr, nothing stored."""
    # run_from_argv closes the connections at the end, which a test's database must survive.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    path = BROKEN / "unknown_meter.yaml"

    with pytest.raises(SystemExit) as exited:
        LoadCaseCommand().run_from_argv(["manage.py", "load_case", str(path)])

    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(path) in captured.err
    assert "rounds[1].tasks[2].options[0].effects.tillid: unknown meter 'tillid'" in captured.err
    assert _counts() == (0, 0)


def _slug(path: Path) -> str:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["slug"]
