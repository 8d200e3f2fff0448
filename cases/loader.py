"""Loading case files into versions, and dumping them back.

A case's versions are never edited in place: a session keeps the version it was
started with, so every change (a reloaded file, an edit in the admin) becomes a
new version, and a change that changes nothing makes no version at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from . import languages
from .models import Case, CaseVersion, content_hash
from .schema import Case as CaseData
from .schema import CaseError, load_case_file, parse_case

# The languages a case can be translated into (the site's, policymaker/settings.py).
LANGUAGES = ("da", "en")
# How dumps are written: the file's own key order, readable Danish, lines that fit a screen.
DUMP_WIDTH = 100


def load_case(path: str | Path) -> tuple[CaseVersion, bool]:
    """Validate the file and store it as the case's next version unless it is unchanged.

    Returns the case's latest version and whether it was created. A file that
    does not validate raises CaseError and writes nothing.
    """
    parsed, data, translations = _read_case_file(path)
    for lang in LANGUAGES:
        other = Path(path).with_name(f"{Path(path).stem}.{lang}.yaml")
        if lang != parsed.language and other.exists():
            translated, translations[lang] = load_case_file(other)
            if translated.language != lang:
                raise CaseError(f"{other}: 1 error(s)\n  language: expected '{lang}'")
    if translations:
        data = {**data, languages.TRANSLATIONS: translations}
    with transaction.atomic():
        case, _ = Case.objects.get_or_create(slug=parsed.slug, defaults={"title": parsed.title})
        return save_version(case, data, source=str(path))


def _read_case_file(path: str | Path) -> tuple[CaseData, dict, dict[str, dict]]:
    """The case in the file, its data, and the translations the file itself holds.

    A dump of a translated version (dump_version) carries its translations inside:
    loading that dump must give the same version back, not refuse the extra key.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path}: cannot read the file: {exc}") from None
    if not isinstance(raw, dict):
        raise CaseError(f"{path}: expected a mapping at the top level")
    data, translations = languages.split(raw)
    return parse_case(data, source=str(path)), data, translations


def save_version(case: Case, data: dict, *, source: str | None = None) -> tuple[CaseVersion, bool]:
    """Store ``data`` as ``case``'s next version; return (version, created).

    The data is validated first (CaseError names ``source`` and the place);
    data equal to the latest version's returns that version, created=False.
    The raw data is kept as given (not pydantic's dump), so a dump gives the
    file's content back.
    """
    data, parsed = validate(data, source=source or case.slug, slug=case.slug)
    digest = content_hash(data)
    with transaction.atomic():
        # Lock the case row so two saves at once cannot both take the same number.
        case = Case.objects.select_for_update().get(pk=case.pk)
        latest = case.latest()
        if latest is not None and latest.digest == digest:
            return latest, False
        version = CaseVersion.objects.create(
            case=case,
            number=(latest.number if latest else 0) + 1,
            digest=digest,
            data=data,
        )
        if case.title != parsed.title:
            case.title = parsed.title
            case.save(update_fields=["title"])
    return version, True


def validate(data: Any, *, source: str, slug: str | None = None) -> tuple[dict, CaseData]:
    """Check data as a version of the case ``slug``; return it as it will be stored, and parsed.

    Raises CaseError naming ``source``, the place and what was expected.
    """
    data = _plain(data, source=source)
    base, translations = languages.split(data)
    parsed = parse_case(base, source=source)
    for lang, other in translations.items():
        errors = languages.mirror_errors(base, other) if isinstance(other, dict) else ["not a case"]
        if errors:
            listed = "\n  ".join(errors[:20])
            raise CaseError(
                f"{source}: the translation into '{lang}' is not the case with its texts "
                f"translated: {len(errors)} error(s)\n  {listed}"
            )
        parse_case(other, source=f"{source} ({lang})")
    if slug is not None and parsed.slug != slug:
        raise CaseError(
            f"{source}: 1 error(s)\n  slug: '{parsed.slug}' is not this case's slug '{slug}'"
        )
    return data, parsed


def dump_version(version: CaseVersion) -> str:
    """The version's data as YAML; loading it gives the same data (and digest) back."""
    return yaml.dump(
        version.data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=DUMP_WIDTH,
    )


def dump_case(slug: str) -> str:
    """The latest version of the case ``slug`` as YAML.

    Raises Case.DoesNotExist for an unknown slug, CaseVersion.DoesNotExist for a
    case with no version yet.
    """
    latest = Case.objects.get(slug=slug).latest()
    if latest is None:
        raise CaseVersion.DoesNotExist(f"case '{slug}' has no version")
    return dump_version(latest)


def _plain(data: Any, *, source: str) -> dict:
    """The data as JSON gives it back: what the database stores is what was hashed."""
    if not isinstance(data, dict):
        raise CaseError(f"{source}: expected a mapping at the top level")
    try:
        return json.loads(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise CaseError(f"{source}: a value cannot be stored: {exc}") from None


class _Dumper(yaml.SafeDumper):
    """safe_dump, but texts with line breaks as literal blocks (``|``), as people write them.

    PyYAML falls back to a quoted scalar whenever a block cannot hold the text
    exactly (trailing spaces, tabs ...), so the round trip stays exact.
    """


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
